#include "sentry/sentry_filter.h"

#include <linux/seccomp.h>
#include <seccomp.h>
#include <linux/capability.h>
#include <sys/prctl.h>

#include <cstdlib>
#include <memory>
#include <set>
#include <string_view>

#include "fmt/format.h"
#include "gofer/server/handler_syscalls.h"
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

// directfs (direct_fs.h): the calls the gofer's handlers make
// (gofer/server/handler_syscalls.h), those that take a directory fd only
// with a real one; chroot for the per-call root, in the thread's own fs
// struct (unshare(CLONE_FS), allowed in both modes: LoadAllowlist).
// truncate, the xattr calls and bind take a name in the thread's cwd, which
// the handler fchdir()s to a directory it opened beneath the donated root,
// with the thread chroot()ed there; a filter cannot see paths. Calls the allowlist already has stay as they are.
absl::Status AllowDirectFs(void* ctx) {
  const std::set<std::string_view> already(std::begin(kAllowed), std::end(kAllowed));
  for (const gofer::HandlerSyscall& call : gofer::HandlerSyscalls()) {
    if (already.contains(call.name)) continue;
    int number = seccomp_syscall_resolve_name(call.name);
    if (number == __NR_SCMP_ERROR) number = call.fallback_number;
    if (number < 0) return absl::InternalError(fmt::format("unknown syscall {}", call.name));
    // Invariant: no directfs call that takes a directory fd starts at the
    // sentry's cwd. A real fd is a non-negative int: below 2^31 as the
    // 64-bit value the filter sees, whichever way the caller extended it;
    // AT_FDCWD (-100) and every other negative value are not (they meet the
    // default action: kill).
    std::vector<scmp_arg_cmp> real_fds;
    for (unsigned arg : call.dirfd_args) real_fds.push_back(SCMP_CMP(arg, SCMP_CMP_LT, 0x80000000u));
    int rc = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, number, real_fds.size(), real_fds.data());
    if (rc != 0) return platform::ErrnoError(-rc, fmt::format("allowing {}", call.name));
  }
  int rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(chroot), 0);
  if (rc != 0) return platform::ErrnoError(-rc, "allowing chroot");
  return absl::OkStatus();
}

absl::Status LoadAllowlist(const std::vector<std::string>& platform_syscalls, bool directfs) {
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
  // Every serving thread takes its own fs struct as it starts
  // (platform/notify_pool.h), and a directfs thread chroots in it.
  int rc = seccomp_rule_add(ctx.get(), SCMP_ACT_ALLOW, SCMP_SYS(unshare), 1, SCMP_A0(SCMP_CMP_EQ, CLONE_FS));
  if (rc != 0) return platform::ErrnoError(-rc, "allowing unshare(CLONE_FS)");
  if (directfs) RETURN_IF_ERROR(AllowDirectFs(ctx.get()));
  rc = seccomp_load(ctx.get());
  if (rc != 0) return platform::ErrnoError(-rc, "loading the sentry's filter");
  return absl::OkStatus();
}

}  // namespace

absl::Status ConfineSentry(const std::vector<std::string>& platform_syscalls, bool directfs) {
  // CAP_SYS_PTRACE: /proc/<tid>/mem, cwd, root and fd/N of any workload
  // thread, and pidfd_getfd. CAP_DAC_OVERRIDE: the file permission check
  // before that: /proc/<tid>/mem is 0600 and /proc/<tid>/fd 0500, owned by
  // the thread's uid, so without it a non-root workload's results could not
  // be written (uname, sysinfo) nor its dirfds opened (the broker).
  std::vector<int> keep = {CAP_SYS_PTRACE, CAP_DAC_OVERRIDE};
  // directfs: what a caller's credentials may include when the sentry acts
  // for it (the gofer's set, gofer.cc, but CAP_MKNOD: device nodes are left
  // to the gofer), and chroot for the per-thread root (direct_fs.h).
  if (directfs) {
    keep.insert(keep.end(), {CAP_CHOWN, CAP_DAC_READ_SEARCH, CAP_FOWNER, CAP_FSETID, CAP_SETUID, CAP_SETGID,
                             CAP_SETFCAP, CAP_SYS_CHROOT});
  }
  RETURN_IF_ERROR_CTX(platform::LimitBoundingSet(keep), "sentry capabilities");
  RETURN_IF_ERROR_CTX(platform::ApplyCapabilities({keep, keep, {}, keep, {}}).status(), "sentry capabilities");
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return platform::LastError("no_new_privs");
  return LoadAllowlist(platform_syscalls, directfs);
}

}  // namespace sentry
