#include "platform/seccomp_notify.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "fmt/format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "platform/child_test_util.h"
#include "platform/remote_memory.h"
#include "platform/status_matchers.h"
#include "platform/unix_socket.h"

namespace platform {
namespace {

using ::platform::testing::IsOk;
using ::platform::testing::StatusIs;
using ::testing::_;
using ::testing::Return;
using ::testing::SetErrnoAndReturn;
using namespace std::chrono_literals;

constexpr auto kTimeout = 10s;

// Counts events; waits for a number of them, bounded.
class Events {
 public:
  void Notify() {
    std::lock_guard<std::mutex> lock(mutex_);
    ++count_;
    cv_.notify_all();
  }
  bool WaitFor(int count, std::chrono::milliseconds timeout = kTimeout) {
    std::unique_lock<std::mutex> lock(mutex_);
    return cv_.wait_for(lock, timeout, [&] { return count_ >= count; });
  }
  int count() {
    std::lock_guard<std::mutex> lock(mutex_);
    return count_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  int count_ = 0;
};

// A handler that runs `fn` and counts the calls.
class FunctionHandler : public CallHandler {
 public:
  explicit FunctionHandler(std::function<CallResult(const TrappedCall&, RemoteMemory&)> fn)
      : fn_(std::move(fn)) {}
  CallResult Handle(const TrappedCall& call, RemoteMemory& memory) override {
    CallResult result = fn_(call, memory);
    handled.Notify();
    return result;
  }
  Events handled;

 private:
  std::function<CallResult(const TrappedCall&, RemoteMemory&)> fn_;
};

// ---------------------------------------------------------------------------
// Real kernel, real listeners.

// Traps uname, getppid and dup (x86_64); allows everything else.
std::vector<sock_filter> TestProgram() {
  return {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_uname, 3, 0),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 2, 0),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_dup, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
  };
}

// Everything read from `fd` until EOF, or nullopt after `timeout`.
std::optional<std::string> ReadAll(int fd, std::chrono::milliseconds timeout = kTimeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string out;
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    pollfd pfd{fd, POLLIN, 0};
    if (poll(&pfd, 1, static_cast<int>(left.count())) <= 0) continue;
    char buffer[512];
    ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return out;
    out.append(buffer, n);
  }
}

// True once `pid` has exited (and was reaped) within `timeout`.
bool WaitExit(pid_t pid, std::chrono::milliseconds timeout = kTimeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (waitpid(pid, nullptr, WNOHANG) == pid) return true;
    std::this_thread::sleep_for(5ms);
  }
  return false;
}

// Polls `condition` until it holds or `timeout` passes.
bool Eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout = kTimeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return condition();
}

// A forked child under TestProgram; its listener is ours. Killed and reaped
// on destruction if still there.
struct TrappedChild {
  pid_t pid = -1;
  UniqueFd listener;
  UniqueFd report;  // the child's report, until EOF

  ~TrappedChild() {
    if (pid > 0) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
  }
  // The report, then waits for the child to exit.
  std::optional<std::string> Finish() {
    std::optional<std::string> out = ReadAll(report.get());
    if (out.has_value() && WaitExit(pid)) pid = -1;
    return out;
  }
};

// Forks a child that sets no_new_privs, loads TestProgram with
// LoadFilterWithListener, passes the listener to us and runs `body`, whose
// string is its report. The child closes every inherited fd but stdio and
// `keep`: a copy of an earlier child's listener would keep that listener
// open after we close it.
void ForkTrapped(const std::function<std::string()>& body, TrappedChild& child,
                 const std::vector<int>& keep = {}) {
  int sockets[2];
  int pipe_fds[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sockets), 0);
  ASSERT_EQ(pipe2(pipe_fds, O_CLOEXEC), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    for (int fd = 3; fd < 1024; ++fd) {
      if (fd != sockets[1] && fd != pipe_fds[1] && std::count(keep.begin(), keep.end(), fd) == 0) {
        close(fd);
      }
    }
    std::string report;
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
      report = "no_new_privs failed";
    } else if (absl::StatusOr<UniqueFd> listener = LoadFilterWithListener(TestProgram(), 0);
               !listener.ok()) {
      report = listener.status().ToString();
    } else if (absl::Status sent = SendFd(sockets[1], listener->get(), "listener"); !sent.ok()) {
      report = sent.ToString();
    } else {
      listener->reset();
      close(sockets[1]);
      report = body();
    }
    if (write(pipe_fds[1], report.data(), report.size()) < 0) _exit(2);
    _exit(0);
  }
  close(sockets[1]);
  close(pipe_fds[1]);
  child.pid = pid;
  child.report = UniqueFd(pipe_fds[0]);
  UniqueFd socket(sockets[0]);
  absl::StatusOr<UniqueFd> listener = ReceiveFd(socket.get());
  ASSERT_THAT(listener, IsOk()) << "child said: " << ReadAll(child.report.get()).value_or("?");
  child.listener = std::move(*listener);
}

std::unique_ptr<SeccompNotifyPlatform> NewPlatform(SeccompNotifyOptions options = {}) {
  absl::StatusOr<std::unique_ptr<SeccompNotifyPlatform>> platform =
      SeccompNotifyPlatform::Create(options);
  EXPECT_THAT(platform, IsOk());
  return platform.ok() ? std::move(*platform) : nullptr;
}

CallResult Answer4242Real(const TrappedCall&, RemoteMemory&) { return CallResult::Value(4242); }

