#include "runsc/spawn.h"

#include <fcntl.h>
#include <linux/close_range.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "platform/errors.h"
#include "platform/status_macros.h"

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
  // User namespaces (spawn.h): -1 when unused.
  int maps_written_fd = -1;  // read end: one byte once our id maps are written
  int join_userns_fd = -1;
  int report_pid_fd = -1;    // write end: the container process's pid, after the second clone
  uint64_t second_clone_flags = 0;
  bool become_root = false;
};

[[noreturn]] void ChildFail() { _exit(126); }

// Blocks until the parent has written our uid/gid maps (a byte), or fails
// when it gave up (EOF).
void WaitForIdMaps(int fd) {
  char byte;
  ssize_t n;
  do {
    n = read(fd, &byte, 1);
  } while (n < 0 && errno == EINTR);
  if (n != 1) ChildFail();
}

// Joins the user namespace, then clones the process that becomes the
// container, in new namespaces that belong to it, as a sibling of ours
// (CLONE_PARENT); reports its pid and exits. Returns in that new process.
void JoinUserNamespaceAndFork(const ChildPlan& plan) {
  if (setns(plan.join_userns_fd, CLONE_NEWUSER) != 0) ChildFail();
  struct clone_args args = {};
  args.flags = CLONE_PARENT | plan.second_clone_flags;
  long pid = syscall(SYS_clone3, &args, sizeof(args));
  if (pid < 0) ChildFail();
  if (pid > 0) {
    pid_t reported = static_cast<pid_t>(pid);
    _exit(write(plan.report_pid_fd, &reported, sizeof(reported)) == sizeof(reported) ? 0 : 126);
  }
}

// Raw syscalls: glibc's set*id would signal other threads (there are none).
void BecomeRootOfUserNamespace() {
  syscall(SYS_setgroups, 0, nullptr);  // refused when setgroups is denied: then there are none to drop
  if (syscall(SYS_setresgid, 0, 0, 0) != 0 || syscall(SYS_setresuid, 0, 0, 0) != 0) ChildFail();
}

// Runs in the child between clone and exec: async-signal-safe calls only.
[[noreturn]] void RunChild(const ChildPlan& plan) {
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  // Unmapped, our ids are nobody's in the namespace and execve would drop
  // every capability: take root's ids there first.
  if (plan.maps_written_fd >= 0) WaitForIdMaps(plan.maps_written_fd);
  if (plan.join_userns_fd >= 0) JoinUserNamespaceAndFork(plan);
  if (plan.become_root) BecomeRootOfUserNamespace();
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

namespace {

struct Pipe {
  platform::UniqueFd read, write;
};

absl::StatusOr<Pipe> MakePipe() {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return platform::LastError("pipe2");
  return Pipe{platform::UniqueFd(fds[0]), platform::UniqueFd(fds[1])};
}

void KillAndReap(const SpawnedChild& child) {
  syscall(SYS_pidfd_send_signal, child.pidfd.get(), SIGKILL, nullptr, 0);
  waitpid(child.pid, nullptr, 0);
}

// Writes the child's id maps, then lets it go on (it waits in WaitForIdMaps).
absl::Status ReleaseAfterIdMaps(const SpawnRequest& request, const SpawnedChild& child, Pipe& maps_written) {
  maps_written.read.reset();
  absl::Status written = platform::WriteIdMappings(child.pid, request.uid_mappings, request.gid_mappings);
  if (written.ok() && write(maps_written.write.get(), "1", 1) != 1) written = platform::LastError("releasing the child");
  if (!written.ok()) KillAndReap(child);
  return written;
}

// After JoinUserNamespaceAndFork: reaps the intermediate child and returns
// the container process, our child too (CLONE_PARENT), so its pid cannot be
// reused before we reap it and pidfd_open names exactly it.
absl::StatusOr<SpawnedChild> CollectSecondChild(const SpawnedChild& intermediate, Pipe& report) {
  report.write.reset();
  pid_t pid = 0;
  ssize_t n = read(report.read.get(), &pid, sizeof(pid));
  int status = 0;
  waitpid(intermediate.pid, &status, 0);
  if (n != sizeof(pid) || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return absl::PermissionDeniedError("joining the user namespace and creating the others failed");
  }
  SpawnedChild child;
  child.pid = pid;
  child.pidfd.reset(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));
  if (!child.pidfd.valid()) return platform::LastError("pidfd_open of the container process");
  fcntl(child.pidfd.get(), F_SETFD, FD_CLOEXEC);
  return child;
}

}  // namespace

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
  uint64_t clone_flags = static_cast<uint64_t>(request.clone_flags);
  const bool new_userns = (clone_flags & CLONE_NEWUSER) != 0;
  const bool join_userns = request.join_userns_fd >= 0;
  Pipe maps_written, report;
  if (new_userns) {
    ASSIGN_OR_RETURN(maps_written, MakePipe());
    plan.maps_written_fd = maps_written.read.get();
  }
  if (join_userns) {
    ASSIGN_OR_RETURN(report, MakePipe());
    plan.join_userns_fd = request.join_userns_fd;
    plan.report_pid_fd = report.write.get();
    plan.second_clone_flags = clone_flags;
    clone_flags = 0;
  }
  plan.become_root = new_userns || join_userns;

  int pidfd = -1;
  struct clone_args args = {};
  args.flags = CLONE_PIDFD | clone_flags;
  args.pidfd = reinterpret_cast<uint64_t>(&pidfd);
  args.exit_signal = SIGCHLD;
  long pid = syscall(SYS_clone3, &args, sizeof(args));
  if (pid < 0) return platform::LastError("clone3");
  if (pid == 0) RunChild(plan);
  SpawnedChild child;
  child.pid = static_cast<pid_t>(pid);
  child.pidfd.reset(pidfd);
  fcntl(pidfd, F_SETFD, FD_CLOEXEC);
  if (new_userns) RETURN_IF_ERROR(ReleaseAfterIdMaps(request, child, maps_written));
  if (join_userns) return CollectSecondChild(child, report);
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
