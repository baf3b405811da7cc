#include "sentry/sentry_filter.h"

#include <fcntl.h>
#include <stdio.h>
#include <grp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "fmt/format.h"
#include "gtest/gtest.h"
#include "sentry/broker_caller.h"
#include "sentry/caller_test_util.h"

#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL
#endif

namespace sentry {
namespace {

// The allowlist is the production binary's: AddressSanitizer's runtime makes
// calls outside it (and dies of SIGSYS), so the confined probes are skipped
// in sanitizer builds (the regular build in CI runs them).
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif

// Runs `probe` in a forked child confined as the sentry (its capabilities,
// no_new_privs, its allowlist) and returns its report.
std::string AsConfinedSentry(const std::function<std::string()>& probe, bool directfs = false) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return "pipe";
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    absl::Status confined = ConfineSentry({}, directfs);
    std::string report = confined.ok() ? probe() : std::string(confined.message());
    (void)!write(fds[1], report.data(), report.size());
    _exit(0);
  }
  close(fds[1]);
  std::string report;
  char buffer[512];
  for (ssize_t n; (n = read(fds[0], buffer, sizeof(buffer))) > 0;) report.append(buffer, n);
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status)) report += fmt::format(" (wait status {})", status);
  return report;
}

// What the broker and the emulation need of a NON-ROOT workload thread:
// /proc/<tid>/mem is 0600 and /proc/<tid>/fd is 0500, owned by the thread's
// uid, so CAP_SYS_PTRACE alone is not enough (EACCES before the ptrace check).
TEST(SentryFilterTest, TheConfinedSentryReachesANonRootWorkloadThread) {
  if (kSanitized) GTEST_SKIP() << "the sentry's allowlist does not cover the sanitizer runtime";
  testing::WaitingChild workload([]() -> std::string {
    if (setgroups(0, nullptr) != 0 || setgid(1000) != 0 || setuid(1000) != 0) return "setuid";
    return "";
  });
  ASSERT_EQ(workload.report(), "ok");
  const pid_t tid = workload.pid();
  std::string report = AsConfinedSentry([tid] {
    std::string out;
    auto try_open = [&](const std::string& what, const std::string& path, int flags) {
      int fd = open(path.c_str(), flags | O_CLOEXEC);
      out += fmt::format("{}={} ", what, fd >= 0 ? "ok" : strerrorname_np(errno));
      if (fd >= 0) close(fd);
    };
    try_open("mem-write", fmt::format("/proc/{}/mem", tid), O_WRONLY);
    try_open("mem-read", fmt::format("/proc/{}/mem", tid), O_RDONLY);
    try_open("cwd", fmt::format("/proc/{}/cwd", tid), O_PATH | O_DIRECTORY);
    try_open("root", fmt::format("/proc/{}/root", tid), O_PATH | O_DIRECTORY);
    try_open("fd", fmt::format("/proc/{}/fd/0", tid), O_PATH);
    int pidfd = static_cast<int>(syscall(SYS_pidfd_open, tid, PIDFD_THREAD));
    int taken = pidfd >= 0 ? static_cast<int>(syscall(SYS_pidfd_getfd, pidfd, 0, 0)) : -1;
    out += fmt::format("getfd={}", taken >= 0 ? "ok" : strerrorname_np(errno));
    return out;
  });
  EXPECT_EQ(report, "mem-write=ok mem-read=ok cwd=ok root=ok fd=ok getfd=ok");
}

