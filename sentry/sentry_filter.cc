#include "sentry/sentry_filter.h"

#include <linux/seccomp.h>
#include <seccomp.h>
#include <linux/capability.h>
#include <sys/prctl.h>

#include <cstdlib>
#include <memory>

#include "fmt/format.h"
#include "platform/errors.h"
#include "platform/process_attrs.h"
#include "platform/status_macros.h"

namespace sentry {
namespace {

// What the sentry's threads call once serving: the event loop and workers
// (epoll, eventfd, the seccomp-notify ioctls, futexes, thread start-up),
// workload memory (process_vm_*, /proc/<tid>/mem), the control socket, the
// cgroup and /proc files sysinfo reads, logging, and exit. The broker adds:
// the gofer socket (sendmsg/recvmsg, shutdown when it is closed), the
// caller's /proc/<tid>/{status,cwd,root,fd/N} (openat, fstat, newfstatat,
// readlinkat) and the socket of a bind (pidfd_open, pidfd_getfd). statfs and
// fstatfs: the caller's file or path (pidfd_getfd, openat2, fstatfs).
constexpr const char* kAllowed[] = {
    "access", "faccessat", "faccessat2", "read", "write", "readv", "writev", "pread64", "pwrite64", "close", "openat", "fstat", "newfstatat", "statx",
    "lseek", "fcntl", "dup", "mmap", "munmap", "mprotect", "madvise", "mremap", "brk", "futex", "set_robust_list",
    "rseq", "clone", "clone3", "exit", "exit_group", "epoll_create1", "epoll_ctl", "epoll_wait", "epoll_pwait",
    "eventfd2", "ioctl", "poll", "ppoll", "accept4", "recvmsg", "sendmsg", "recvfrom", "sendto", "getsockopt",
    "setsockopt", "process_vm_readv", "process_vm_writev", "clock_gettime", "clock_nanosleep", "nanosleep",
    "gettid", "getpid", "geteuid", "getuid", "tgkill", "rt_sigprocmask", "rt_sigaction", "rt_sigreturn",
    "sched_yield", "sched_getaffinity", "getrandom", "uname", "sysinfo", "getdents64", "readlinkat", "unlink",
    "unlinkat", "close_range", "waitid", "fsync", "fdatasync", "prctl", "gettimeofday", "restart_syscall", "pidfd_send_signal",
    "shutdown", "pidfd_open", "pidfd_getfd", "fstatfs", "openat2",
};

struct Release {
  void operator()(void* ctx) const { seccomp_release(ctx); }
};

absl::Status LoadAllowlist(const std::vector<std::string>& platform_syscalls) {
  std::unique_ptr<void, Release> ctx(seccomp_init(SCMP_ACT_KILL_PROCESS));
  if (!ctx) return absl::InternalError("seccomp_init");
  std::vector<const char*> names(std::begin(kAllowed), std::end(kAllowed));
  for (const std::string& name : platform_syscalls) names.push_back(name.c_str());
  for (const char* name : names) {
    int number = seccomp_syscall_resolve_name(name);
    if (number == __NR_SCMP_ERROR) return absl::InternalError(fmt::format("unknown syscall {}", name));
    int rc = seccomp_rule_add(ctx.get(), SCMP_ACT_ALLOW, number, 0);
    if (rc != 0) return platform::ErrnoError(-rc, fmt::format("allowing {}", name));
  }
  int rc = seccomp_load(ctx.get());
  if (rc != 0) return platform::ErrnoError(-rc, "loading the sentry's filter");
  return absl::OkStatus();
}

}  // namespace

absl::Status ConfineSentry(const std::vector<std::string>& platform_syscalls) {
  // CAP_SYS_PTRACE: /proc/<tid>/mem, cwd, root and fd/N of any workload
  // thread, and pidfd_getfd. CAP_DAC_OVERRIDE: the file permission check
  // before that: /proc/<tid>/mem is 0600 and /proc/<tid>/fd 0500, owned by
  // the thread's uid, so without it a non-root workload's results could not
  // be written (uname, sysinfo) nor its dirfds opened (the broker).
  const std::vector<int> keep = {CAP_SYS_PTRACE, CAP_DAC_OVERRIDE};
  RETURN_IF_ERROR_CTX(platform::LimitBoundingSet(keep), "sentry capabilities");
  RETURN_IF_ERROR_CTX(platform::ApplyCapabilities({keep, keep, {}, keep, {}}).status(), "sentry capabilities");
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return platform::LastError("no_new_privs");
  return LoadAllowlist(platform_syscalls);
}

}  // namespace sentry