TEST(SeccompNotifyTest, AnswersWithValuesAndWritesResultsIntoTheCaller) {
  TrappedChild child;
  ASSERT_NO_FATAL_FAILURE(ForkTrapped(
      [] {
        utsname name{};
        int rc = uname(&name);
        long parent = syscall(SYS_getppid);
        return fmt::format("uname={} nodename={} getppid={}", rc, name.nodename, parent);
      },
      child));
  FunctionHandler handler([](const TrappedCall& call, RemoteMemory& memory) {
    if (call.nr == SYS_getppid) return CallResult::Value(4242);
    if (call.nr != SYS_uname) return CallResult::Error(ENOSYS);
    utsname name{};
    strcpy(name.sysname, "Linux");
    strcpy(name.nodename, "sandboxed");
    absl::Status written = memory.Write(call.args[0], &name, sizeof(name));
    if (!written.ok()) return CallResult::Error(WorkloadErrno(written));
    return CallResult::Value(0);
  });
  auto platform = NewPlatform();
  ASSERT_NE(platform, nullptr);
  ASSERT_THAT(platform->AddListener(std::move(child.listener)), IsOk());
  EXPECT_EQ(platform->ListenerCount(), 1u);
  ASSERT_THAT(platform->Start(&handler), IsOk());
  EXPECT_EQ(child.Finish(), "uname=0 nodename=sandboxed getppid=4242");
  EXPECT_EQ(handler.handled.count(), 2);
  // The child is gone and reaped: its listener reports POLLHUP.
  EXPECT_TRUE(Eventually([&] { return platform->ListenerCount() == 0; }));
}

TEST(SeccompNotifyTest, InjectsAFdAtomicallyWithTheAnswer) {
  TrappedChild child;
  ASSERT_NO_FATAL_FAILURE(ForkTrapped(
      [] {
        int fd = static_cast<int>(syscall(SYS_dup, 999));
        if (fd < 0) return fmt::format("dup: {}", strerror(errno));
        char buffer[64] = {};
        ssize_t n = read(fd, buffer, sizeof(buffer) - 1);
        int flags = fcntl(fd, F_GETFD);
        errno = 0;
        long bad = syscall(SYS_dup, 998);  // the handler injects no fd
        return fmt::format("read={} data={} cloexec={} bad={} {}", n, buffer,
                           (flags & FD_CLOEXEC) != 0, bad, strerror(errno));
      },
      child));
  // Made after the fork: the child can only have it by injection.
  int pipe_fds[2];
  ASSERT_EQ(pipe2(pipe_fds, O_CLOEXEC), 0);
  UniqueFd read_end(pipe_fds[0]);
  ASSERT_EQ(write(pipe_fds[1], "injected", 8), 8);
  close(pipe_fds[1]);
  FunctionHandler handler([&](const TrappedCall& call, RemoteMemory&) {
    if (call.nr != SYS_dup) return CallResult::Error(ENOSYS);
    if (call.args[0] == 998) return CallResult::InjectFd(UniqueFd(), false);
    return CallResult::InjectFd(UniqueFd(dup(read_end.get())), /*cloexec=*/true);
  });
  auto platform = NewPlatform();
  ASSERT_NE(platform, nullptr);
  ASSERT_THAT(platform->AddListener(std::move(child.listener)), IsOk());
  ASSERT_THAT(platform->Start(&handler), IsOk());
  EXPECT_EQ(child.Finish(), "read=8 data=injected cloexec=true bad=-1 Bad file descriptor");
}

TEST(SeccompNotifyTest, ATargetKilledDuringItsCallIsDroppedQuietly) {
  TrappedChild child;
  ASSERT_NO_FATAL_FAILURE(ForkTrapped(
      [] { return fmt::format("getppid={}", syscall(SYS_getppid)); }, child));
  Events entered;
  Events release;
  absl::Status read_after_death;
  FunctionHandler handler([&](const TrappedCall& call, RemoteMemory& memory) {
    entered.Notify();
    release.WaitFor(1);
    char byte;
    read_after_death = memory.Read(call.instruction_pointer, &byte, 1);
    return CallResult::Value(1);
  });
  auto platform = NewPlatform();
  ASSERT_NE(platform, nullptr);
  ASSERT_THAT(platform->AddListener(std::move(child.listener)), IsOk());
  ASSERT_THAT(platform->Start(&handler), IsOk());
  ASSERT_TRUE(entered.WaitFor(1));
  EXPECT_EQ(platform->ListenerCount(), 1u);
  ASSERT_EQ(kill(child.pid, SIGKILL), 0);
  ASSERT_TRUE(WaitExit(child.pid));
  child.pid = -1;
  release.Notify();
  ASSERT_TRUE(handler.handled.WaitFor(1));
  EXPECT_TRUE(IsCallGone(read_after_death)) << read_after_death;
  EXPECT_TRUE(Eventually([&] { return platform->ListenerCount() == 0; }));
  platform->Stop();
}

TEST(SeccompNotifyTest, ManyThreadsHammeringATrappedCallAreAllAnswered) {
  TrappedChild child;
  ASSERT_NO_FATAL_FAILURE(ForkTrapped(
      [] {
        std::atomic<long> good{0};
        std::atomic<long> bad{0};
        auto deadline = std::chrono::steady_clock::now() + 2s;
        std::vector<std::thread> threads;
        for (int i = 0; i < 8; ++i) {
          threads.emplace_back([&] {
            while (std::chrono::steady_clock::now() < deadline) {
              (syscall(SYS_getppid) == 4242 ? good : bad)++;
            }
          });
        }
        for (std::thread& thread : threads) thread.join();
        return fmt::format("{} {}", good.load(), bad.load());
      },
      child));
  std::atomic<long> handled{0};
  FunctionHandler handler([&](const TrappedCall& call, RemoteMemory&) {
    if (call.nr != SYS_getppid) return CallResult::Error(ENOSYS);
    handled++;
    return CallResult::Value(4242);
  });
  auto platform = NewPlatform();
  ASSERT_NE(platform, nullptr);
  ASSERT_THAT(platform->AddListener(std::move(child.listener)), IsOk());
  ASSERT_THAT(platform->Start(&handler), IsOk());
  std::optional<std::string> report = child.Finish();
  ASSERT_TRUE(report.has_value()) << "the child hung";
  long good = 0;
  long bad = -1;
  ASSERT_EQ(sscanf(report->c_str(), "%ld %ld", &good, &bad), 2) << *report;
  EXPECT_EQ(bad, 0);
  EXPECT_GT(good, 100);
  EXPECT_EQ(handled.load(), good);
  RecordProperty("trapped_calls_in_2s", std::to_string(good));
}

