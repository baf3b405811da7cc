#include "sentry/broker_fd.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <charconv>
#include <string_view>

#include "fmt/format.h"
#include "platform/status_macros.h"
#include "sentry/broker_caller.h"
#include "sentry/broker_paths.h"

#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL
#endif

namespace sentry {
namespace {

// A duplicate of the caller's fd `fd` (pidfd_getfd on a pidfd of the thread:
// threads may have fd tables of their own). EBADF when it has none.
absl::StatusOr<platform::UniqueFd> TakeCallerFd(pid_t tid, int fd) {
  platform::UniqueFd pidfd(static_cast<int>(syscall(SYS_pidfd_open, tid, PIDFD_THREAD)));
  if (!pidfd.valid()) return WorkloadError(ESRCH, fmt::format("pidfd_open {}", tid));
  platform::UniqueFd taken(static_cast<int>(syscall(SYS_pidfd_getfd, pidfd.get(), fd, 0)));
  if (!taken.valid()) return WorkloadError(errno == EBADF ? EBADF : errno, fmt::format("pidfd_getfd {}", fd));
  return taken;
}

bool OnReadOnlyMount(int fd) {
  struct statfs st;
  return fstatfs(fd, &st) == 0 && (st.f_flags & ST_RDONLY) != 0;
}

// The container path of our duplicate `fd` (d_path, relative to the root of
// the caller's mount namespace), or nullopt when it has none there (a
// deleted file, a detached mount) or it is too long to send.
std::optional<std::string> ContainerPathOf(int fd) {
  struct stat st;
  if (fstat(fd, &st) != 0 || st.st_nlink == 0) return std::nullopt;
  char buffer[gofer::protocol::kMaxPathLength + 16];
  ssize_t n = readlinkat(AT_FDCWD, fmt::format("/proc/self/fd/{}", fd).c_str(), buffer, sizeof(buffer));
  if (n <= 0 || static_cast<size_t>(n) > gofer::protocol::kMaxPathLength || buffer[0] != '/') return std::nullopt;
  return std::string(buffer, static_cast<size_t>(n));
}

}  // namespace

absl::StatusOr<std::optional<ResolvedOperand>> ResolveCallerFd(pid_t tid, const PathOperand& operand,
                                                               const std::vector<std::string>& host_storage_under_dev) {
  if (operand.dirfd < 0) return WorkloadError(EBADF, "a negative fd");
  ASSIGN_OR_RETURN(platform::UniqueFd fd, TakeCallerFd(tid, operand.dirfd));
  const int flags = fcntl(fd.get(), F_GETFL);
  if (operand.fd_form && (flags < 0 || (flags & O_PATH))) return WorkloadError(EBADF, "an O_PATH fd");
  // Only a read-only mount would make the kernel's answer differ from Linux's.
  if (!OnReadOnlyMount(fd.get())) return std::nullopt;
  std::optional<std::string> path = ContainerPathOf(fd.get());
  if (!path || IsVirtualFileSystemPath(*path, host_storage_under_dev)) return std::nullopt;
  if (operand.deferred_errno != 0) return WorkloadError(operand.deferred_errno, "after the fd");
  ResolvedOperand resolved;
  resolved.dir = gofer::protocol::Dir{gofer::protocol::Dir::Kind::kFd, *std::move(path)};
  resolved.fd = std::move(fd);
  return resolved;
}

absl::StatusOr<uint64_t> ReadFileSizeLimit(pid_t tid) {
  char text[4096];
  platform::UniqueFd fd(open(fmt::format("/proc/{}/limits", tid).c_str(), O_RDONLY | O_CLOEXEC));
  ssize_t n = fd.valid() ? read(fd.get(), text, sizeof(text) - 1) : -1;
  if (n <= 0) return WorkloadError(ESRCH, fmt::format("reading /proc/{}/limits", tid));
  std::string_view limits(text, static_cast<size_t>(n));
  constexpr std::string_view kLine = "Max file size";
  const size_t at = limits.find(kLine);
  if (at == std::string_view::npos) return absl::DataLossError("/proc limits: no \"Max file size\" line");
  std::string_view soft = limits.substr(at + kLine.size());
  soft.remove_prefix(std::min(soft.find_first_not_of(' '), soft.size()));
  soft = soft.substr(0, soft.find(' '));
  if (soft == "unlimited") return UINT64_MAX;
  uint64_t value = 0;
  auto [end, error] = std::from_chars(soft.data(), soft.data() + soft.size(), value);
  if (error != std::errc() || end != soft.data() + soft.size()) {
    return absl::DataLossError(fmt::format("/proc limits: bad file size limit \"{}\"", soft));
  }
  return value;
}

bool IsFileSizeLimitError(const gofer::protocol::Request& request, int64_t result) {
  const auto* truncate = std::get_if<gofer::protocol::Truncate>(&request.body);
  return truncate != nullptr && result == -EFBIG && static_cast<uint64_t>(truncate->length) > truncate->fsize_limit;
}

void RaiseFileSizeSignal(pid_t tgid, pid_t tid) { syscall(SYS_tgkill, tgid, tid, SIGXFSZ); }

}  // namespace sentry
