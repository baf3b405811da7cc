#include "runsc/host_mounts.h"

#include <fcntl.h>
#include <sys/mount.h>

#include "platform/errors.h"
#include "platform/status_macros.h"
#include "platform/unique_fd.h"

namespace runsc {
namespace {

bool UnderDev(const std::string& destination) {
  return destination == "/dev" || destination.rfind("/dev/", 0) == 0;
}

}  // namespace

HostStorage FindHostStorage(const Spec& spec, bool rootfs_in_memory) {
  HostStorage storage;
  if (!rootfs_in_memory) {
    // Not recursive: the container's own mounts (proc, tmpfs, ...) sit beneath "/".
    platform::MountTarget root{"/", false};
    storage.all.push_back(root);
    if (!spec.root_readonly) storage.writable.push_back(root);
  }
  for (const Mount& mount : spec.mounts) {
    if (!mount.is_bind() || UnderDev(mount.destination)) continue;
    platform::MountTarget target{mount.destination, (mount.flags & MS_REC) != 0};
    storage.all.push_back(target);
    if ((mount.flags & MS_RDONLY) == 0) storage.writable.push_back(target);
  }
  return storage;
}

absl::Status ProtectHostStorage(const HostStorage& storage, bool allow_suid) {
  platform::UniqueFd root(open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root.valid()) return platform::LastError("opening /");
  RETURN_IF_ERROR(platform::ChangeMountAttrs(root.get(), storage.writable, {MOUNT_ATTR_RDONLY, 0}));
  if (allow_suid) return absl::OkStatus();
  return platform::ChangeMountAttrs(root.get(), storage.all, {MOUNT_ATTR_NOSUID, 0});
}

}  // namespace runsc
