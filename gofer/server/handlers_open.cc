// Openat and Truncate: the calls that open the target itself.
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "gofer/server/handlers.h"
#include "gofer/server/resolve.h"

namespace gofer {
namespace {

// The flags openat2 accepts (the kernel's VALID_OPEN_FLAGS; O_LARGEFILE is
// 0 in glibc's 64-bit headers but 0100000 to the kernel).
constexpr uint64_t kKernelLargefile = 0100000;
constexpr uint64_t kValidOpenFlags = O_ACCMODE | O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_APPEND |
                                     O_NONBLOCK | O_SYNC | O_DSYNC | O_ASYNC | O_DIRECT |
                                     kKernelLargefile | O_DIRECTORY | O_NOFOLLOW | O_NOATIME |
                                     O_CLOEXEC | O_PATH | O_TMPFILE;

bool CreatesFile(uint64_t flags) { return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE; }

bool IsFifoOrDevice(mode_t mode) { return S_ISFIFO(mode) || S_ISCHR(mode) || S_ISBLK(mode); }

// True when `path` resolves (as the open would: same O_NOFOLLOW and
// RESOLVE_* flags) to a FIFO or a device node. A missing target is false:
// O_CREAT makes a regular file.
bool NamesFifoOrDevice(int start, const std::string& path, uint64_t flags, uint64_t resolve) {
  Opened target = OpenBeneath(start, path, O_PATH | (flags & O_NOFOLLOW), 0, resolve);
  struct stat st = {};
  return target.error == 0 && fstat(target.fd.get(), &st) == 0 && IsFifoOrDevice(st.st_mode);
}

Answer LeaveToKernel() { return Answer{protocol::Result::kLeaveToKernel, platform::UniqueFd()}; }

// The open itself, never blocking: O_NONBLOCK is added, and taken off the
// file again when the caller did not ask for it. A FIFO or device that
// was swapped in after NamesFifoOrDevice looked is closed unused.
Answer OpenNonBlocking(int start, const std::string& path, uint64_t flags, uint64_t mode, uint64_t resolve) {
  Opened opened = OpenBeneath(start, path, flags | O_NONBLOCK, mode, resolve);
  if (opened.error == ENXIO || opened.error == EACCES) {
    // A FIFO without a reader, or a node on our nodev tree.
    if (NamesFifoOrDevice(start, path, flags, resolve)) return LeaveToKernel();
  }
  if (opened.error != 0) return Errno(opened.error);
  struct stat st = {};
  if (fstat(opened.fd.get(), &st) != 0) return Errno(errno);
  if (IsFifoOrDevice(st.st_mode)) return LeaveToKernel();
  if (!(flags & O_NONBLOCK) && !(flags & O_PATH)) {
    int status_flags = fcntl(opened.fd.get(), F_GETFL);
    if (status_flags < 0 || fcntl(opened.fd.get(), F_SETFL, status_flags & ~O_NONBLOCK) != 0) return Errno(errno);
  }
  return Answer{0, std::move(opened.fd)};
}

// truncate(2) of `last`, in the serving thread's cwd, with the caller's
// RLIMIT_FSIZE, `limit`, checked where the kernel checks it
// (inode_newsize_ok): after the write permission (EACCES, EROFS), before the
// size changes. The sentry raises SIGXFSZ.
Answer TruncateWithinLimit(const std::string& last, int64_t length, uint64_t limit) {
  if (static_cast<uint64_t>(length) > limit) {
    if (faccessat(AT_FDCWD, last.c_str(), W_OK, AT_EACCESS) != 0) return Errno(errno);
    return Errno(EFBIG);
  }
  return FromReturn(truncate(last.c_str(), length));
}

}  // namespace

// Invariant (PROTOCOL.md, "Requests in detail"): the gofer never opens a
// FIFO or a device node for the workload, and never blocks in an open. It
// looks first (a FIFO opened even non-blocking would complete the open of
// a writer waiting for a reader) and answers kLeaveToKernel for those.
Answer HandleOpenat(Call& call, const protocol::Openat& request) {
  uint64_t flags = request.flags;
  uint64_t mode = request.mode;
  if (request.resolve == 0) {
    // open/openat/creat ignore unknown flags and, without O_CREAT or
    // O_TMPFILE, the mode; openat2 would refuse both with EINVAL.
    flags &= kValidOpenFlags;
    mode = CreatesFile(flags) ? mode & 07777 : 0;
  }
  if (request.path.empty()) return Errno(ENOENT);
  const int start = call.starts[0].get();
  const bool may_exist = !(flags & O_EXCL) && (flags & O_TMPFILE) != O_TMPFILE;
  if (may_exist && !(flags & O_PATH) && NamesFifoOrDevice(start, request.path, flags, request.resolve)) {
    return LeaveToKernel();
  }
  // O_CLOEXEC is forced on the gofer's copy; the sentry installs the fd
  // with the caller's own O_CLOEXEC choice.
  return OpenNonBlocking(start, request.path, flags, mode, request.resolve);
}

// truncate(2): the path resolved following symlinks to an O_PATH fd,
// which must be a regular file (so a FIFO or device is never opened), then
// truncate(2) itself on the last component from its parent, made the
// serving thread's cwd (as the xattr calls' InParent: a final symlink is
// followed by the kernel within the gofer's root). The kernel checks write
// permission with the caller's credentials and refuses an append-only or
// immutable file; no file is opened, so a watcher sees IN_MODIFY only, as
// on Linux (an open for writing would add IN_OPEN and IN_CLOSE_WRITE).
Answer HandleTruncate(Call& call, const protocol::Truncate& request) {
  if (request.length < 0) return Errno(EINVAL);
  if (request.path.empty()) return Errno(ENOENT);
  int start = call.starts[0].get();
  Opened target = OpenBeneath(start, request.path, O_PATH, 0, 0);
  if (target.error != 0) return Errno(target.error);
  struct stat st = {};
  if (fstat(target.fd.get(), &st) != 0) return Errno(errno);
  if (S_ISDIR(st.st_mode)) return Errno(EISDIR);
  if (!S_ISREG(st.st_mode)) return Errno(EINVAL);
  Parent parent = OpenParent(start, request.path);
  if (parent.error != 0) return Errno(parent.error);
  call.moved_cwd = true;
  if (fchdir(parent.dir.get()) != 0) return Errno(errno);
  return TruncateWithinLimit(parent.last, request.length, request.fsize_limit);
}

}  // namespace gofer
