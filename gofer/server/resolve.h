// Path resolution for the gofer (PROTOCOL.md, "Resolution").
//
// Invariant: no walk ever reaches a file outside the root, and no walk ever
// starts at a fd the client sent. Every walk starts at the root fd or at a
// directory the gofer opened itself (beneath the root, RESOLVE_IN_ROOT) and
// checked to be the same inode as the client's fd; it refuses magic links
// (RESOLVE_NO_MAGICLINKS); `..` and absolute symlinks stop at the serving
// thread's root, which is the root fd: the container root in production
// (the gofer is pivot_root'ed there) and, in tests, a directory the serving
// thread chroot()s into (it has its own fs struct, unshare(CLONE_FS)).
//
// Why walks from a verified directory fd are plain openat2
// (RESOLVE_NO_MAGICLINKS plus the caller's RESOLVE_* flags) bounded by the
// thread's root, rather than one RESOLVE_IN_ROOT walk of `dir_path + "/" +
// path` from the root fd: the joined walk would re-walk dir_path after the
// identity check (a rename in between would move the call elsewhere), could
// exceed PATH_MAX where the native call does not, and would apply the caller's
// RESOLVE_BENEATH and RESOLVE_NO_XDEV to dir_path's components too (wrong
// answers: EXDEV). The walk from the verified fd is exactly the native call;
// the root bounds it.
#ifndef RUNSC_GOFER_SERVER_RESOLVE_H_
#define RUNSC_GOFER_SERVER_RESOLVE_H_

#include <fcntl.h>

#include <cstdint>
#include <string>

#include "gofer/protocol/wire.h"
#include "platform/unique_fd.h"

namespace gofer {

// OpenStart's open flags: an O_PATH start, or a readable one that opens no
// FIFO for long, takes no controlling tty and follows no final symlink (a
// received fd's path is its real path, which ends in none).
inline constexpr uint64_t kPathStart = O_PATH;
inline constexpr uint64_t kReadableStart =
    O_RDONLY | O_NONBLOCK | O_NOCTTY | O_NOFOLLOW;

// A file the gofer opened, or the errno that answers the call instead.
struct Opened {
  platform::UniqueFd fd;
  int error = 0;  // 0 when fd is valid
};

// The directory that holds a path's last component, and that component
// (with its trailing slashes, which the kernel interprets).
struct Parent {
  platform::UniqueFd dir;
  std::string last;
  int error = 0;
};

// The gofer's own fd for where a request's path starts (PROTOCOL.md rule 2):
// for Dir::kRoot a dup of `root_fd`; for Dir::kFd, `dir.path` opened by the
// gofer beneath `root_fd` (RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS) and
// compared with `received_fd` by st_dev/st_ino: -ESTALE on mismatch or when
// dir.path does not resolve, -ENOENT when the received directory is
// deleted. `received_fd` is used only for fstat. The result need not be a
// directory (an AT_EMPTY_PATH call names a file this way); a walk from a
// non-directory fails with ENOTDIR as it would natively. `open_flags` is
// O_PATH, or kReadableStart for a call that needs a file that is not O_PATH
// (fsetxattr, fremovexattr); a failure to open it is that open's errno.
Opened OpenStart(int root_fd, const protocol::Dir& dir, int received_fd,
                 uint64_t open_flags = kPathStart);

// openat2(start, path, how) with RESOLVE_NO_MAGICLINKS added and O_CLOEXEC
// forced. `path` may be absolute (it then starts at the thread's root).
Opened OpenBeneath(int start, const std::string& path, uint64_t flags,
                   uint64_t mode, uint64_t resolve);

// Splits `path` into its parent directory (opened O_PATH|O_DIRECTORY from
// `start` with OpenBeneath) and its last component. An empty path is
// ENOENT. A path of only slashes has the root itself as "last" (so the
// kernel gives mkdir EEXIST, rmdir EBUSY); "." and ".." stay the last
// component, as the kernel expects them (EEXIST, EINVAL, ENOTEMPTY, EBUSY).
Parent OpenParent(int start, const std::string& path);

// Splits a path into (parent text, last component) as OpenParent does,
// without touching the filesystem. Exposed for tests.
std::pair<std::string, std::string> SplitLast(const std::string& path);

}  // namespace gofer

#endif  // RUNSC_GOFER_SERVER_RESOLVE_H_
