// Openat and Truncate: the calls that open the target itself.
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

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

}  // namespace

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
  // O_CLOEXEC is forced on the gofer's copy; the sentry installs the fd
  // with the caller's own O_CLOEXEC choice.
  Opened opened = OpenBeneath(call.starts[0].get(), request.path, flags, mode, request.resolve);
  if (opened.error != 0) return Errno(opened.error);
  return Answer{0, std::move(opened.fd)};
}

// truncate(2): the path resolved following symlinks, then a regular file
// opened for writing (which is what checks write permission) and
// ftruncate'd. The type is checked on an O_PATH fd first so that a FIFO or
// device is never opened; the writable open is checked again (a rename in
// between can only swap in another file of the caller's own tree).
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
  Opened writable = OpenBeneath(start, request.path, O_WRONLY | O_NONBLOCK | O_NOCTTY, 0, 0);
  if (writable.error != 0) return Errno(writable.error);
  struct stat again = {};
  if (fstat(writable.fd.get(), &again) != 0) return Errno(errno);
  if (again.st_dev != st.st_dev || again.st_ino != st.st_ino) return Errno(EINVAL);
  return FromReturn(ftruncate(writable.fd.get(), request.length));
}

}  // namespace gofer
