// Per-mount attributes of an existing mount, changed with mount_setattr(2):
// how the workload's view of host storage becomes read-only (and nosuid)
// while the gofer's copy of the same mounts stays read-write (DESIGN.md,
// "What happens to each system call": host-backed mounts are READ-ONLY to
// the workload; only the gofer writes them).
#ifndef RUNSC_PLATFORM_MOUNT_ATTRS_H_
#define RUNSC_PLATFORM_MOUNT_ATTRS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "platform/mount_table.h"

namespace platform {

// One mount, named by its container path (a mount point inside the root).
struct MountTarget {
  std::string destination;  // absolute, inside the root ("/" is the root itself)
  bool recursive = false;   // and every mount beneath it (rbind)
};

// Which attributes to set and clear (MOUNT_ATTR_RDONLY, MOUNT_ATTR_NOSUID, ...).
struct MountAttrChange {
  uint64_t set = 0;
  uint64_t clear = 0;
};

// Applies `change` to each target's mount, resolved beneath `root_fd` with
// RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS (security rule 3: a symlink the
// container planted at a destination resolves inside the root). A
// destination that is not a mount point, or is missing, is an error naming
// it: a host-backed mount left writable must never pass silently.
absl::Status ChangeMountAttrs(int root_fd, const std::vector<MountTarget>& targets, MountAttrChange change);

// Makes read-only, one mount at a time, each target's mount (and with
// `recursive`, every mount visible beneath it in `table`, the caller's
// mountinfo) that is writable now, and returns exactly those mounts, each
// as a non-recursive target. Invariant: a peer view that clears RDONLY on
// the returned mounts only (the gofer's copy) never makes writable a mount
// that was read-only before (in the spec, in readonlyPaths, on the host).
// A mount beneath a target that a walk no longer reaches at its mount point
// (hidden by a mount over a parent) is skipped: no path reaches it.
absl::StatusOr<std::vector<MountTarget>> MakeWritableMountsReadonly(int root_fd, const std::vector<MountEntry>& table,
                                                                    const std::vector<MountTarget>& targets);

}  // namespace platform

#endif  // RUNSC_PLATFORM_MOUNT_ATTRS_H_
