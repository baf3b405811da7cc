#include "sentry/broker_caller.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <charconv>
#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/cord.h"
#include "fmt/format.h"
#include "platform/errors.h"
#include "platform/status_macros.h"

#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL
#endif

namespace sentry {
namespace {

constexpr char kErrnoPayload[] = "runsc.sentry/broker-errno";

// The whitespace-separated fields after "Name:" on the line named `name`
// (views into `text`). One scan, no copies: the broker parses a status per
// brokered call.
std::vector<std::string_view> Fields(std::string_view text, std::string_view name) {
  std::vector<std::string_view> fields;
  while (!text.empty()) {
    const size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    if (line.size() <= name.size() || line[name.size()] != ':' || !line.starts_with(name)) continue;
    line.remove_prefix(name.size() + 1);
    while (true) {
      const size_t start = line.find_first_not_of(" \t");
      if (start == std::string_view::npos) break;
      line.remove_prefix(start);
      const size_t stop = std::min(line.find_first_of(" \t"), line.size());
      fields.push_back(line.substr(0, stop));
      line.remove_prefix(stop);
    }
    return fields;
  }
  return fields;
}

template <typename T>
absl::StatusOr<T> Number(std::string_view text, int base, std::string_view what) {
  T value{};
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value, base);
  if (error != std::errc() || end != text.data() + text.size()) {
    return absl::DataLossError(fmt::format("/proc status: bad {} \"{}\"", what, text));
  }
  return value;
}

// Field `index` of line `name` as a number.
template <typename T>
absl::StatusOr<T> Field(std::string_view text, std::string_view name, size_t index, int base = 10) {
  std::vector<std::string_view> fields = Fields(text, name);
  if (fields.size() <= index) return absl::DataLossError(fmt::format("/proc status: no {} field {}", name, index));
  return Number<T>(fields[index], base, name);
}

// The last field of `name` (the innermost pid namespace), else `fallback`'s first.
absl::StatusOr<pid_t> InnermostPid(std::string_view text, std::string_view name, std::string_view fallback) {
  std::vector<std::string_view> fields = Fields(text, name);
  if (fields.empty()) return Field<pid_t>(text, fallback, 0);
  return Number<pid_t>(fields.back(), 10, name);
}

absl::Status ParseGroups(std::string_view text, std::vector<uint32_t>& groups) {
  std::vector<std::string_view> fields = Fields(text, "Groups");
  if (fields.size() > gofer::protocol::kMaxGroups) {
    return WorkloadError(EPERM, fmt::format("the caller has {} supplementary groups; the gofer takes at most {}",
                                            fields.size(), gofer::protocol::kMaxGroups));
  }
  for (std::string_view field : fields) {
    ASSIGN_OR_RETURN(uint32_t group, Number<uint32_t>(field, 10, "Groups"));
    groups.push_back(group);
  }
  return absl::OkStatus();
}

// The errno of a failed open/readlink of a /proc/<tid> entry.
int ProcErrno(int err, DirRef::Kind kind) {
  if (err == ENOENT && kind == DirRef::Kind::kFd) return EBADF;
  return err;
}

std::string DirName(pid_t tid, DirRef ref) {
  switch (ref.kind) {
    case DirRef::Kind::kCwd:
      return fmt::format("/proc/{}/cwd", tid);
    case DirRef::Kind::kRoot:
      return fmt::format("/proc/{}/root", tid);
    case DirRef::Kind::kFd:
      break;
  }
  return fmt::format("/proc/{}/fd/{}", tid, ref.fd);
}

// The path of our own fd: d_path of the caller's directory. It is relative
// to the root of the mount namespace the directory is in (the container's
// root after pivot_root), since the sentry's root is not above it.
absl::StatusOr<std::string> PathOfFd(int fd) {
  char buffer[4096 + 16];
  // readlinkat: glibc's readlink is SYS_readlink, which the sentry's allowlist lacks.
  ssize_t n = readlinkat(AT_FDCWD, fmt::format("/proc/self/fd/{}", fd).c_str(), buffer, sizeof(buffer));
  if (n < 0) return WorkloadError(errno, "reading a directory's path");
  if (static_cast<size_t>(n) > gofer::protocol::kMaxPathLength) {
    return WorkloadError(ENAMETOOLONG, "the directory's path is too long");
  }
  std::string path(buffer, static_cast<size_t>(n));
  // Not a path in a mount tree (an unreachable or detached directory).
  if (path.empty() || path[0] != '/') return WorkloadError(ENOENT, fmt::format("directory path \"{}\"", path));
  return path;
}

pid_t TgidOf(pid_t tid) {
  std::ifstream status(fmt::format("/proc/{}/status", tid));
  std::stringstream text;
  text << status.rdbuf();
  absl::StatusOr<pid_t> tgid = Field<pid_t>(text.str(), "Tgid", 0);
  return tgid.ok() ? *tgid : tid;
}

}  // namespace

absl::Status WorkloadError(int err, std::string_view what) {
  absl::Status status = platform::ErrnoError(err, what);
  status.SetPayload(kErrnoPayload, absl::Cord(std::to_string(err)));
  return status;
}

