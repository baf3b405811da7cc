#include "runsc/host_mounts.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "platform/errors.h"
#include "platform/mount_table.h"
#include "platform/rootfs.h"
#include "platform/status_macros.h"
#include "platform/unique_fd.h"

namespace runsc {
namespace {

bool AtOrUnder(const std::string& path, const std::string& top) {
  return path == top || path.rfind(top + "/", 0) == 0;
}

// /dev itself (a host /dev: device nodes) and Docker's /dev/shm stay native.
bool NeverHostStorage(const std::string& destination) {
  return destination == "/dev" || AtOrUnder(destination, "/dev/shm");
}

bool IsDeviceNode(const struct stat& st) { return S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode); }

// Drops the targets whose mount (beneath `root_fd`) is a device node.
std::vector<platform::MountTarget> WithoutDeviceNodes(int root_fd, const std::vector<platform::MountTarget>& targets) {
  std::vector<platform::MountTarget> kept;
  for (const platform::MountTarget& target : targets) {
    absl::StatusOr<platform::UniqueFd> fd = platform::OpenInRoot(root_fd, target.destination, O_PATH | O_CLOEXEC);
    struct stat st = {};
    if (fd.ok() && fstat(fd->get(), &st) == 0 && IsDeviceNode(st)) continue;
    kept.push_back(target);  // an error shows when the mount is changed
  }
  return kept;
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
    if (!mount.is_bind() || NeverHostStorage(mount.destination)) continue;
    platform::MountTarget target{mount.destination, (mount.flags & MS_REC) != 0};
    storage.all.push_back(target);
    if ((mount.flags & MS_RDONLY) == 0) storage.writable.push_back(target);
  }
  return storage;
}

std::vector<std::string> HostStorageUnderDev(const Spec& spec) {
  std::vector<std::string> under_dev;
  for (const Mount& mount : spec.mounts) {
    if (!mount.is_bind() || !AtOrUnder(mount.destination, "/dev") || NeverHostStorage(mount.destination)) continue;
    struct stat st = {};
    if (stat(mount.source.c_str(), &st) == 0 && IsDeviceNode(st)) continue;
    under_dev.push_back(mount.destination);
  }
  return under_dev;
}

absl::StatusOr<std::vector<platform::MountTarget>> ProtectHostStorage(const HostStorage& storage, bool allow_suid,
                                                                      int proc_fd) {
  platform::UniqueFd root(open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root.valid()) return platform::LastError("opening /");
  ASSIGN_OR_RETURN(std::vector<platform::MountEntry> table, platform::ReadMountTable(proc_fd, "thread-self"));
  ASSIGN_OR_RETURN(std::vector<platform::MountTarget> made_readonly,
                   platform::MakeWritableMountsReadonly(root.get(), table, WithoutDeviceNodes(root.get(), storage.writable)));
  if (!allow_suid) {
    RETURN_IF_ERROR(platform::ChangeMountAttrs(root.get(), WithoutDeviceNodes(root.get(), storage.all), {MOUNT_ATTR_NOSUID, 0}));
  }
  return made_readonly;
}

}  // namespace runsc