// A handler whose dup calls may block (as brokered calls wait for the gofer).
class BlockingDupHandler : public FunctionHandler {
 public:
  using FunctionHandler::FunctionHandler;
  bool MayBlock(const TrappedCall& call) const override { return call.nr == SYS_dup; }
};

TEST(SeccompNotifyTest, ABlockingCallDoesNotDelayAnInlineOne) {
  TrappedChild child;
  ASSERT_NO_FATAL_FAILURE(ForkTrapped(
      [] {
        long dup_result = 0;
        std::thread blocked([&] { dup_result = syscall(SYS_dup, 5); });
        std::this_thread::sleep_for(100ms);  // the dup is trapped and blocked by now
        long parent = syscall(SYS_getppid);
        blocked.join();
        return fmt::format("getppid={} dup={}", parent, dup_result);
      },
      child));
  Events dup_entered, getppid_answered, release;
  std::atomic<bool> getppid_while_dup_blocked{false};
  BlockingDupHandler handler([&](const TrappedCall& call, RemoteMemory&) {
    if (call.nr == SYS_dup) {
      dup_entered.Notify();
      release.WaitFor(1);
      return CallResult::Value(77);
    }
    getppid_while_dup_blocked = dup_entered.count() == 1 && release.count() == 0;
    getppid_answered.Notify();
    return CallResult::Value(4242);
  });
  auto platform = NewPlatform({.blocking_workers = 2});
  ASSERT_NE(platform, nullptr);
  ASSERT_THAT(platform->AddListener(std::move(child.listener)), IsOk());
  ASSERT_THAT(platform->Start(&handler), IsOk());
  ASSERT_TRUE(dup_entered.WaitFor(1));
  EXPECT_TRUE(getppid_answered.WaitFor(1)) << "the inline call waited behind the blocking one";
  EXPECT_TRUE(getppid_while_dup_blocked);
  release.Notify();
  EXPECT_EQ(child.Finish(), "getppid=4242 dup=77");
}

// A blocked call that may block (a brokered call waiting for a stopped
// gofer) does not hold up another such call of the same process: the
// receiving role went to another thread before the first ran.
TEST(SeccompNotifyTest, ABlockedCallDoesNotHoldUpAnotherOnTheSameListener) {
  TrappedChild child;
  ASSERT_NO_FATAL_FAILURE(ForkTrapped(
      [] {
        long first = 0;
        std::thread blocked([&] { first = syscall(SYS_dup, 5); });
        std::this_thread::sleep_for(100ms);  // the first dup is trapped and blocked by now
        long second = syscall(SYS_dup, 6);
        blocked.join();
        return fmt::format("first={} second={}", first, second);
      },
      child));
  Events first_entered, second_answered, release;
  std::atomic<bool> second_while_first_blocked{false};
  BlockingDupHandler handler([&](const TrappedCall& call, RemoteMemory&) {
    if (call.args[0] == 5) {
      first_entered.Notify();
      release.WaitFor(1);
      return CallResult::Value(55);
    }
    second_while_first_blocked = first_entered.count() == 1 && release.count() == 0;
    second_answered.Notify();
    return CallResult::Value(66);
  });
  auto platform = NewPlatform({.blocking_workers = 2});
  ASSERT_NE(platform, nullptr);
  ASSERT_THAT(platform->AddListener(std::move(child.listener)), IsOk());
  ASSERT_THAT(platform->Start(&handler), IsOk());
  ASSERT_TRUE(first_entered.WaitFor(1));
  EXPECT_TRUE(second_answered.WaitFor(1)) << "the second call waited behind the blocked one";
  EXPECT_TRUE(second_while_first_blocked);
  release.Notify();
  EXPECT_EQ(child.Finish(), "first=55 second=66");
}

// With every thread it may start busy, a call that may block waits for one
// of them (never runs on the receiver, which keeps answering the others),
// and every call is answered once.
TEST(SeccompNotifyTest, AtTheThreadLimitACallThatMayBlockWaitsForARunningOne) {
  TrappedChild child;
  ASSERT_NO_FATAL_FAILURE(ForkTrapped(
      [] {
        long first = 0, second = 0;
        std::thread blocked([&] { first = syscall(SYS_dup, 5); });
        std::this_thread::sleep_for(100ms);
        std::thread queued([&] { second = syscall(SYS_dup, 6); });
        std::this_thread::sleep_for(100ms);
        long parent = syscall(SYS_getppid);
        blocked.join();
        queued.join();
        return fmt::format("first={} second={} getppid={}", first, second, parent);
      },
      child));
  Events first_entered, getppid_answered, release;
  std::atomic<bool> second_before_release{false};
  BlockingDupHandler handler([&](const TrappedCall& call, RemoteMemory&) {
    if (call.nr == SYS_getppid) {
      getppid_answered.Notify();
      return CallResult::Value(4242);
    }
    if (call.args[0] == 6) {
      second_before_release = release.count() == 0;
      return CallResult::Value(66);
    }
    first_entered.Notify();
    release.WaitFor(1);
    return CallResult::Value(55);
  });
  auto platform = NewPlatform({.blocking_workers = 1});  // the receiver and one more
  ASSERT_NE(platform, nullptr);
  ASSERT_THAT(platform->AddListener(std::move(child.listener)), IsOk());
  ASSERT_THAT(platform->Start(&handler), IsOk());
  ASSERT_TRUE(first_entered.WaitFor(1));
  EXPECT_TRUE(getppid_answered.WaitFor(1)) << "the receiver ran the queued call";
  release.Notify();
  EXPECT_EQ(child.Finish(), "first=55 second=66 getppid=4242");
  EXPECT_FALSE(second_before_release);
  EXPECT_EQ(handler.handled.count(), 3);
}