// Every step the broker takes about a caller, under the sentry's own
// allowlist and capabilities: a call outside the allowlist would kill it
// (SIGSYS), which this test would see as a missing report.
TEST(SentryFilterTest, TheBrokersCallerStepsRunUnderTheSentrysFilter) {
  if (kSanitized) GTEST_SKIP() << "the sentry's allowlist does not cover the sanitizer runtime";
  testing::WaitingChild workload([]() -> std::string {
    int sock = socket(AF_UNIX, SOCK_STREAM, 0);
    if (sock < 0 || dup2(sock, 7) != 7 || chdir("/tmp") != 0) return "setup";
    if (setgroups(0, nullptr) != 0 || setgid(1000) != 0 || setuid(1000) != 0) return "setuid";
    return "";
  });
  ASSERT_EQ(workload.report(), "ok");
  const pid_t tid = workload.pid();
  std::string report = AsConfinedSentry([tid] {
    absl::StatusOr<CallerInfo> info = ReadCallerInfo(tid);
    absl::StatusOr<CallerDir> cwd = OpenCallerDir(tid, {DirRef::Kind::kCwd, -1});
    absl::StatusOr<CallerDir> root = OpenCallerDir(tid, {DirRef::Kind::kRoot, -1});
    absl::StatusOr<platform::UniqueFd> socket = TakeCallerSocket(tid, 7);
    absl::StatusOr<DirIdentity> identity = RootIdentity(tid);
    return fmt::format("uid={} cwd={} root={} socket={} identity={}", info.ok() ? info->creds.fsuid : 0,
                       cwd.ok() ? cwd->path : std::string(cwd.status().message()),
                       root.ok() ? root->path : std::string(root.status().message()), socket.ok(), identity.ok());
  });
  EXPECT_EQ(report, "uid=1000 cwd=/tmp root=/ socket=true identity=true");
}

// directfs (sentry_filter.h): the file calls are allowed from a real
// directory fd, and a call that would start at the sentry's cwd is killed.
TEST(SentryFilterTest, DirectfsCallsNeedARealDirectoryFd) {
  if (kSanitized) GTEST_SKIP() << "the sentry's allowlist does not cover the sanitizer runtime";
  char dir_template[] = "/tmp/sentry-filter-XXXXXX";
  ASSERT_NE(mkdtemp(dir_template), nullptr);
  const std::string dir = dir_template;
  std::string report = AsConfinedSentry(
      [&dir] {
        int fd = open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
        std::string out = fmt::format("mkdirat-fd={} ", mkdirat(fd, "d", 0700) == 0 ? "ok" : strerrorname_np(errno));
        out += fmt::format("fchmodat-fd={} ", fchmodat(fd, "d", 0755, 0) == 0 ? "ok" : strerrorname_np(errno));
        out += fmt::format("renameat-fd={}", renameat(fd, "d", fd, "e") == 0 ? "ok" : strerrorname_np(errno));
        return out;
      },
      /*directfs=*/true);
  EXPECT_EQ(report, "mkdirat-fd=ok fchmodat-fd=ok renameat-fd=ok");
  struct stat st;
  EXPECT_EQ(stat((dir + "/e").c_str(), &st), 0);
  for (const char* call : {"mkdirat", "renameat2-new", "symlinkat"}) {
    std::string killed = AsConfinedSentry(
        [&dir, call] {
          int fd = open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
          if (std::string(call) == "mkdirat") mkdirat(AT_FDCWD, "cwd-dir", 0700);
          if (std::string(call) == "renameat2-new") renameat2(fd, "e", AT_FDCWD, "cwd-moved", 0);
          if (std::string(call) == "symlinkat") symlinkat("x", AT_FDCWD, "cwd-link");
          return std::string("survived");
        },
        /*directfs=*/true);
    EXPECT_EQ(killed, fmt::format(" (wait status {})", SIGSYS)) << call;
  }
  std::filesystem::remove_all(dir);
}

// Without directfs the sentry makes none of those calls at all.
TEST(SentryFilterTest, StrictModeSentryCannotMakeDirectories) {
  if (kSanitized) GTEST_SKIP() << "the sentry's allowlist does not cover the sanitizer runtime";
  std::string report = AsConfinedSentry([] {
    int fd = open("/tmp", O_PATH | O_DIRECTORY | O_CLOEXEC);
    mkdirat(fd, "sentry-filter-never", 0700);
    return std::string("survived");
  });
  EXPECT_EQ(report, fmt::format(" (wait status {})", SIGSYS));
}

}  // namespace
}  // namespace sentry
