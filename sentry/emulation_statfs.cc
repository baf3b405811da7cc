// statfs(2) and fstatfs(2) in the read-only view (DESIGN.md: "the read-only
// view is invisible"; statvfs(3) calls them). A mount the container may
// write is read-only in the workload's view, so the kernel says ST_RDONLY
// for it. The sentry asks the kernel the same question about the same
// object and answers with that one flag cleared; for every other mount (one
// read-only in the spec or on the host, or one that is not host storage)
// the kernel answers itself (CONTINUE). Every other flag (nosuid, nodev,
// noexec, ...) and figure is always the kernel's.
//
// Invariant: the sentry only reads, and never follows a path outside the
// caller's root. fstatfs looks at the caller's own open file (pidfd_getfd).
// statfs resolves the caller's path with openat2(RESOLVE_IN_ROOT |
// RESOLVE_NO_MAGICLINKS) beneath the caller's own root (its
// /proc/<tid>/root magic link), relative paths prefixed with the path of
// the caller's cwd in that root; the fd it gets is only given to fstatfs
// and statx. CONTINUE is safe (rule 1): statfs only reads what the caller's
// view already shows; a path swapped after we read it gets the kernel's
// answer for the new path, as a plain call would.
//
// Known difference: the sentry resolves with its own credentials, so a
// caller without search permission on a directory of the path is answered
// (for a writable mount) where Linux says EACCES. Failures of our own
// resolution (ENOENT, ELOOP, ENOTDIR...) are left to the kernel.
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <linux/stat.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fmt/format.h"
#include "platform/errors.h"
#include "sentry/broker_caller.h"
#include "sentry/broker_paths.h"
#include "sentry/emulation.h"

#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL
#endif

namespace sentry {
namespace {

using platform::CallResult;
using platform::UniqueFd;

// The caller's open file `fd` (a pidfd of the thread itself: threads may
// have fd tables of their own); invalid when it has none of that number.
UniqueFd TakeCallerFile(pid_t tid, int fd) {
  UniqueFd pidfd(static_cast<int>(syscall(SYS_pidfd_open, tid, PIDFD_THREAD)));
  if (!pidfd.valid()) return UniqueFd();
  return UniqueFd(
      static_cast<int>(syscall(SYS_pidfd_getfd, pidfd.get(), fd, 0)));
}

std::optional<uint64_t> MountIdOf(int fd) {
  struct statx stx = {};
  if (statx(fd, "", AT_EMPTY_PATH, STATX_MNT_ID, &stx) != 0 ||
      !(stx.stx_mask & STATX_MNT_ID))
    return std::nullopt;
  return stx.stx_mnt_id;
}

// The path statfs would resolve, relative to the caller's root: `path`
// itself when absolute, else joined to the cwd's path. Nothing for a
// relative path of a caller whose root is not its mount namespace's root (a
// chroot: its cwd's path in that root is not known) or whose cwd is gone.
std::optional<std::string> PathInCallerRoot(pid_t tid,
                                            const std::string& path) {
  if (path[0] == '/') return path;
  char root[PATH_MAX];
  ssize_t n = readlinkat(AT_FDCWD, fmt::format("/proc/{}/root", tid).c_str(),
                         root, sizeof(root));
  if (n != 1 || root[0] != '/') return std::nullopt;
  absl::StatusOr<CallerDir> cwd =
      OpenCallerDir(tid, DirRef{DirRef::Kind::kCwd});
  if (!cwd.ok()) return std::nullopt;
  return cwd->path + "/" + path;
}

// The caller's `path` opened O_PATH beneath its root, following symlinks
// as statfs does (magic links refused: they could lead out of the root).
UniqueFd OpenInCallerRoot(pid_t tid, const std::string& path) {
  UniqueFd root(open(fmt::format("/proc/{}/root", tid).c_str(),
                     O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root.valid()) return UniqueFd();
  struct open_how how = {};
  how.flags = O_PATH | O_CLOEXEC;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  return UniqueFd(static_cast<int>(
      syscall(SYS_openat2, root.get(), path.c_str(), &how, sizeof(how))));
}

// The answer for `file`, the caller's object: CONTINUE unless the kernel
// says ST_RDONLY for a mount the container may write; then the kernel's
// statfs of it without that flag, written at `addr`.
CallResult AnswerFor(int file, uint64_t addr, WritableMounts& writable,
                     const platform::TrappedCall& call,
                     platform::RemoteMemory& memory) {
  struct statfs st;
  if (fstatfs(file, &st) != 0 || !(st.f_flags & ST_RDONLY))
    return CallResult::Continue();
  std::optional<uint64_t> mount = MountIdOf(file);
  absl::StatusOr<std::set<uint64_t>> ids = writable.Ids(call.tid, memory);
  if (!ids.ok() && platform::IsCallGone(ids.status()))
    return CallResult::Error(EINTR);  // discarded
  if (!ids.ok() || !mount || !ids->contains(*mount))
    return CallResult::Continue();
  if (absl::Status live = memory.CheckLive(); !live.ok())
    return CallResult::Error(EINTR);  // discarded
  st.f_flags &= ~static_cast<decltype(st.f_flags)>(ST_RDONLY);
  absl::Status written = memory.Write(addr, &st, sizeof(st));
  if (!written.ok()) return CallResult::Error(platform::WorkloadErrno(written));
  return CallResult::Value(0);
}

}  // namespace

CallResult Emulator::HandleFstatfs(const platform::TrappedCall& call,
                                   platform::RemoteMemory& memory) const {
  if (writable_->empty() || call.tid == 0) return CallResult::Continue();
  UniqueFd file =
      TakeCallerFile(call.tid, static_cast<int>(call.args[0] & 0xffffffff));
  if (!file.valid())
    return CallResult::Continue();  // EBADF and the like: the kernel's own
                                    // answer
  return AnswerFor(file.get(), call.args[1], *writable_, call, memory);
}

CallResult Emulator::HandleStatfs(const platform::TrappedCall& call,
                                  platform::RemoteMemory& memory) const {
  if (writable_->empty() || call.tid == 0) return CallResult::Continue();
  absl::StatusOr<std::string> path = memory.ReadCString(call.args[0], PATH_MAX);
  if (!path.ok() || path->empty())
    return CallResult::Continue();  // EFAULT, ENAMETOOLONG, ENOENT: the
                                    // kernel's
  std::optional<std::string> in_root = PathInCallerRoot(call.tid, *path);
  if (!in_root || IsVirtualFileSystemPath(NormalizeLexically(*in_root),
                                          view_.host_storage_under_dev)) {
    return CallResult::Continue();
  }
  UniqueFd file = OpenInCallerRoot(call.tid, *in_root);
  if (!file.valid()) return CallResult::Continue();
  return AnswerFor(file.get(), call.args[1], *writable_, call, memory);
}

}  // namespace sentry
