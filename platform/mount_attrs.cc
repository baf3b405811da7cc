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

absl::Status ChangeOne(int root_fd, const MountTarget& target, MountAttrChange change) {
  ASSIGN_OR_RETURN(UniqueFd fd, Annotate(OpenInRoot(root_fd, target.destination, O_PATH | O_CLOEXEC),
                                         fmt::format("mount {}", target.destination)));
  mount_attr attr{};
  attr.attr_set = change.set;
  attr.attr_clr = change.clear;
  unsigned flags = AT_EMPTY_PATH | (target.recursive ? AT_RECURSIVE : 0);
  // mount_setattr refuses (EINVAL) a path that is not the root of a mount,
  // so a destination that resolved somewhere else changes nothing.
  if (syscall(SYS_mount_setattr, fd.get(), "", flags, &attr, sizeof(attr)) != 0) {
    return LastError(fmt::format("changing the attributes of mount {}", target.destination));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ChangeMountAttrs(int root_fd, const std::vector<MountTarget>& targets, MountAttrChange change) {
  for (const MountTarget& target : targets) RETURN_IF_ERROR(ChangeOne(root_fd, target, change));
  return absl::OkStatus();
}

}  // namespace platform