int AnswerErrno(const absl::Status& status) {
  if (auto payload = status.GetPayload(kErrnoPayload)) {
    int err = 0;
    std::string text(*payload);
    std::from_chars(text.data(), text.data() + text.size(), err);
    if (err > 0 && err < 4096) return err;
  }
  return EIO;
}

absl::StatusOr<CallerInfo> ParseProcStatus(std::string_view text) {
  CallerInfo info;
  ASSIGN_OR_RETURN(info.creds.fsuid, Field<uint32_t>(text, "Uid", 3));
  ASSIGN_OR_RETURN(info.creds.fsgid, Field<uint32_t>(text, "Gid", 3));
  ASSIGN_OR_RETURN(info.creds.cap_effective, Field<uint64_t>(text, "CapEff", 0, 16));
  ASSIGN_OR_RETURN(info.uid, Field<uint32_t>(text, "Uid", 0));
  ASSIGN_OR_RETURN(info.gid, Field<uint32_t>(text, "Gid", 0));
  ASSIGN_OR_RETURN(info.cap_permitted, Field<uint64_t>(text, "CapPrm", 0, 16));
  ASSIGN_OR_RETURN(info.creds.umask, Field<uint32_t>(text, "Umask", 0, 8));
  info.creds.umask &= 0777;
  RETURN_IF_ERROR(ParseGroups(text, info.creds.groups));
  ASSIGN_OR_RETURN(info.tgid, Field<pid_t>(text, "Tgid", 0));
  ASSIGN_OR_RETURN(info.pids.tgid, InnermostPid(text, "NStgid", "Tgid"));
  ASSIGN_OR_RETURN(info.pids.tid, InnermostPid(text, "NSpid", "Pid"));
  return info;
}

absl::StatusOr<CallerInfo> ReadCallerInfo(pid_t tid) {
  char name[32];
  *fmt::format_to_n(name, sizeof(name) - 1, "/proc/{}/status", tid).out = '\0';
  platform::UniqueFd fd(open(name, O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return WorkloadError(ESRCH, fmt::format("reading {}", name));
  // Plain reads into one buffer (an ifstream costs more than the kernel's
  // part here); up to kMaxGroups groups make the file ~12 KiB. The file is
  // a single_open seq_file: the kernel formats it whole on the first read
  // and hands out as much as fits, so a read that leaves room is the end.
  std::string text(4096, '\0');
  size_t used = 0;
  while (true) {
    if (used == text.size()) text.resize(text.size() * 2);
    ssize_t n = read(fd.get(), text.data() + used, text.size() - used);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return WorkloadError(ESRCH, fmt::format("reading {}", name));
    used += static_cast<size_t>(n);
    if (used < text.size()) break;  // short (or 0): the end
    if (used > 1 << 20) return absl::DataLossError(fmt::format("{} is too large", name));
  }
  text.resize(used);
  return ParseProcStatus(text);
}

absl::StatusOr<CallerDir> OpenCallerDir(pid_t tid, DirRef ref) {
  const std::string name = DirName(tid, ref);
  // Invariant: the fd is opened through the caller's own magic link, so it
  // is the directory its call would start from (not one found by path).
  platform::UniqueFd fd(open(name.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) return WorkloadError(ProcErrno(errno, ref.kind), fmt::format("opening {}", name));
  struct stat st;
  if (fstat(fd.get(), &st) != 0) return WorkloadError(errno, fmt::format("fstat {}", name));
  // A deleted directory (Linux answers ENOENT for creating in a deleted cwd).
  if (st.st_nlink == 0) return WorkloadError(ENOENT, fmt::format("{} was deleted", name));
  ASSIGN_OR_RETURN(std::string path, PathOfFd(fd.get()));
  return CallerDir{std::move(fd), std::move(path)};
}

absl::StatusOr<platform::UniqueFd> TakeCallerSocket(pid_t tid, int fd) {
  // A pidfd of the thread itself: threads may have fd tables of their own.
  platform::UniqueFd pidfd(static_cast<int>(syscall(SYS_pidfd_open, tid, PIDFD_THREAD)));
  if (!pidfd.valid() && errno == EINVAL) {
    pid_t tgid = TgidOf(tid);
    if (tgid == tid) pidfd.reset(static_cast<int>(syscall(SYS_pidfd_open, tid, 0)));
  }
  if (!pidfd.valid()) return WorkloadError(ESRCH, fmt::format("pidfd_open {}", tid));
  platform::UniqueFd socket(static_cast<int>(syscall(SYS_pidfd_getfd, pidfd.get(), fd, 0)));
  if (!socket.valid()) return WorkloadError(errno == EBADF ? EBADF : errno, fmt::format("pidfd_getfd {}", fd));
  struct stat st;
  if (fstat(socket.get(), &st) != 0 || !S_ISSOCK(st.st_mode)) {
    return WorkloadError(ENOTSOCK, fmt::format("the caller's fd {} is not a socket", fd));
  }
  return socket;
}

absl::StatusOr<DirIdentity> RootIdentity(pid_t pid) {
  struct stat st;
  if (stat(fmt::format("/proc/{}/root", pid).c_str(), &st) != 0) {
    return WorkloadError(errno, fmt::format("stat /proc/{}/root", pid));
  }
  return DirIdentity{st.st_dev, st.st_ino};
}

}  // namespace sentry