// Each serving thread has its own fs struct: a handler that moves its
// thread's cwd (directfs chroots for each call) moves no other thread's, in
// particular not that of the thread it started to take its listener.
TEST(SeccompNotifyTest, AHandlersChdirStaysOnItsThread) {
  char original[PATH_MAX];
  ASSERT_NE(getcwd(original, sizeof(original)), nullptr);
  const std::string elsewhere = std::string(original) == "/" ? "/tmp" : "/";
  TrappedChild child;
  ASSERT_NO_FATAL_FAILURE(ForkTrapped(
      [] {
        long first = 0;
        std::thread blocked([&] { first = syscall(SYS_dup, 5); });
        std::this_thread::sleep_for(100ms);  // the first dup has moved its thread by now
        long second = syscall(SYS_dup, 6);
        blocked.join();
        return fmt::format("first={} second={}", first, second);
      },
      child));
  Events moved, release;
  BlockingDupHandler handler([&](const TrappedCall& call, RemoteMemory&) {
    char cwd[PATH_MAX];
    if (call.args[0] == 6) {
      release.Notify();
      return CallResult::Value(getcwd(cwd, sizeof(cwd)) != nullptr && original == std::string(cwd));
    }
    const int rc = chdir(elsewhere.c_str());
    moved.Notify();
    release.WaitFor(1);
    return CallResult::Value(rc == 0 ? 55 : -1);
  });
  auto platform = NewPlatform({.blocking_workers = 2});
  ASSERT_NE(platform, nullptr);
  ASSERT_THAT(platform->AddListener(std::move(child.listener)), IsOk());
  ASSERT_THAT(platform->Start(&handler), IsOk());
  EXPECT_EQ(child.Finish(), "first=55 second=1") << "another thread's cwd moved too";
  char after[PATH_MAX];
  ASSERT_NE(getcwd(after, sizeof(after)), nullptr);
  EXPECT_STREQ(after, original);
  ASSERT_EQ(chdir(original), 0);
}

TEST(SeccompNotifyTest, StopClosesListenersSoTheKernelAnswersEnosys) {
  TrappedChild child;
  ASSERT_NO_FATAL_FAILURE(ForkTrapped(
      [] {
        long rc = syscall(SYS_getppid);
        return fmt::format("getppid={} {}", rc, strerror(errno));
      },
      child));
  auto platform = NewPlatform();
  ASSERT_NE(platform, nullptr);
  ASSERT_THAT(platform->AddListener(std::move(child.listener)), IsOk());
  platform->Stop();  // never started: the call is never answered by us
  EXPECT_EQ(platform->ListenerCount(), 0u);
  EXPECT_EQ(child.Finish(), "getppid=-1 Function not implemented");
  EXPECT_THAT(platform->AddListener(UniqueFd(eventfd(0, EFD_CLOEXEC))),
              StatusIs(absl::StatusCode::kFailedPrecondition, "seccomp-notify: stopped"));
  FunctionHandler handler([](const TrappedCall&, RemoteMemory&) { return CallResult::Value(0); });
  EXPECT_THAT(platform->Start(&handler), StatusIs(absl::StatusCode::kFailedPrecondition, _));
  platform->Stop();  // idempotent
}

// A trapped child that waits for a byte on `release` (EOF also ends the
// wait), then makes one getppid and reports its answer.
std::function<std::string()> GetppidAfter(int release) {
  return [release] {
    char byte;
    while (read(release, &byte, 1) < 0 && errno == EINTR) {
    }
    long rc = syscall(SYS_getppid);
    return fmt::format("getppid={}", rc < 0 ? -errno : rc);
  };
}

// A pipe; the child of GetppidAfter(read end) goes on when the write end gets a byte.
struct Gate {
  UniqueFd read_end, write_end;
  Gate() {
    int fds[2];
    EXPECT_EQ(pipe2(fds, O_CLOEXEC), 0);
    read_end = UniqueFd(fds[0]);
    write_end = UniqueFd(fds[1]);
  }
  void Open() { EXPECT_EQ(write(write_end.get(), "x", 1), 1); }
};

// The new-behaviour tests run in both ways of waiting for a call.
class WaitModeTest : public ::testing::TestWithParam<bool> {
 protected:
  SeccompNotifyOptions Options() { return {.blocking_recv = GetParam()}; }
};

INSTANTIATE_TEST_SUITE_P(SeccompNotify, WaitModeTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "BlockingRecv" : "PollThenRecv";
                         });

