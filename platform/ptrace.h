// The ptrace platform: trapped rows compile to SECCOMP_RET_TRACE and the
// sentry's tracer thread traces every container process (PTRACE_SEIZE with
// EXITKILL, TRACESECCOMP, TRACECLONE/FORK/VFORK/EXEC and TRACESYSGOOD), from
// before its first trapped call: the process loads its filter, sends a pidfd
// of itself ("attach") and waits for the sentry's reply, which comes once the
// sentry has seized it; its children are traced from birth (TRACEFORK...).
//
// A trapped call stops its thread (PTRACE_EVENT_SECCOMP); the tracer reads
// the registers, runs the handler and answers by rewriting them: a value or
// an errno skips the call (orig_rax = -1, rax = the answer); CONTINUE resumes
// it (the kernel re-checks the filter, which now lets it run); a fd is
// delivered by syscalls injected into the stopped thread (ptrace_inject.h).
// Fail closed: EXITKILL kills every tracee when the tracer thread exits (the
// sentry died or stopped); a call trapped before the process is seized gets
// ENOSYS from the kernel (no tracer).
//
// Threading: one tracer thread makes every ptrace request and every wait
// (ptrace requests must come from the thread that attached) and runs the
// handler on it, calls one at a time. Attach is called from other threads:
// it queues the pid, wakes the tracer (a signal interrupts its wait4) and
// waits for the seize.
#ifndef RUNSC_PLATFORM_PTRACE_H_
#define RUNSC_PLATFORM_PTRACE_H_

#include <sys/types.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "platform/platform.h"
#include "platform/unique_fd.h"

namespace platform {

// The SECCOMP_RET_DATA our filter's trapped rows carry: a PTRACE_EVENT_SECCOMP
// with other data comes from a filter the workload loaded itself, and gets
// ENOSYS, as natively (no tracer of its own).
inline constexpr uint32_t kPtraceTrapData = 0x5253;  // "RS"

class PtracePlatform final : public Platform {
 public:
  static absl::StatusOr<std::unique_ptr<PtracePlatform>> Create();
  ~PtracePlatform() override;

  std::string Name() const override { return "ptrace"; }
  absl::Status Start(CallHandler* handler) override;
  // `handover`: a pidfd of the process (its thread-group leader, which loaded
  // the filter and waits for our reply). Seizes it; after Start only.
  absl::Status Attach(UniqueFd handover) override;
  // Traced threads still alive.
  size_t AttachedCount() const override { return traced_count_.load(); }
  std::vector<std::string> SentrySyscalls() const override;
  // Joins the tracer thread: every tracee is killed (EXITKILL). Idempotent.
  void Stop() override;

 private:
  struct AttachRequest {
    pid_t pid = 0;
    bool done = false;
    absl::Status result;
  };

  PtracePlatform() = default;
  void TracerLoop();
  void TracerLoopUntilStop();
  // Seizes every queued process; true when some were queued.
  bool TakeAttachRequests();
  absl::Status Seize(pid_t pid);
  // Sleeps until an attach request or Stop comes (no tracee to wait for).
  void WaitForRequests();
  void OnStatus(pid_t tid, int status);
  void OnEvent(pid_t tid, int event, int signal);
  void OnSeccomp(pid_t tid);
  void Resume(pid_t tid, int signal);
  void Track(pid_t tid);
  void Forget(pid_t tid);

  CallHandler* handler_ = nullptr;
  std::thread tracer_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> in_wait_{false};
  std::atomic<bool> exited_{false};  // the tracer thread has returned
  uint64_t next_call_id_ = 1;
  std::set<pid_t> traced_;  // tracer thread only
  std::atomic<size_t> traced_count_{0};

  std::mutex mutex_;  // guards the fields below
  std::condition_variable cv_;
  std::deque<std::shared_ptr<AttachRequest>> requests_;
  bool started_ = false;
  bool stopped_ = false;
};

}  // namespace platform

#endif  // RUNSC_PLATFORM_PTRACE_H_
