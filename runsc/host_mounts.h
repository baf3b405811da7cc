// Which of a container's mounts are host storage, and how the two views of
// them differ (DESIGN.md, "What happens to each system call"): the workload
// sees them READ-ONLY (and nosuid unless --allow-suid), so a write it is not
// allowed to make natively fails with EROFS in the kernel; the gofer's copy
// of the tree has the writable ones read-write, and every write the workload
// makes is brokered to it.
#ifndef RUNSC_RUNSC_HOST_MOUNTS_H_
#define RUNSC_RUNSC_HOST_MOUNTS_H_

#include <vector>

#include "absl/status/status.h"
#include "platform/mount_attrs.h"
#include "runsc/spec.h"

namespace runsc {

struct HostStorage {
  // Host-backed mounts the spec lets the container write: read-only for the
  // workload, read-write for the gofer.
  std::vector<platform::MountTarget> writable;
  // Every host-backed mount (writable ones included): nosuid for the workload.
  std::vector<platform::MountTarget> all;
};

// The rootfs (unless root.readonly, or `rootfs_in_memory` for --overlay=memory)
// and the bind mounts. Bind mounts at or under /dev are left out: they are
// device nodes (a read-only mount does not stop writes to a device) or
// Docker's /dev/shm, and the sentry lets /dev paths run natively.
HostStorage FindHostStorage(const Spec& spec, bool rootfs_in_memory);

// In the container init, after pivot_root, before the workload's filter:
// makes the workload's view of host storage read-only (and nosuid unless
// `allow_suid`). Errors name the mount.
absl::Status ProtectHostStorage(const HostStorage& storage, bool allow_suid);

}  // namespace runsc

#endif  // RUNSC_RUNSC_HOST_MOUNTS_H_
