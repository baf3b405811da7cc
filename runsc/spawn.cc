#include "runsc/spawn.h"

#include <fcntl.h>
#include <linux/close_range.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "platform/errors.h"

namespace runsc {
namespace {

// Everything the child needs, prepared before clone so that the child
// allocates nothing.
struct ChildPlan {
  int exe_fd;
  std::vector<char*> argv;
  std::vector<int> sources;  // fds to place at first_target, first_target+1, ...
  int first_target;
  bool new_session;
  int null_fd;  // -1 unless stdio goes to /dev/null
};

[[noreturn]] void ChildFail() { _exit(126); }

// Runs in the child between clone and exec: async-signal-safe calls only.
[[noreturn]] void RunChild(const ChildPlan& plan) {
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  if (plan.new_session && setsid() < 0) ChildFail();
  if (plan.null_fd >= 0) {
    for (int std_fd = 0; std_fd < 3; ++std_fd) {
      if (dup2(plan.null_fd, std_fd) < 0) ChildFail();
    }
  }
  // Move every fd to place out of the way first, so that placing one cannot
  // clobber a source still to be placed; the exe goes last.
  const int high = 1000;
  int count = static_cast<int>(plan.sources.size());
  for (int i = 0; i < count; ++i) {
    if (fcntl(plan.sources[i], F_DUPFD_CLOEXEC, high + i) != high + i) ChildFail();
  }
  if (fcntl(plan.exe_fd, F_DUPFD_CLOEXEC, high + count) != high + count) ChildFail();
  for (int i = 0; i < count; ++i) {
    if (dup2(high + i, plan.first_target + i) < 0) ChildFail();  // dup2 clears CLOEXEC
  }
  int exe = plan.first_target + count;
  if (dup3(high + count, exe, O_CLOEXEC) < 0) ChildFail();
  if (syscall(SYS_close_range, exe + 1, ~0U, 0) != 0) ChildFail();
  static char* const kNoEnv[] = {nullptr};
  syscall(SYS_execveat, exe, "", plan.argv.data(), kNoEnv, AT_EMPTY_PATH);
  ChildFail();
}

}  // namespace

std::vector<char*> CStringArray(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (std::string& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

absl::StatusOr<SpawnedChild> SpawnSelf(const SpawnRequest& request) {
  platform::UniqueFd null_fd;
  if (request.null_stdio) {
    null_fd.reset(open("/dev/null", O_RDWR | O_CLOEXEC));
    if (!null_fd.valid()) return platform::LastError("opening /dev/null");
  }
  std::vector<std::string> argv_storage = request.argv;
  ChildPlan plan{request.exe_fd, {}, request.pass_fds, 3 + request.preserve_fds,
                 request.new_session, null_fd.get()};
  plan.argv = CStringArray(argv_storage);

  int pidfd = -1;
  struct clone_args args = {};
  args.flags = CLONE_PIDFD | static_cast<uint64_t>(request.clone_flags);
  args.pidfd = reinterpret_cast<uint64_t>(&pidfd);
  args.exit_signal = SIGCHLD;
  long pid = syscall(SYS_clone3, &args, sizeof(args));
  if (pid < 0) return platform::LastError("clone3");
  if (pid == 0) RunChild(plan);
  SpawnedChild child;
  child.pid = static_cast<pid_t>(pid);
  child.pidfd.reset(pidfd);
  fcntl(pidfd, F_SETFD, FD_CLOEXEC);
  return child;
}

absl::Status PidNamespaceForChildren::Enter(int ns_fd) {
  own_.reset(open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC));
  if (!own_.valid()) return platform::LastError("opening /proc/self/ns/pid");
  if (setns(ns_fd, CLONE_NEWPID) != 0) return platform::LastError("joining the pid namespace");
  return absl::OkStatus();
}

PidNamespaceForChildren::~PidNamespaceForChildren() {
  if (own_.valid()) setns(own_.get(), CLONE_NEWPID);
}

}  // namespace runsc
