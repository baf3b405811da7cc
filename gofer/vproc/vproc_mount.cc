// Creating and attaching the vproc's single-file FUSE mounts.
#include "gofer/vproc/vproc_mount.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/mount.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fmt/format.h"
#include "platform/errors.h"

namespace gofer::vproc {
namespace {

using platform::LastError;
using platform::UniqueFd;

absl::Status SetString(int context, const char* key, const std::string& value) {
  if (syscall(SYS_fsconfig, context, FSCONFIG_SET_STRING, key, value.c_str(), 0) != 0) {
    return LastError(fmt::format("fsconfig fuse {}={}", key, value));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<FileMount> CreateFileMount(VFile file, uint32_t uid, uint32_t gid) {
  FileMount result{file, UniqueFd(open("/dev/fuse", O_RDWR | O_CLOEXEC)), UniqueFd()};
  if (!result.fuse.valid()) return LastError("opening /dev/fuse");
  UniqueFd context(static_cast<int>(syscall(SYS_fsopen, "fuse", FSOPEN_CLOEXEC)));
  if (!context.valid()) return LastError("fsopen fuse");
  for (auto [key, value] : {std::pair<const char*, std::string>{"source", "runsc-vproc"},
                            {"fd", std::to_string(result.fuse.get())},
                            {"rootmode", "100000"},  // S_IFREG: the root is the file
                            {"user_id", std::to_string(uid)},
                            {"group_id", std::to_string(gid)}}) {
    absl::Status set = SetString(context.get(), key, value);
    if (!set.ok()) return set;
  }
  // default_permissions: see kMinSizeHint in vproc_server.cc.
  if (syscall(SYS_fsconfig, context.get(), FSCONFIG_SET_FLAG, "allow_other", nullptr, 0) != 0 ||
      syscall(SYS_fsconfig, context.get(), FSCONFIG_SET_FLAG, "default_permissions", nullptr, 0) != 0 ||
      syscall(SYS_fsconfig, context.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0) {
    return LastError("creating the fuse mount");
  }
  result.mount.reset(static_cast<int>(syscall(SYS_fsmount, context.get(), FSMOUNT_CLOEXEC,
                                              MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
                                                  MOUNT_ATTR_NOEXEC)));
  if (!result.mount.valid()) return LastError("fsmount fuse");
  return result;
}

absl::StatusOr<bool> AttachOver(int root_fd, const std::string& target, int mount_fd) {
  struct open_how how = {};
  how.flags = O_PATH | O_CLOEXEC | O_NOFOLLOW;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  UniqueFd fd(static_cast<int>(syscall(SYS_openat2, root_fd, target.c_str(), &how, sizeof(how))));
  if (!fd.valid()) {
    // Missing, or a symlink (ELOOP) somewhere on the way: not a kernel file.
    if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP || errno == EXDEV) return false;
    return LastError(fmt::format("opening {} in the container", target));
  }
  struct stat st;
  struct statfs fs;
  if (fstat(fd.get(), &st) != 0 || fstatfs(fd.get(), &fs) != 0) return LastError(fmt::format("stat {}", target));
  if (!S_ISREG(st.st_mode) || (fs.f_type != PROC_SUPER_MAGIC && fs.f_type != SYSFS_MAGIC)) return false;
  if (syscall(SYS_move_mount, mount_fd, "", fd.get(), "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) != 0) {
    return LastError(fmt::format("mounting the virtual {}", target));
  }
  return true;
}

}  // namespace gofer::vproc