TEST_P(WaitModeTest, AListenerIsDroppedWhenItsProcessesExitWhileItsThreadWaits) {
  Gate gate;
  TrappedChild idle;
  ASSERT_NO_FATAL_FAILURE(ForkTrapped(GetppidAfter(gate.read_end.get()), idle, {gate.read_end.get()}));
  FunctionHandler handler(Answer4242Real);
  auto platform = NewPlatform(Options());
  ASSERT_NE(platform, nullptr);
  ASSERT_THAT(platform->Start(&handler), IsOk());
  ASSERT_THAT(platform->AddListener(std::move(idle.listener)), IsOk());  // served at once
  EXPECT_EQ(platform->ListenerCount(), 1u);
  std::this_thread::sleep_for(50ms);  // its thread is waiting by now
  ASSERT_EQ(kill(idle.pid, SIGKILL), 0);
  ASSERT_TRUE(WaitExit(idle.pid));
  idle.pid = -1;
  EXPECT_TRUE(Eventually([&] { return platform->ListenerCount() == 0; }));
  // A listener added after that one is gone (its thread joined) is served.
  TrappedChild next;
  ASSERT_NO_FATAL_FAILURE(ForkTrapped(GetppidAfter(gate.read_end.get()), next, {gate.read_end.get()}));
  ASSERT_THAT(platform->AddListener(std::move(next.listener)), IsOk());
  gate.Open();
  EXPECT_EQ(next.Finish(), "getppid=4242");
  EXPECT_EQ(handler.handled.count(), 1);
}

TEST_P(WaitModeTest, StopWhileEveryThreadWaitsReturnsAndTheKernelAnswersEnosys) {
  Gate gate;
  TrappedChild first, second;
  ASSERT_NO_FATAL_FAILURE(ForkTrapped(GetppidAfter(gate.read_end.get()), first, {gate.read_end.get()}));
  ASSERT_NO_FATAL_FAILURE(ForkTrapped(GetppidAfter(gate.read_end.get()), second, {gate.read_end.get()}));
  FunctionHandler handler(Answer4242Real);
  auto platform = NewPlatform(Options());
  ASSERT_NE(platform, nullptr);
  ASSERT_THAT(platform->AddListener(std::move(first.listener)), IsOk());
  ASSERT_THAT(platform->Start(&handler), IsOk());
  ASSERT_THAT(platform->AddListener(std::move(second.listener)), IsOk());
  std::this_thread::sleep_for(50ms);  // both threads are waiting by now
  Events stopped;
  std::thread stopper([&] {
    platform->Stop();
    stopped.Notify();
  });
  EXPECT_TRUE(stopped.WaitFor(1)) << "Stop did not return";
  stopper.join();
  EXPECT_EQ(platform->ListenerCount(), 0u);
  EXPECT_THAT(platform->AddListener(UniqueFd(eventfd(0, EFD_CLOEXEC))),
              StatusIs(absl::StatusCode::kFailedPrecondition, "seccomp-notify: stopped"));
  gate.Open();
  gate.Open();
  EXPECT_EQ(first.Finish(), fmt::format("getppid={}", -ENOSYS));
  EXPECT_EQ(second.Finish(), fmt::format("getppid={}", -ENOSYS));
  EXPECT_EQ(handler.handled.count(), 0);
}

TEST_P(WaitModeTest, ListenersAreServedConcurrently) {
  // The first child's call is held in the handler until the second child's
  // call has been answered: that needs a thread per listener.
  Gate gate;
  TrappedChild first, second;
  ASSERT_NO_FATAL_FAILURE(ForkTrapped(GetppidAfter(gate.read_end.get()), first, {gate.read_end.get()}));
  Gate second_gate;
  ASSERT_NO_FATAL_FAILURE(ForkTrapped(GetppidAfter(second_gate.read_end.get()), second, {second_gate.read_end.get()}));
  Events first_entered, second_answered;
  std::atomic<bool> first_saw_second{false};
  const pid_t first_pid = first.pid;
  FunctionHandler handler([&](const TrappedCall& call, RemoteMemory&) {
    if (call.tid != first_pid) {
      second_answered.Notify();
      return CallResult::Value(2);
    }
    first_entered.Notify();
    first_saw_second = second_answered.WaitFor(1);
    return CallResult::Value(1);
  });
  auto platform = NewPlatform(Options());
  ASSERT_NE(platform, nullptr);
  ASSERT_THAT(platform->AddListener(std::move(first.listener)), IsOk());
  ASSERT_THAT(platform->AddListener(std::move(second.listener)), IsOk());
  ASSERT_THAT(platform->Start(&handler), IsOk());
  gate.Open();
  ASSERT_TRUE(first_entered.WaitFor(1));
  second_gate.Open();
  EXPECT_EQ(second.Finish(), "getppid=2");
  EXPECT_EQ(first.Finish(), "getppid=1");
  EXPECT_TRUE(first_saw_second);
}

TEST(SeccompNotifyTest, LoadFilterWithListenerAddsTsyncEsrchForTsync) {
  // The kernel refuses TSYNC with NEW_LISTENER unless TSYNC_ESRCH is set too.
  ::platform::testing::ExpectInChild(
      []() -> std::string {
        CHILD_EXPECT(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0);
        absl::StatusOr<UniqueFd> listener =
            LoadFilterWithListener(TestProgram(), SECCOMP_FILTER_FLAG_TSYNC);
        CHILD_EXPECT_OK(listener);
        CHILD_EXPECT(listener->valid());
        CHILD_EXPECT(fcntl(listener->get(), F_GETFD) == FD_CLOEXEC);
        return "";
      },
      0);
}

TEST(SeccompNotifyTest, DetectsTheFeaturesOfThisKernel) {
  absl::StatusOr<NotifyFeatures> features = DetectNotifyFeatures();
  ASSERT_THAT(features, IsOk());
  utsname name{};
  ASSERT_EQ(uname(&name), 0);
  int major = 0;
  int minor = 0;
  ASSERT_EQ(sscanf(name.release, "%d.%d", &major, &minor), 2);
  auto at_least = [&](int a, int b) { return major > a || (major == a && minor >= b); };
  EXPECT_TRUE(features->addfd_send);
  EXPECT_EQ(features->wait_killable_recv, at_least(5, 19)) << name.release;
  EXPECT_EQ(features->sync_wake_up, at_least(6, 6)) << name.release;
}

