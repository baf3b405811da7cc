// The gofer's seccomp allowlist (DESIGN.md rule 5): exactly what the server
// and its threads call once serving.
#include <errno.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <unistd.h>

#include <memory>

#include "fmt/format.h"
#include "gofer/gofer.h"
#include "gofer/server/handler_syscalls.h"
#include "platform/errors.h"
#include "platform/status_macros.h"

namespace gofer {
namespace {

// Besides the handlers' own calls (server/handler_syscalls.h).
constexpr const char* kAllowed[] = {
    // the protocol
    "recvmsg", "sendmsg", "shutdown",
    // threads, memory, time, logging, exit
    "mmap", "munmap", "mprotect", "madvise", "mremap", "brk", "futex", "set_robust_list", "rseq",
    "rt_sigprocmask", "rt_sigaction", "rt_sigreturn", "sched_yield", "nanosleep", "clock_nanosleep",
    "clock_gettime", "gettimeofday", "getpid", "gettid", "write", "writev", "read", "lseek",
    "getrandom", "exit", "exit_group", "restart_syscall",
    // glibc's malloc sizes its arena count with it when a new thread first
    // allocates under contention (the vproc threads do: SIGSYS without it)
    "sched_getaffinity",
    // fail closed: the sentry watcher waits for the connection to hang up
    "poll", "ppoll",
};

constexpr uint64_t kNamespaceFlags = CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC |
                                     CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | 0x80 /*CLONE_NEWTIME*/;

struct Release {
  void operator()(void* ctx) const { seccomp_release(ctx); }
};

absl::Status Add(void* ctx, uint32_t action, int number, const char* name,
                 std::initializer_list<scmp_arg_cmp> args = {}) {
  int rc = seccomp_rule_add_array(ctx, action, number, args.size(), args.size() ? args.begin() : nullptr);
  if (rc != 0) return platform::ErrnoError(-rc, fmt::format("seccomp rule for {}", name));
  return absl::OkStatus();
}

// Signals. Invariant: the gofer can signal its own threads (tgkill within
// its own process: glibc's abort) and SIGKILL the processes whose pidfds it
// holds: the container's init, for fail closed (gofer.cc, ContainerKiller).
// No kill, no pidfd_open, and no /proc in its mount tree to open pidfds from.
absl::Status AddSignalRules(void* ctx) {
  RETURN_IF_ERROR(Add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), "tgkill", {SCMP_A0(SCMP_CMP_EQ, static_cast<scmp_datum_t>(getpid()))}));
  return Add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(pidfd_send_signal), "pidfd_send_signal", {SCMP_A1(SCMP_CMP_EQ, SIGKILL)});
}

absl::Status AddRules(void* ctx) {
  for (const char* name : kAllowed) {
    int number = seccomp_syscall_resolve_name(name);
    if (number == __NR_SCMP_ERROR) return absl::InternalError(fmt::format("unknown syscall {}", name));
    RETURN_IF_ERROR(Add(ctx, SCMP_ACT_ALLOW, number, name));
  }
  for (const HandlerSyscall& call : HandlerSyscalls()) {
    int number = seccomp_syscall_resolve_name(call.name);
    if (number == __NR_SCMP_ERROR) number = call.fallback_number;
    if (number < 0) return absl::InternalError(fmt::format("unknown syscall {}", call.name));
    RETURN_IF_ERROR(Add(ctx, SCMP_ACT_ALLOW, number, call.name));
  }
  // Serving threads: unshare(CLONE_FS) only; clone without namespaces;
  // clone3 (its flags are behind a pointer) answers ENOSYS, and glibc
  // falls back to clone.
  RETURN_IF_ERROR(Add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(unshare), "unshare", {SCMP_A0(SCMP_CMP_EQ, CLONE_FS)}));
  RETURN_IF_ERROR(Add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), "clone", {SCMP_A0(SCMP_CMP_MASKED_EQ, kNamespaceFlags, 0)}));
  RETURN_IF_ERROR(Add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), "clone3"));
  return AddSignalRules(ctx);
}

}  // namespace

absl::Status InstallGoferFilter() {
  std::unique_ptr<void, Release> ctx(seccomp_init(SCMP_ACT_KILL_PROCESS));
  if (!ctx) return absl::InternalError("seccomp_init");
  RETURN_IF_ERROR(AddRules(ctx.get()));
  int rc = seccomp_load(ctx.get());
  if (rc != 0) return platform::ErrnoError(-rc, "loading the gofer's filter");
  return absl::OkStatus();
}

}  // namespace gofer
