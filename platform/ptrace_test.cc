// The ptrace platform against real children: a child loads a filter whose
// trapped calls return SECCOMP_RET_TRACE, hands itself over with the
// platform's WorkloadSide, and reports what its calls returned.
#include "platform/ptrace.h"

#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "fmt/format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "platform/status_matchers.h"
#include "platform/sync_channel.h"
#include "platform/unix_socket.h"

namespace platform {
namespace {

using testing::IsOk;

// TRACE for getppid, uname, openat and getuid; everything else ALLOW.
std::vector<sock_filter> TraceProgram(uint32_t trap) {
  std::vector<sock_filter> program = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr))};
  for (int nr : {SYS_getppid, SYS_uname, SYS_openat, SYS_getuid}) {
    program.push_back(
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, static_cast<uint32_t>(nr), 0, 1));
    program.push_back(BPF_STMT(BPF_RET | BPF_K, trap));
  }
  program.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
  return program;
}

class FunctionHandler : public CallHandler {
 public:
  explicit FunctionHandler(
      std::function<CallResult(const TrappedCall&, RemoteMemory&)> fn)
      : fn_(std::move(fn)) {}
  CallResult Handle(const TrappedCall& call, RemoteMemory& memory) override {
    return fn_(call, memory);
  }

 private:
  std::function<CallResult(const TrappedCall&, RemoteMemory&)> fn_;
};

std::string ReadReport(int fd) {
  std::string out;
  char buffer[512];
  pollfd pfd{fd, POLLIN, 0};
  while (poll(&pfd, 1, 10000) == 1) {
    ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n <= 0) break;
    out.append(buffer, static_cast<size_t>(n));
  }
  return out;
}

// Forks a child that hands itself to `platform` (as a container process
// does: LoadAndHandOver, then AwaitSentry) and runs `body`; returns its
// report. The platform reaps the child (it is its tracer).
std::string RunTraced(PtracePlatform& platform,
                      const std::function<std::string()>& body) {
  absl::StatusOr<const WorkloadSide*> side = WorkloadSideOf("ptrace");
  EXPECT_THAT(side, IsOk());
  int sockets[2], report[2];
  EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sockets), 0);
  EXPECT_EQ(pipe2(report, O_CLOEXEC), 0);
  const std::vector<sock_filter> program = TraceProgram((*side)->TrapAction());
  pid_t pid = fork();
  if (pid == 0) {
    close(sockets[0]);
    close(report[0]);
    std::string result = "handover failed";
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    if ((*side)->LoadAndHandOver(program, sockets[1]).ok() &&
        (*side)->AwaitSentry(sockets[1]).ok())
      result = body();
    if (write(report[1], result.data(), result.size()) < 0) _exit(3);
    _exit(0);
  }
  close(sockets[1]);
  close(report[1]);
  absl::StatusOr<nlohmann::json> request = ReceiveMessage(sockets[0]);
  absl::StatusOr<UniqueFd> pidfd = ReceiveFd(sockets[0]);
  EXPECT_THAT(request, IsOk());
  EXPECT_THAT(pidfd, IsOk());
  if (pidfd.ok()) {
    absl::Status attached = platform.Attach(std::move(*pidfd));
    EXPECT_THAT(attached, IsOk());
    EXPECT_THAT(SendMessage(sockets[0], {{"ok", true}}), IsOk());
  }
  close(sockets[0]);
  std::string out = ReadReport(report[0]);
  close(report[0]);
  return out;
}

CallResult Answer(const TrappedCall& call, RemoteMemory& memory) {
  if (call.nr == SYS_getppid) return CallResult::Value(4242);
  if (call.nr == SYS_getuid) return CallResult::Error(EPERM);
  if (call.nr == SYS_uname) {
    utsname name{};
    strcpy(name.nodename, "traced");
    absl::Status written = memory.Write(call.args[0], &name, sizeof(name));
    return written.ok() ? CallResult::Value(0)
                        : CallResult::Error(WorkloadErrno(written));
  }
  if (call.nr == SYS_openat) {
    absl::StatusOr<std::string> path = memory.ReadCString(call.args[1], 4096);
    if (!path.ok() || *path != "/magic") return CallResult::Continue();
    int fd = memfd_create("magic", MFD_CLOEXEC);
    if (write(fd, "injected", 8) != 8) return CallResult::Error(EIO);
    lseek(fd, 0, SEEK_SET);
    return CallResult::InjectFd(UniqueFd(fd), (call.args[2] & O_CLOEXEC) != 0);
  }
  return CallResult::Error(ENOSYS);
}

std::unique_ptr<PtracePlatform> Started(FunctionHandler& handler) {
  absl::StatusOr<std::unique_ptr<PtracePlatform>> platform =
      PtracePlatform::Create();
  EXPECT_THAT(platform, IsOk());
  EXPECT_THAT((*platform)->Start(&handler), IsOk());
  return std::move(*platform);
}