TEST(CreatePlatformTest, KnowsSeccompNotifyAndNamesTheOthers) {
  absl::StatusOr<std::unique_ptr<Platform>> platform = CreatePlatform("seccomp-notify");
  ASSERT_THAT(platform, IsOk());
  EXPECT_EQ((*platform)->Name(), "seccomp-notify");
  EXPECT_EQ((*platform)->AttachedCount(), 0u);
  absl::StatusOr<std::unique_ptr<Platform>> ptrace = CreatePlatform("ptrace");
  ASSERT_THAT(ptrace, IsOk());
  EXPECT_EQ((*ptrace)->Name(), "ptrace");
  EXPECT_THAT(CreatePlatform("x"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "--platform \"x\": unknown platform (known: seccomp-notify, ptrace)"));
}

TEST(CallResultTest, DescribesItself) {
  EXPECT_EQ(CallResult::Value(-3).DebugString(), "value -3");
  EXPECT_EQ(CallResult::Error(ENOENT).DebugString(), "error ENOENT");
  EXPECT_EQ(CallResult::Continue().DebugString(), "continue");
  CallResult inject = CallResult::InjectFd(UniqueFd(dup(0)), true);
  EXPECT_EQ(inject.kind(), CallResult::Kind::kInjectFd);
  EXPECT_TRUE(inject.cloexec());
  EXPECT_TRUE(inject.fd().valid());
}

// ---------------------------------------------------------------------------
// The seam: kernel answers injected with gmock. The "listener" is a
// semaphore eventfd, readable while it has notifications for us; each Recv
// takes one.

class MockNotifyIoctls : public NotifyIoctls {
 public:
  MOCK_METHOD(int, Recv, (int, seccomp_notif*), (override));
  MOCK_METHOD(int, Send, (int, const seccomp_notif_resp*), (override));
  MOCK_METHOD(int, IdValid, (int, uint64_t), (override));
  MOCK_METHOD(int, AddFd, (int, const seccomp_notif_addfd*), (override));
  MOCK_METHOD(int, SetFlags, (int, uint64_t), (override));
};

struct SentAnswer {
  uint64_t id;
  int64_t val;
  int32_t error;
  uint32_t flags;
};

class SeamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    EXPECT_CALL(ioctls_, SetFlags(_, SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP)).WillRepeatedly(Return(0));
    // Poll mode: the mocks answer at once, where the kernel's RECV blocks.
    platform_ = NewPlatform({.ioctls = &ioctls_, .blocking_recv = false, .killable_targets = false});
    ASSERT_NE(platform_, nullptr);
    listener_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK | EFD_SEMAPHORE);
    ASSERT_GE(listener_, 0);
    ASSERT_THAT(platform_->AddListener(UniqueFd(listener_)), IsOk());
  }
  void TearDown() override {
    if (platform_ != nullptr) platform_->Stop();
  }

  // Makes `n` notifications pending.
  void Pend(uint64_t n) { ASSERT_EQ(write(listener_, &n, sizeof(n)), 8); }

  // A Recv action: takes one pending notification and delivers `id` (a
  // getppid by this process), or fails with `err` (after taking it when
  // `take`).
  static auto Deliver(uint64_t id) {
    return [id](int fd, seccomp_notif* notif) {
      uint64_t one;
      if (read(fd, &one, sizeof(one)) != sizeof(one)) return -1;
      notif->id = id;
      notif->pid = static_cast<uint32_t>(getpid());
      notif->data.nr = SYS_getppid;
      notif->data.arch = AUDIT_ARCH_X86_64;
      notif->data.args[0] = 0xabc;
      return 0;
    };
  }
  static auto Fail(int err, bool take) {
    return [err, take](int fd, seccomp_notif*) {
      uint64_t one;
      if (take && read(fd, &one, sizeof(one)) != sizeof(one)) return -1;
      errno = err;
      return -1;
    };
  }
  // A Send action recording the answer, then returning `rc` with `err`.
  auto Record(int rc = 0, int err = 0) {
    return [this, rc, err](int, const seccomp_notif_resp* resp) {
      {
        std::lock_guard<std::mutex> lock(mutex_);
        sent_.push_back({resp->id, resp->val, resp->error, resp->flags});
      }
      sends_.Notify();
      errno = err;
      return rc;
    };
  }
  std::vector<SentAnswer> Sent() {
    std::lock_guard<std::mutex> lock(mutex_);
    return sent_;
  }

  MockNotifyIoctls ioctls_;  // outlives platform_
  std::unique_ptr<SeccompNotifyPlatform> platform_;
  int listener_ = -1;  // owned by platform_
  std::mutex mutex_;
  std::vector<SentAnswer> sent_;
  Events sends_;
};

CallResult Answer4242(const TrappedCall&, RemoteMemory&) { return CallResult::Value(4242); }

TEST_F(SeamTest, RecvEintrIsRetriedAndTheCallHandledOnce) {
  ::testing::InSequence sequence;
  EXPECT_CALL(ioctls_, Recv(listener_, _)).WillOnce(Fail(EINTR, false)).WillOnce(Deliver(7));
  EXPECT_CALL(ioctls_, Send(listener_, _)).WillOnce(Record());
  FunctionHandler handler(Answer4242);
  ASSERT_THAT(platform_->Start(&handler), IsOk());
  Pend(1);
  ASSERT_TRUE(sends_.WaitFor(1));
  platform_->Stop();
  EXPECT_EQ(handler.handled.count(), 1);
  ASSERT_EQ(Sent().size(), 1u);
  EXPECT_EQ(Sent()[0].id, 7u);
  EXPECT_EQ(Sent()[0].val, 4242);
  EXPECT_EQ(Sent()[0].error, 0);
  EXPECT_EQ(Sent()[0].flags, 0u);
}

