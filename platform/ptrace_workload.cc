// The ptrace platform's registration and its workload side: trapped rows
// compile to SECCOMP_RET_TRACE, and a container process hands the sentry a
// pidfd of itself, then waits until the sentry has seized it.
#include <errno.h>
#include <linux/seccomp.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>

#include "platform/errors.h"
#include "platform/platform_registration.h"
#include "platform/ptrace.h"
#include "platform/status_macros.h"
#include "platform/sync_channel.h"

namespace platform {
namespace {

// In learn mode even the call that waits for the sentry's reply traps
// (SECCOMP_RET_TRACE), and a trapped call gets ENOSYS until the sentry has
// seized us: peek at the channel until the call is no longer refused (it
// then blocks for the reply, traced or allowed). Outside learn mode the
// first peek simply blocks. Bounded by a clock read through the vDSO (no
// system call, so nothing to refuse); the spin lasts until the sentry seizes.
absl::Status WaitUntilTheReplyCanBeRead(int channel) {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(10);
  char byte;
  while (recv(channel, &byte, 1, MSG_PEEK) < 0) {
    if (errno != ENOSYS && errno != EINTR)
      return LastError("waiting for the sentry's reply");
    if (std::chrono::steady_clock::now() > deadline)
      return absl::DeadlineExceededError(
          "the sentry did not trace us within 10 s");
  }
  return absl::OkStatus();
}

class PtraceWorkloadSide final : public WorkloadSide {
 public:
  uint32_t TrapAction() const override {
    return SECCOMP_RET_TRACE | kPtraceTrapData;
  }
  bool NeedsListener() const override { return false; }

  // The pidfd is made before the filter loads (nothing here traps) and
  // closed once sent, so the workload never holds it. A call trapped before
  // the sentry seizes us gets ENOSYS (no tracer): AwaitSentry comes first.
  absl::Status LoadAndHandOver(const std::vector<sock_filter>& program,
                               int channel) const override {
    UniqueFd self(static_cast<int>(syscall(SYS_pidfd_open, getpid(), 0)));
    if (!self.valid()) return LastError("pidfd_open of ourselves");
    sock_fprog prog{static_cast<unsigned short>(program.size()),
                    const_cast<sock_filter*>(program.data())};
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0)
      return LastError("seccomp: loading the filter");
    RETURN_IF_ERROR_CTX(SendAttach(channel, self.get()),
                        "asking the sentry to trace us");
    return absl::OkStatus();
  }

  absl::Status AwaitSentry(int channel) const override {
    RETURN_IF_ERROR(WaitUntilTheReplyCanBeRead(channel));
    ASSIGN_OR_RETURN(nlohmann::json reply, ReceiveMessage(channel));
    if (reply.contains("error")) {
      return absl::FailedPreconditionError("the sentry could not trace us: " +
                                           reply["error"].get<std::string>());
    }
    return absl::OkStatus();
  }
};

absl::Status CheckPtrace() {
#if defined(__x86_64__)
  return absl::OkStatus();
#else
  return absl::FailedPreconditionError("only on x86_64 for now");
#endif
}

absl::StatusOr<std::unique_ptr<Platform>> CreatePtrace() {
  ASSIGN_OR_RETURN(std::unique_ptr<PtracePlatform> platform,
                   PtracePlatform::Create());
  return std::unique_ptr<Platform>(std::move(platform));
}

const WorkloadSide& PtraceSide() {
  static const PtraceWorkloadSide side;
  return side;
}

}  // namespace

const PlatformRegistration& PtraceRegistration() {
  static const PlatformRegistration registration{"ptrace", CheckPtrace,
                                                 CreatePtrace, PtraceSide};
  return registration;
}

}  // namespace platform
