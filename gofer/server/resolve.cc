#include "gofer/server/resolve.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace gofer {
namespace {

Opened Openat2(int dirfd, const std::string& path, const open_how& how) {
  long fd = syscall(SYS_openat2, dirfd, path.c_str(), &how, sizeof(how));
  if (fd < 0) return Opened{platform::UniqueFd(), errno};
  return Opened{platform::UniqueFd(static_cast<int>(fd)), 0};
}

bool SameInode(const struct stat& a, const struct stat& b) {
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

}  // namespace

Opened OpenStart(int root_fd, const protocol::Dir& dir, int received_fd,
                 uint64_t open_flags) {
  if (dir.kind == protocol::Dir::Kind::kRoot) {
    int fd = fcntl(root_fd, F_DUPFD_CLOEXEC, 0);
    if (fd < 0) return Opened{platform::UniqueFd(), errno};
    return Opened{platform::UniqueFd(fd), 0};
  }
  struct stat received = {};
  if (fstat(received_fd, &received) != 0)
    return Opened{platform::UniqueFd(), EBADF};
  if (received.st_nlink == 0) return Opened{platform::UniqueFd(), ENOENT};
  // The gofer opens no FIFO, socket or device for the workload (PROTOCOL.md).
  // Linux refuses user.* xattrs on them (EPERM); the trusted.* and
  // security.* ones a CAP_SYS_ADMIN caller could set are refused too. A path
  // the container swaps for its own FIFO meanwhile is opened non-blocking
  // and fails the identity check below (a device: EACCES, the tree is nodev).
  if (open_flags != kPathStart && !S_ISREG(received.st_mode) &&
      !S_ISDIR(received.st_mode)) {
    return Opened{platform::UniqueFd(), EPERM};
  }
  // The client's fd is only an identity: the walk below starts at the
  // root and is bounded by it, whatever dir.path says.
  open_how how = {};
  how.flags = open_flags | O_CLOEXEC;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  Opened own = Openat2(root_fd, dir.path, how);
  // A readable open can fail where an O_PATH walk would not (no read
  // permission, a nodev device): that open's errno (Perform then retries
  // with the gofer's own credentials); a path that is gone is ESTALE.
  if (own.error != 0 && open_flags != kPathStart && own.error != ENOENT &&
      own.error != ENOTDIR && own.error != ELOOP) {
    return own;
  }
  struct stat mine = {};
  if (own.error != 0 || fstat(own.fd.get(), &mine) != 0 ||
      !SameInode(mine, received)) {
    return Opened{platform::UniqueFd(), ESTALE};
  }
  return own;
}

Opened OpenBeneath(int start, const std::string& path, uint64_t flags,
                   uint64_t mode, uint64_t resolve) {
  open_how how = {};
  how.flags = flags | O_CLOEXEC;
  how.mode = mode;
  how.resolve = resolve | RESOLVE_NO_MAGICLINKS;
  return Openat2(start, path, how);
}

std::pair<std::string, std::string> SplitLast(const std::string& path) {
  size_t end = path.find_last_not_of('/');
  if (end == std::string::npos) return {"", path};  // "" or only slashes
  size_t slash = path.rfind('/', end);
  if (slash == std::string::npos) return {"", path};
  return {path.substr(0, slash + 1), path.substr(slash + 1)};
}

Parent OpenParent(int start, const std::string& path) {
  if (path.empty()) return Parent{platform::UniqueFd(), "", ENOENT};
  auto [parent, last] = SplitLast(path);
  // An empty parent text is `start` itself ("." would do, but a dup is
  // cheaper than a walk).
  Opened dir =
      parent.empty()
          ? Opened{platform::UniqueFd(fcntl(start, F_DUPFD_CLOEXEC, 0)), 0}
          : OpenBeneath(start, parent, O_PATH | O_DIRECTORY, 0, 0);
  if (dir.error == 0 && !dir.fd.valid()) dir.error = errno;
  return Parent{std::move(dir.fd), std::move(last), dir.error};
}

}  // namespace gofer