TEST(PtracePlatformTest, AnswersWithValuesErrorsAndMemoryWrites) {
  FunctionHandler handler(Answer);
  std::unique_ptr<PtracePlatform> platform = Started(handler);
  std::string report = RunTraced(*platform, [] {
    utsname name{};
    int rc = uname(&name);
    long uid = syscall(SYS_getuid);
    int uid_errno = errno;
    return fmt::format("getppid={} uname={} nodename={} getuid={} errno={}",
                       syscall(SYS_getppid), rc, name.nodename, uid, uid_errno);
  });
  EXPECT_EQ(
      report,
      fmt::format("getppid=4242 uname=0 nodename=traced getuid=-1 errno={}",
                  EPERM));
}

// The fd arrives at the lowest free number, as the native open's would,
// with the cloexec flag the call asked for, and no other fd is left behind.
TEST(PtracePlatformTest, InjectsFdsAtTheLowestFreeNumber) {
  FunctionHandler handler(Answer);
  std::unique_ptr<PtracePlatform> platform = Started(handler);
  std::string report = RunTraced(*platform, [] {
    auto open_fds = [] {
      int count = 0;
      for (int fd = 0; fd < 256; ++fd) count += fcntl(fd, F_GETFD) >= 0 ? 1 : 0;
      return count;
    };
    const int before = open_fds();
    int lowest = dup(0);
    close(lowest);
    int fd = openat(AT_FDCWD, "/magic", O_RDONLY);
    char text[16] = {};
    ssize_t n = read(fd, text, sizeof(text) - 1);
    int cloexec = fcntl(fd, F_GETFD) & FD_CLOEXEC;
    const int added = open_fds() - before;  // nothing else was left open
    int fd2 = openat(AT_FDCWD, "/magic", O_RDONLY | O_CLOEXEC);
    return fmt::format(
        "fd_is_lowest={} read={} {} cloexec={} added={} cloexec2={}",
        fd == lowest, n, text, cloexec, added,
        fcntl(fd2, F_GETFD) & FD_CLOEXEC);
  });
  EXPECT_EQ(report,
            "fd_is_lowest=true read=8 injected cloexec=0 added=1 cloexec2=1");
}

// Forked children are traced from birth (their trapped calls reach the
// handler), and their own parent still waits for them, as untraced.
TEST(PtracePlatformTest, TracesForkedChildrenWhileTheirParentStillReapsThem) {
  FunctionHandler handler(Answer);
  std::unique_ptr<PtracePlatform> platform = Started(handler);
  std::string report = RunTraced(*platform, [] {
    int pipe_fds[2];
    if (pipe(pipe_fds) != 0) return std::string("pipe failed");
    pid_t child = fork();
    if (child == 0) {
      long ppid = syscall(SYS_getppid);
      if (write(pipe_fds[1], &ppid, sizeof(ppid)) < 0) _exit(2);
      _exit(0);
    }
    long child_ppid = 0;
    if (read(pipe_fds[0], &child_ppid, sizeof(child_ppid)) !=
        sizeof(child_ppid))
      return std::string("read failed");
    int status = 0;
    waitpid(child, &status, 0);
    return fmt::format("child_getppid={} child_exit={}", child_ppid,
                       WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  });
  EXPECT_EQ(report, "child_getppid=4242 child_exit=0");
}

// A trapped call the process's own later filter traces (other data) gets
// ENOSYS, as it would with no tracer of its own.
TEST(PtracePlatformTest, AnotherFiltersTraceGetsEnosys) {
  FunctionHandler handler(Answer);
  std::unique_ptr<PtracePlatform> platform = Started(handler);
  std::string report = RunTraced(*platform, [] {
    std::vector<sock_filter> own = TraceProgram(SECCOMP_RET_TRACE | 7);
    sock_fprog prog{static_cast<unsigned short>(own.size()), own.data()};
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0)
      return std::string("own filter failed");
    long rc = syscall(SYS_getppid);
    return fmt::format("getppid={} errno={}", rc, errno);
  });
  EXPECT_EQ(report, fmt::format("getppid=-1 errno={}", ENOSYS));
}

TEST(PtracePlatformTest, AttachBeforeStartIsRefused) {
  absl::StatusOr<std::unique_ptr<PtracePlatform>> platform =
      PtracePlatform::Create();
  ASSERT_THAT(platform, IsOk());
  UniqueFd self(static_cast<int>(syscall(SYS_pidfd_open, getpid(), 0)));
  EXPECT_FALSE((*platform)->Attach(std::move(self)).ok());
}

}  // namespace
}  // namespace platform
