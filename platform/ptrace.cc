#include "platform/ptrace.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>

#include "fmt/format.h"
#include "platform/errors.h"
#include "platform/ptrace_call.h"
#include "platform/status_macros.h"
#include "spdlog/spdlog.h"

namespace platform {
namespace {

// Interrupts the tracer's wait4 (a handler that does nothing, without
// SA_RESTART), as seccomp-notify's receiving threads are woken.
constexpr int kWakeSignal = SIGURG;

constexpr long kSeizeOptions = PTRACE_O_EXITKILL | PTRACE_O_TRACESECCOMP |
                               PTRACE_O_TRACECLONE | PTRACE_O_TRACEFORK |
                               PTRACE_O_TRACEVFORK | PTRACE_O_TRACEEXEC |
                               PTRACE_O_TRACESYSGOOD;

void InstallWakeHandler() {
  struct sigaction action {};
  action.sa_handler = [](int) {};
  sigemptyset(&action.sa_mask);
  sigaction(kWakeSignal, &action, nullptr);
}

// The pid, in our pid namespace, of the process `pidfd` refers to.
absl::StatusOr<pid_t> PidOf(int pidfd) {
  std::ifstream info(fmt::format("/proc/self/fdinfo/{}", pidfd));
  std::string line;
  while (std::getline(info, line)) {
    if (line.rfind("Pid:", 0) == 0) {
      const long pid = std::stol(line.substr(4));
      if (pid > 0) return static_cast<pid_t>(pid);
      return absl::FailedPreconditionError(
          "the process to trace is gone or not in our pid namespace");
    }
  }
  return absl::InvalidArgumentError("the attach fd is not a pidfd");
}

// True when `tid` is the init of its pid namespace (NSpid's last field is
// 1) and the SIGSTOP it is about to get was sent from inside that namespace
// (si_pid seen from the receiver is not 0): the kernel drops such a signal
// for an untraced init (SIGNAL_UNKILLABLE), but shows it to a tracer.
bool IsSignalTheKernelDropsForInit(pid_t tid, int signal) {
  if (signal != SIGSTOP) return false;  // get_signal drops the others itself
  siginfo_t info{};
  if (ptrace(PTRACE_GETSIGINFO, tid, nullptr, &info) != 0 || info.si_pid == 0)
    return false;
  std::ifstream status(fmt::format("/proc/{}/status", tid));
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("NSpid:", 0) == 0)
      return line.substr(line.find_last_of(" \t") + 1) == "1";
  }
  return false;
}

bool IsGroupStopSignal(int signal) {
  return signal == SIGSTOP || signal == SIGTSTP || signal == SIGTTIN ||
         signal == SIGTTOU;
}

}  // namespace

absl::StatusOr<std::unique_ptr<PtracePlatform>> PtracePlatform::Create() {
  InstallWakeHandler();
  return std::unique_ptr<PtracePlatform>(new PtracePlatform());
}

PtracePlatform::~PtracePlatform() { Stop(); }

std::vector<std::string> PtracePlatform::SentrySyscalls() const {
  return {"ptrace", "wait4"};
}

absl::Status PtracePlatform::Start(CallHandler* handler) {
  if (handler == nullptr)
    return absl::InvalidArgumentError("ptrace: no call handler");
  std::lock_guard<std::mutex> lock(mutex_);
  if (started_ || stopped_)
    return absl::FailedPreconditionError("ptrace: already started or stopped");
  handler_ = handler;
  started_ = true;
  tracer_ = std::thread(&PtracePlatform::TracerLoop, this);
  return absl::OkStatus();
}

absl::Status PtracePlatform::Attach(UniqueFd handover) {
  ASSIGN_OR_RETURN(pid_t pid, PidOf(handover.get()));
  auto request = std::make_shared<AttachRequest>();
  request->pid = pid;
  std::unique_lock<std::mutex> lock(mutex_);
  if (!started_ || stopped_)
    return absl::FailedPreconditionError("ptrace: not serving");
  requests_.push_back(request);
  cv_.notify_all();
  // A wake-up sent just before the tracer enters wait4 is lost: send until
  // it has taken the request (bounded: the tracer answers calls promptly).
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!request->done && std::chrono::steady_clock::now() < deadline) {
    if (in_wait_) pthread_kill(tracer_.native_handle(), kWakeSignal);
    cv_.wait_for(lock, std::chrono::milliseconds(1));
  }
  if (!request->done)
    return absl::DeadlineExceededError(
        fmt::format("ptrace: seizing {} took too long", pid));
  return request->result;
}

absl::Status PtracePlatform::Seize(pid_t pid) {
  // Invariant: the process waits for our reply before its first trapped
  // call, so nothing of it runs untraced under the filter; EXITKILL kills
  // it once this thread is gone (fail closed).
  if (ptrace(PTRACE_SEIZE, pid, nullptr, kSeizeOptions) != 0)
    return LastError(fmt::format("PTRACE_SEIZE {}", pid));
  Track(pid);
  spdlog::debug("ptrace: traced {}", pid);
  return absl::OkStatus();
}

bool PtracePlatform::TakeAttachRequests() {
  std::deque<std::shared_ptr<AttachRequest>> requests;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    requests.swap(requests_);
  }
  for (const auto& request : requests) {
    absl::Status seized = Seize(request->pid);
    std::lock_guard<std::mutex> lock(mutex_);
    request->result = seized;
    request->done = true;
  }
  if (!requests.empty()) cv_.notify_all();
  return !requests.empty();
}