TEST_F(SeamTest, RecvEnoentIsSkippedAndTheLoopGoesOn) {
  ::testing::InSequence sequence;
  EXPECT_CALL(ioctls_, Recv(listener_, _)).WillOnce(Fail(ENOENT, true)).WillOnce(Deliver(8));
  EXPECT_CALL(ioctls_, Send(listener_, _)).WillOnce(Record());
  std::vector<uint64_t> ids;
  FunctionHandler handler([&](const TrappedCall& call, RemoteMemory&) {
    ids.push_back(call.id);
    EXPECT_EQ(call.tid, getpid());
    EXPECT_EQ(call.nr, SYS_getppid);
    EXPECT_EQ(call.arch, AUDIT_ARCH_X86_64);
    EXPECT_EQ(call.args[0], 0xabcu);
    return CallResult::Error(EPERM);
  });
  ASSERT_THAT(platform_->Start(&handler), IsOk());
  Pend(2);
  ASSERT_TRUE(sends_.WaitFor(1));
  platform_->Stop();
  EXPECT_EQ(ids, std::vector<uint64_t>{8});
  ASSERT_EQ(Sent().size(), 1u);
  EXPECT_EQ(Sent()[0].error, -EPERM);
}

TEST_F(SeamTest, SendEnoentIsNormalAndNothingElseIsSent) {
  EXPECT_CALL(ioctls_, Recv(listener_, _)).WillOnce(Deliver(9)).WillOnce(Deliver(10));
  EXPECT_CALL(ioctls_, Send(listener_, _)).WillOnce(Record(-1, ENOENT)).WillOnce(Record());
  FunctionHandler handler(Answer4242);
  ASSERT_THAT(platform_->Start(&handler), IsOk());
  Pend(1);
  ASSERT_TRUE(sends_.WaitFor(1));
  Pend(1);  // the loop still serves the listener
  ASSERT_TRUE(sends_.WaitFor(2));
  platform_->Stop();
  EXPECT_EQ(handler.handled.count(), 2);
  EXPECT_EQ(Sent().size(), 2u);
  EXPECT_EQ(platform_->ListenerCount(), 0u);  // closed by Stop
}

TEST_F(SeamTest, ARefusedAnswerIsReplacedByEnosys) {
  EXPECT_CALL(ioctls_, Recv(listener_, _)).WillOnce(Deliver(11));
  EXPECT_CALL(ioctls_, Send(listener_, _)).WillOnce(Record(-1, EINVAL)).WillOnce(Record());
  FunctionHandler handler([](const TrappedCall&, RemoteMemory&) { return CallResult::Continue(); });
  ASSERT_THAT(platform_->Start(&handler), IsOk());
  Pend(1);
  ASSERT_TRUE(sends_.WaitFor(2));
  platform_->Stop();
  ASSERT_EQ(Sent().size(), 2u);
  EXPECT_EQ(Sent()[0].flags, static_cast<uint32_t>(SECCOMP_USER_NOTIF_FLAG_CONTINUE));
  EXPECT_EQ(Sent()[1].error, -ENOSYS);
  EXPECT_EQ(Sent()[1].flags, 0u);
}

TEST_F(SeamTest, AnOutOfRangeErrnoIsAnsweredWithEnosys) {
  EXPECT_CALL(ioctls_, Recv(listener_, _)).WillOnce(Deliver(12));
  EXPECT_CALL(ioctls_, Send(listener_, _)).WillOnce(Record());
  FunctionHandler handler([](const TrappedCall&, RemoteMemory&) { return CallResult::Error(0); });
  ASSERT_THAT(platform_->Start(&handler), IsOk());
  Pend(1);
  ASSERT_TRUE(sends_.WaitFor(1));
  platform_->Stop();
  EXPECT_EQ(Sent()[0].error, -ENOSYS);
}

TEST_F(SeamTest, AGoneCallFoundByAMemoryReadGetsNoAnswerAtAll) {
  EXPECT_CALL(ioctls_, Recv(listener_, _)).WillOnce(Deliver(13));
  EXPECT_CALL(ioctls_, IdValid(listener_, 13)).WillOnce(SetErrnoAndReturn(ENOENT, -1));
  EXPECT_CALL(ioctls_, Send(_, _)).Times(0);
  EXPECT_CALL(ioctls_, AddFd(_, _)).Times(0);
  static const char kPath[] = "/etc/passwd";
  absl::Status read;
  FunctionHandler handler([&](const TrappedCall&, RemoteMemory& memory) {
    char path[sizeof(kPath)];
    read = memory.Read(reinterpret_cast<uint64_t>(kPath), path, sizeof(path));
    // A careless handler: Continue regardless. The platform must not send it.
    return CallResult::Continue();
  });
  ASSERT_THAT(platform_->Start(&handler), IsOk());
  Pend(1);
  ASSERT_TRUE(handler.handled.WaitFor(1));
  platform_->Stop();
  EXPECT_TRUE(IsCallGone(read)) << read;
}

TEST_F(SeamTest, InjectFdUsesAddfdSendAndAnswersItsFailure) {
  EXPECT_CALL(ioctls_, Recv(listener_, _)).WillOnce(Deliver(14));
  seccomp_notif_addfd seen{};
  EXPECT_CALL(ioctls_, AddFd(listener_, _))
      .WillOnce([&](int, const seccomp_notif_addfd* addfd) {
        seen = *addfd;
        errno = EMFILE;  // the target is out of fds
        return -1;
      });
  EXPECT_CALL(ioctls_, Send(listener_, _)).WillOnce(Record());
  FunctionHandler handler([](const TrappedCall&, RemoteMemory&) {
    return CallResult::InjectFd(UniqueFd(dup(0)), true);
  });
  ASSERT_THAT(platform_->Start(&handler), IsOk());
  Pend(1);
  ASSERT_TRUE(sends_.WaitFor(1));
  platform_->Stop();
  EXPECT_EQ(seen.id, 14u);
  EXPECT_EQ(seen.flags, static_cast<uint32_t>(SECCOMP_ADDFD_FLAG_SEND));
  EXPECT_EQ(seen.newfd_flags, static_cast<uint32_t>(O_CLOEXEC));
  EXPECT_EQ(seen.newfd, 0u);
  EXPECT_EQ(Sent()[0].id, 14u);
  EXPECT_EQ(Sent()[0].error, -EMFILE);
}

