// The cover of a masked file (linux.maskedPaths): a read-only bind of a node
// on a tmpfs made for this container. The node is a /dev/null (c 1:3) of
// its own, so a masked file reads empty and swallows writes as under runc
// (which binds the container's /dev/null); where mknod is refused (a user
// namespace) it is an empty 0444 regular file, which reads empty and
// refuses writes (EROFS): narrower than runc, never wider.
//
// Invariant (DESIGN.md: the broker is never wider than runc; masks are
// container-owned nodes): a masked path never names a host inode. Binding
// the host's /dev/null there (as this code once did) let a chmod, chown or
// utime of /proc/kcore inside change the host's /dev/null. The cover is a
// new superblock: nothing done to it reaches anything shared, and it is
// read-only, so the workload cannot even change its attributes (EROFS).
#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <linux/magic.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fmt/format.h"
#include "platform/errors.h"
#include "platform/rootfs.h"
#include "platform/rootfs_internal.h"
#include "platform/status_macros.h"
#include "platform/unique_fd.h"

namespace platform::internal {
namespace {

constexpr char kCoverName[] = "masked";

// The cover node in `mnt`: a /dev/null of its own, or (mknod refused) an
// empty 0444 file. Returns whether it is a device node.
absl::StatusOr<bool> MakeCoverNode(int mnt) {
  if (mknodat(mnt, kCoverName, S_IFCHR | 0666, makedev(1, 3)) == 0) {
    fchmodat(mnt, kCoverName, 0666, 0);  // not narrowed by the umask
    return true;
  }
  if (errno != EPERM) return LastError("making the cover node");
  UniqueFd file(openat(mnt, kCoverName, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0444));
  if (!file.valid()) return LastError("creating the empty file");
  fchmod(file.get(), 0444);  // not narrowed by the umask
  return false;              // closed here: a file open for writing keeps the mount writable (EBUSY)
}

// A detached, read-only tmpfs (nosuid, noexec; nodev unless its node is
// the /dev/null) holding the cover node; returns the mount's fd.
absl::StatusOr<UniqueFd> MakeCoverMount() {
  UniqueFd fs(static_cast<int>(syscall(SYS_fsopen, "tmpfs", FSOPEN_CLOEXEC)));
  if (!fs.valid()) return LastError("fsopen tmpfs");
  if (syscall(SYS_fsconfig, fs.get(), FSCONFIG_SET_STRING, "size", "4k", 0) != 0 ||
      syscall(SYS_fsconfig, fs.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0) {
    return LastError("creating a tmpfs");
  }
  UniqueFd mnt(static_cast<int>(syscall(SYS_fsmount, fs.get(), FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC)));
  if (!mnt.valid()) return LastError("fsmount");
  ASSIGN_OR_RETURN(bool device, MakeCoverNode(mnt.get()));
  mount_attr attr{};
  attr.attr_set = MOUNT_ATTR_RDONLY | (device ? 0 : MOUNT_ATTR_NODEV);
  if (syscall(SYS_mount_setattr, mnt.get(), "", AT_EMPTY_PATH, &attr, sizeof(attr)) != 0) {
    return LastError("making the tmpfs read-only");
  }
  return mnt;
}

// Kernels that cannot clone a file of a detached mount (open_tree EINVAL
// before Linux 6.15) get runc's cover: the container's own /dev/null, when
// it is a node the init made on the container's /dev tmpfs (never the
// host's, which a user namespace or a /dev bind would give).
absl::Status BindContainersDevNull(int root_fd, int target_fd) {
  ASSIGN_OR_RETURN(UniqueFd null, OpenInRoot(root_fd, "/dev/null", O_PATH | O_NOFOLLOW | O_CLOEXEC));
  struct stat st = {};
  struct statfs fs = {};
  if (fstat(null.get(), &st) != 0 || fstatfs(null.get(), &fs) != 0) return LastError("looking at /dev/null");
  if (!S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3) || fs.f_type != TMPFS_MAGIC) {
    return absl::FailedPreconditionError(
        "this kernel cannot bind a file of a detached mount, and the container's /dev/null is not its own node");
  }
  if (mount(ProcFdPath(null.get()).c_str(), ProcFdPath(target_fd).c_str(), nullptr, MS_BIND, nullptr) != 0) {
    return LastError("binding the container's /dev/null");
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status MaskCover::Cover(int root_fd, int target_fd) {
  if (!mount_.valid()) {
    ASSIGN_OR_RETURN(mount_, MakeCoverMount());
  }
  UniqueFd tree(static_cast<int>(syscall(SYS_open_tree, mount_.get(), kCoverName, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC)));
  if (!tree.valid() && errno == EINVAL) return BindContainersDevNull(root_fd, target_fd);
  if (!tree.valid()) return LastError("open_tree of the empty file");
  if (syscall(SYS_move_mount, tree.get(), "", target_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) != 0) {
    return LastError("binding the empty file");
  }
  return absl::OkStatus();
}

}  // namespace platform::internal
