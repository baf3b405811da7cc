// Path text rules of the broker (PROTOCOL.md, "/proc/self and other magic
// links"): lexical only, no file system access, so they are pure and unit
// tested on their own.
#ifndef RUNSC_SENTRY_BROKER_PATHS_H_
#define RUNSC_SENTRY_BROKER_PATHS_H_

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sentry {

// `absolute` with "", "." and ".." components resolved lexically (".." at
// the root stays there), as "/a/b" ("/" for the root). Symlinks are not
// looked at: this is only used to decide which file system a path names.
std::string NormalizeLexically(std::string_view absolute);

// `dir` (absolute) joined with `relative`, normalised lexically.
std::string JoinLexically(std::string_view dir, std::string_view relative);

// True when `absolute`, normalised lexically, is /proc, /sys or /dev or lies
// beneath one of them, and is not at or beneath one of
// `host_storage_under_dev` (host binds beneath /dev, such as Kubernetes'
// /dev/termination-log): not host storage, so the broker lets the kernel run
// the call against the workload's view. Safe either way: host storage is
// read-only in that view, so a misjudged path gets EROFS, never a write.
bool IsVirtualFileSystemPath(std::string_view absolute, const std::vector<std::string>& host_storage_under_dev = {});

// The caller as its own pid namespace sees it (NStgid / NSpid).
struct CallerPids {
  pid_t tgid = 0;
  pid_t tid = 0;
};

// A path through one of the caller's own magic links.
struct MagicLink {
  enum class Kind { kCwd, kRoot, kFd };
  Kind kind = Kind::kCwd;
  int fd = -1;       // kFd: the caller's fd number
  std::string rest;  // the path after the link, verbatim ("" for the link itself)
};

// Parses a path whose leading components are /proc/self, /proc/thread-self,
// /proc/<tgid>, /proc/<tid>, /proc/<tgid or self>/task/<tid> (naming the
// caller, `pids`) followed by cwd, root or fd/<N>. Empty and "." components
// are skipped as the kernel does; a ".." among the leading components, a
// number with a leading zero or sign (which /proc refuses) or another
// process's pid is not a match. Only the path's own text is examined.
std::optional<MagicLink> ParseMagicLink(std::string_view path, CallerPids pids);

}  // namespace sentry

#endif  // RUNSC_SENTRY_BROKER_PATHS_H_