// A killable target: the fd is installed without SEND, the sentry's copy is
// closed, then the answer carries the installed number (so the caller's own
// close is the file's last: inotify's IN_CLOSE_*).
TEST_F(SeamTest, InjectFdIntoAKillableTargetClosesOurCopyBeforeAnswering) {
  MockNotifyIoctls ioctls;
  EXPECT_CALL(ioctls, SetFlags(_, _)).WillRepeatedly(Return(0));
  auto platform =
      NewPlatform({.ioctls = &ioctls, .blocking_recv = false, .killable_targets = true});
  ASSERT_NE(platform, nullptr);
  int listener = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK | EFD_SEMAPHORE);
  ASSERT_THAT(platform->AddListener(UniqueFd(listener)), IsOk());
  EXPECT_CALL(ioctls, Recv(listener, _)).WillOnce(Deliver(15)).WillRepeatedly(Fail(EAGAIN, false));
  seccomp_notif_addfd seen{};
  EXPECT_CALL(ioctls, AddFd(listener, _)).WillOnce([&](int, const seccomp_notif_addfd* addfd) {
    seen = *addfd;
    return 9;
  });
  bool ours_open_at_answer = true;
  EXPECT_CALL(ioctls, Send(listener, _)).WillOnce([&](int fd, const seccomp_notif_resp* resp) {
    ours_open_at_answer = fcntl(static_cast<int>(seen.srcfd), F_GETFD) >= 0;
    return Record()(fd, resp);
  });
  FunctionHandler handler([](const TrappedCall&, RemoteMemory&) {
    return CallResult::InjectFd(UniqueFd(open("/dev/null", O_RDONLY | O_CLOEXEC)), false);
  });
  ASSERT_THAT(platform->Start(&handler), IsOk());
  uint64_t one = 1;
  ASSERT_EQ(write(listener, &one, sizeof(one)), 8);
  ASSERT_TRUE(sends_.WaitFor(1));
  platform->Stop();
  EXPECT_EQ(seen.flags, 0u);
  EXPECT_FALSE(ours_open_at_answer);
  EXPECT_EQ(Sent()[0].id, 15u);
  EXPECT_EQ(Sent()[0].val, 9);
  EXPECT_EQ(Sent()[0].error, 0);
}

// One wake-up per hop: the thread that received a call that may block runs
// it itself (after handing the listener to another thread), rather than
// handing the call to a worker.
TEST_F(SeamTest, ACallThatMayBlockRunsOnTheThreadThatReceivedIt) {
  std::thread::id received_on;
  EXPECT_CALL(ioctls_, Recv(listener_, _)).WillOnce([&](int fd, seccomp_notif* notif) {
    received_on = std::this_thread::get_id();
    return Deliver(16)(fd, notif);
  });
  EXPECT_CALL(ioctls_, Send(listener_, _)).WillOnce(Record());
  std::thread::id handled_on;
  class AlwaysMayBlock : public FunctionHandler {
   public:
    using FunctionHandler::FunctionHandler;
    bool MayBlock(const TrappedCall&) const override { return true; }
  } handler([&](const TrappedCall&, RemoteMemory&) {
    handled_on = std::this_thread::get_id();
    return CallResult::Value(4242);
  });
  ASSERT_THAT(platform_->Start(&handler), IsOk());
  Pend(1);
  ASSERT_TRUE(sends_.WaitFor(1));
  platform_->Stop();
  EXPECT_EQ(handled_on, received_on) << "the call was handed to another thread";
  EXPECT_EQ(Sent()[0].val, 4242);
}

TEST_F(SeamTest, SyncWakeUpIsTriedOnceWhenTheKernelLacksIt) {
  MockNotifyIoctls ioctls;
  EXPECT_CALL(ioctls, SetFlags(_, SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP))
      .WillOnce(SetErrnoAndReturn(EINVAL, -1));
  auto platform = NewPlatform({.ioctls = &ioctls, .blocking_recv = false});
  ASSERT_NE(platform, nullptr);
  ASSERT_THAT(platform->AddListener(UniqueFd(eventfd(0, EFD_CLOEXEC))), IsOk());
  ASSERT_THAT(platform->AddListener(UniqueFd(eventfd(0, EFD_CLOEXEC))), IsOk());
  EXPECT_EQ(platform->ListenerCount(), 2u);
  EXPECT_THAT(platform->AddListener(UniqueFd()), StatusIs(absl::StatusCode::kInvalidArgument, _));
}

TEST_F(SeamTest, AListenerThatHangsUpIsDropped) {
  // A pipe's read end reports POLLHUP once its write end closes, as a seccomp
  // listener does once its processes are gone.
  int fds[2];
  ASSERT_EQ(pipe2(fds, O_CLOEXEC), 0);
  ASSERT_THAT(platform_->AddListener(UniqueFd(fds[0])), IsOk());
  FunctionHandler handler(Answer4242);
  ASSERT_THAT(platform_->Start(&handler), IsOk());
  EXPECT_EQ(platform_->ListenerCount(), 2u);
  close(fds[1]);
  EXPECT_TRUE(Eventually([&] { return platform_->ListenerCount() == 1; }));
}

}  // namespace
}  // namespace platform
