// One trapped call of the ptrace platform, its thread stopped in
// PTRACE_EVENT_SECCOMP: its registers, its memory and its answer.
// Tracer thread only (ptrace requests come from the thread that attached).
#ifndef RUNSC_PLATFORM_PTRACE_CALL_H_
#define RUNSC_PLATFORM_PTRACE_CALL_H_

#include <sys/types.h>
#include <sys/user.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "platform/notify_ioctls.h"
#include "platform/platform.h"
#include "platform/remote_memory.h"

namespace platform {

// The memory of a thread stopped in a ptrace-stop. Reads and writes as
// TrappedCallMemory; the liveness check is PTRACE_PEEKUSER, which succeeds
// only while the thread is still in the stop. Invariant: a traced thread's
// tid cannot be reused before its tracer (us) reaps it, so everything read
// through `tid` while the check passes is the trapped thread's.
class PtraceCallMemory final : public TrappedCallMemory {
 public:
  PtraceCallMemory(pid_t tid, uint64_t id);
  absl::Status CheckLive() override;
  bool gone() const { return gone_; }

 private:
  pid_t tid_;
  uint64_t id_;
  bool gone_ = false;
};

// The trapped call in `regs` (x86_64: nr in orig_rax, args in rdi, rsi,
// rdx, r10, r8, r9).
TrappedCall CallFromRegisters(const user_regs_struct& regs, pid_t tid,
                              uint64_t id);

// Answers the call `tid` is stopped in (its registers `regs`, as read at the
// stop) with `result`, and resumes it. kInjectFd injects syscalls
// (InjectFd). Errors: the thread is gone (ESRCH) or an injection failed;
// the caller kills the thread's process then (fail closed).
absl::Status AnswerTrappedCall(pid_t tid, const user_regs_struct& regs,
                               CallResult result);

// SIGKILLs the process of traced thread `tid` (fail closed).
void KillTracee(pid_t tid);

}  // namespace platform

#endif  // RUNSC_PLATFORM_PTRACE_CALL_H_
