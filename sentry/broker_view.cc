#include "sentry/broker_view.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "platform/unique_fd.h"

namespace sentry {
namespace {

// An O_PATH fd of `path` under `dir`, resolved with `resolve`; invalid with
// errno set on failure.
platform::UniqueFd OpenPath(int dir, const std::string& path, uint64_t flags,
                            uint64_t resolve) {
  open_how how{};
  how.flags = flags | O_PATH | O_CLOEXEC;
  how.resolve = resolve | RESOLVE_NO_MAGICLINKS;
  return platform::UniqueFd(static_cast<int>(
      syscall(SYS_openat2, dir, path.c_str(), &how, sizeof(how))));
}

// The mount of `fd` is writable in the view the fd was found in.
bool OnWritableMount(int fd) {
  struct statfs st;
  return fstatfs(fd, &st) == 0 && (st.f_flags & ST_RDONLY) == 0;
}

}  // namespace

bool OnWritableMountInView(int root_fd, const std::string& path,
                           bool follows_last) {
  const size_t end = path.find_last_not_of('/');
  if (end == std::string::npos) return false;  // "" or the root itself
  const size_t slash = path.rfind('/', end);
  const std::string last =
      path.substr(slash == std::string::npos ? 0 : slash + 1, end - slash);
  if (last == "." || last == "..") return false;
  const std::string parent =
      slash == std::string::npos ? "." : path.substr(0, slash + 1);
  platform::UniqueFd dir =
      OpenPath(root_fd, parent, O_DIRECTORY, RESOLVE_IN_ROOT);
  if (!dir.valid() || !OnWritableMount(dir.get())) return false;
  platform::UniqueFd entry =
      OpenPath(dir.get(), last, O_NOFOLLOW, RESOLVE_BENEATH);
  if (!entry.valid()) return errno == ENOENT;
  struct stat st;
  if (fstat(entry.get(), &st) != 0) return false;
  if (S_ISLNK(st.st_mode)) return !follows_last;  // the link itself, in `dir`
  // A mount point (a file bind-mounted from the host) is judged by its own
  // mount.
  return OnWritableMount(entry.get());
}

}  // namespace sentry