void PtracePlatform::WaitForRequests() {
  std::unique_lock<std::mutex> lock(mutex_);
  cv_.wait(lock, [this] { return stopping_ || !requests_.empty(); });
}

void PtracePlatform::TracerLoop() {
  TracerLoopUntilStop();
  exited_ = true;
}

void PtracePlatform::TracerLoopUntilStop() {
  while (!stopping_) {
    TakeAttachRequests();
    if (traced_.empty()) {
      WaitForRequests();
      continue;
    }
    int status = 0;
    in_wait_ = true;
    const pid_t tid = waitpid(-1, &status, __WALL);
    in_wait_ = false;
    if (tid > 0) {
      OnStatus(tid, status);
    } else if (errno == ECHILD) {
      traced_.clear();  // every tracee is gone
      traced_count_ = 0;
    }
  }
}

void PtracePlatform::Track(pid_t tid) {
  traced_.insert(tid);
  traced_count_ = traced_.size();
}

void PtracePlatform::Forget(pid_t tid) {
  traced_.erase(tid);
  traced_count_ = traced_.size();
}

void PtracePlatform::Resume(pid_t tid, int signal) {
  if (ptrace(PTRACE_CONT, tid, nullptr, signal) != 0 && errno != ESRCH) {
    spdlog::warn("ptrace: resuming {}: {}", tid, strerror(errno));
  }
}

void PtracePlatform::OnStatus(pid_t tid, int status) {
  if (WIFEXITED(status) || WIFSIGNALED(status)) return Forget(tid);
  if (!WIFSTOPPED(status)) return;
  Track(tid);  // a new child may report before its parent's fork event
  const int signal = WSTOPSIG(status);
  const int event = status >> 16;
  if (event != 0) return OnEvent(tid, event, signal);
  if (signal == (SIGTRAP | 0x80))
    return Resume(tid, 0);  // a syscall stop left over
  // A signal-delivery stop: deliver it, unless an untraced process would
  // never have got it.
  Resume(tid, IsSignalTheKernelDropsForInit(tid, signal) ? 0 : signal);
}

void PtracePlatform::OnEvent(pid_t tid, int event, int signal) {
  unsigned long message = 0;
  switch (event) {
    case PTRACE_EVENT_SECCOMP:
      return OnSeccomp(tid);
    case PTRACE_EVENT_STOP:
      // The kernel reports SIGTRAP unless a group-stop is in progress or in
      // force (do_jobctl_trap), so the signal tells them apart, also for a
      // new child's first stop: a thread cloned while its group stops joins
      // the stop and reports the stop signal. A group-stop stays stopped
      // until SIGCONT, as untraced (LISTEN); PTRACE_CONT would run it.
      if (IsGroupStopSignal(signal)) {
        ptrace(PTRACE_LISTEN, tid, nullptr, nullptr);
        return;
      }
      return Resume(tid, 0);
    case PTRACE_EVENT_FORK:
    case PTRACE_EVENT_VFORK:
    case PTRACE_EVENT_CLONE:
      if (ptrace(PTRACE_GETEVENTMSG, tid, nullptr, &message) == 0)
        Track(static_cast<pid_t>(message));
      return Resume(tid, 0);
    case PTRACE_EVENT_EXEC:
      // A non-leader thread that execs takes the leader's tid.
      if (ptrace(PTRACE_GETEVENTMSG, tid, nullptr, &message) == 0 &&
          static_cast<pid_t>(message) != tid) {
        Forget(static_cast<pid_t>(message));
      }
      return Resume(tid, 0);
    default:
      return Resume(tid, 0);
  }
}

void PtracePlatform::OnSeccomp(pid_t tid) {
  unsigned long data = 0;
  user_regs_struct regs{};
  if (ptrace(PTRACE_GETEVENTMSG, tid, nullptr, &data) != 0 ||
      ptrace(PTRACE_GETREGS, tid, nullptr, &regs) != 0) {
    return;  // killed meanwhile: its exit comes next
  }
  CallResult result = CallResult::Error(
      ENOSYS);  // another filter's TRACE: no tracer of its own
  const TrappedCall call = CallFromRegisters(regs, tid, next_call_id_++);
  if (data == kPtraceTrapData) {
    PtraceCallMemory memory(tid, call.id);
    result = handler_->Handle(call, memory);
    if (memory.gone()) return;  // security rule 1: the answer rests on nothing
  }
  spdlog::trace("ptrace: call {:#x}: thread {} syscall {}: {}", call.id, tid,
                call.nr, result.DebugString());
  absl::Status answered = AnswerTrappedCall(tid, regs, std::move(result));
  if (answered.ok()) return;
  if (absl::IsNotFound(answered))
    return Forget(tid);  // it died (and was reaped) mid-injection
  // Fail closed: a thread left half-answered must not run on.
  spdlog::error("ptrace: answering call {:#x} of thread {}: {}; killing it",
                call.id, tid, std::string(answered.message()));
  KillTracee(tid);
}

void PtracePlatform::Stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopped_) return;
    stopped_ = true;
    stopping_ = true;
    for (const auto& request : requests_) {
      request->result = absl::FailedPreconditionError("ptrace: stopped");
      request->done = true;
    }
    requests_.clear();
  }
  cv_.notify_all();
  if (!tracer_.joinable()) return;
  // A signal sent just before the tracer enters wait4 is lost: send until
  // it has returned.
  while (!exited_) {
    pthread_kill(tracer_.native_handle(), kWakeSignal);
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  tracer_.join();
}

}  // namespace platform
