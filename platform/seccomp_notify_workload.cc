// The seccomp-notify platform's registration and its workload side:
// trapped rows compile to SECCOMP_RET_USER_NOTIF, and a container process
// hands the filter's listener to the sentry.
#include <linux/seccomp.h>
#include <unistd.h>

#include "platform/platform_registration.h"
#include "platform/seccomp_notify.h"
#include "platform/status_macros.h"

namespace platform {
namespace {

class NotifyWorkloadSide final : public WorkloadSide {
 public:
  uint32_t TrapAction() const override { return SECCOMP_RET_USER_NOTIF; }
  bool NeedsListener() const override { return true; }

  // Invariant (rule 4): the listener is closed here once sent, so the
  // workload never holds it; the kernel queues trapped calls until the
  // sentry serves it.
  absl::Status LoadAndHandOver(const std::vector<sock_filter>& program,
                               int channel) const override {
    ASSIGN_OR_RETURN(UniqueFd listener, LoadFilterWithListener(program, 0));
    RETURN_IF_ERROR_CTX(SendAttach(channel, listener.get()),
                        "handing the listener to the sentry");
    return absl::OkStatus();
  }

  absl::Status AwaitSentry(int) const override { return absl::OkStatus(); }
};

absl::Status CheckNotify() { return DetectNotifyFeatures().status(); }

absl::StatusOr<std::unique_ptr<Platform>> CreateNotify() {
  ASSIGN_OR_RETURN(std::unique_ptr<SeccompNotifyPlatform> platform,
                   SeccompNotifyPlatform::Create());
  return std::unique_ptr<Platform>(std::move(platform));
}

const WorkloadSide& NotifySide() {
  static const NotifyWorkloadSide side;
  return side;
}

}  // namespace

const PlatformRegistration& SeccompNotifyRegistration() {
  static const PlatformRegistration registration{"seccomp-notify", CheckNotify,
                                                 CreateNotify, NotifySide};
  return registration;
}

}  // namespace platform
