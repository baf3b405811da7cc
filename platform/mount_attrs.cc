#include "platform/mount_attrs.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fmt/format.h"
#include "platform/errors.h"
#include "platform/rootfs.h"
#include "platform/status_macros.h"
#include "platform/unique_fd.h"

namespace platform {
namespace {

// mount_setattr on the mount at `target`: 0 or its errno (an error status
// when the target cannot be opened). mount_setattr refuses (EINVAL) a path
// that is not the root of a mount, so a destination that resolved
// somewhere else changes nothing.
absl::StatusOr<int> SetAttrs(int root_fd, const MountTarget& target, MountAttrChange change) {
  ASSIGN_OR_RETURN(UniqueFd fd, Annotate(OpenInRoot(root_fd, target.destination, O_PATH | O_CLOEXEC),
                                         fmt::format("mount {}", target.destination)));
  mount_attr attr{};
  attr.attr_set = change.set;
  attr.attr_clr = change.clear;
  unsigned flags = AT_EMPTY_PATH | (target.recursive ? AT_RECURSIVE : 0);
  if (syscall(SYS_mount_setattr, fd.get(), "", flags, &attr, sizeof(attr)) != 0) return errno;
  return 0;
}

absl::Status ChangeOne(int root_fd, const MountTarget& target, MountAttrChange change) {
  ASSIGN_OR_RETURN(int err, SetAttrs(root_fd, target, change));
  if (err != 0) return ErrnoError(err, fmt::format("changing the attributes of mount {}", target.destination));
  return absl::OkStatus();
}

// The mounts `target` names in `table`: its own, and with `recursive` the
// visible ones beneath it.
std::vector<MountEntry> MountsOf(const std::vector<MountEntry>& table, const MountTarget& target) {
  std::vector<MountEntry> mounts = VisibleMountsUnder(table, target.destination);
  if (target.recursive) return mounts;
  std::erase_if(mounts, [&](const MountEntry& m) { return m.mount_point != target.destination; });
  return mounts;
}

}  // namespace

absl::Status ChangeMountAttrs(int root_fd, const std::vector<MountTarget>& targets, MountAttrChange change) {
  for (const MountTarget& target : targets) RETURN_IF_ERROR(ChangeOne(root_fd, target, change));
  return absl::OkStatus();
}

absl::StatusOr<std::vector<MountTarget>> MakeWritableMountsReadonly(int root_fd, const std::vector<MountEntry>& table,
                                                                    const std::vector<MountTarget>& targets) {
  std::vector<MountTarget> changed;
  for (const MountTarget& target : targets) {
    // The target itself must be a mount (an error otherwise, as ChangeMountAttrs).
    bool seen_target = false;
    for (const MountEntry& mount : MountsOf(table, target)) {
      const bool is_target = mount.mount_point == target.destination;
      seen_target |= is_target;
      if (mount.read_only()) continue;
      MountTarget one{mount.mount_point, false};
      ASSIGN_OR_RETURN(int err, SetAttrs(root_fd, one, {MOUNT_ATTR_RDONLY, 0}));
      if (err == EINVAL && !is_target) continue;  // hidden: not a mount at that path any more
      if (err != 0) return ErrnoError(err, fmt::format("making mount {} read-only", mount.mount_point));
      changed.push_back(one);
    }
    if (!seen_target) return absl::NotFoundError(fmt::format("mount {}: not a mount point in this mount namespace", target.destination));
  }
  return changed;
}

}  // namespace platform
