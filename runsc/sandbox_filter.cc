#include "runsc/sandbox_filter.h"

#include <linux/seccomp.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "platform/errors.h"
#include "platform/platform.h"
#include "platform/status_macros.h"
#include "platform/sync_channel.h"
#include "platform/unix_socket.h"
#include "sentry/config.h"
#include "sentry/syscall_table.h"
#include "sentry/workload_filter.h"

namespace runsc {

absl::StatusOr<PendingSandboxFilter> PendingSandboxFilter::Prepare(const nlohmann::json& sandbox, bool with_listener,
                                                                   int sentry_channel) {
  sentry::Policy policy;
  if (!sandbox.empty()) {
    ASSIGN_OR_RETURN(sentry::SandboxConfig config, sentry::SandboxConfig::FromJson(sandbox));
    ASSIGN_OR_RETURN(policy, config.BuildPolicy());
  }
  policy.set_notify_denials(true);
  policy.set_listener(with_listener);
  PendingSandboxFilter pending;
  ASSIGN_OR_RETURN(pending.compiled_, platform::Annotate(sentry::CompileWorkloadFilter(policy), "sandbox filter"));
  pending.channel_ = sentry_channel;
  return pending;
}

// Invariant (rule 6): loaded after the OCI profile, so a profile cannot take
// a listener after ours (the kernel refuses a second one with EBUSY); the
// listener fd is closed here once sent, so the workload never holds it.
absl::Status PendingSandboxFilter::Install() {
  if (!compiled_) return absl::OkStatus();
  const platform::CompiledSeccomp compiled = *std::exchange(compiled_, std::nullopt);
  if (!(compiled.flags & SECCOMP_FILTER_FLAG_NEW_LISTENER)) {
    struct sock_fprog prog = {static_cast<unsigned short>(compiled.program.size()),
                              const_cast<sock_filter*>(compiled.program.data())};
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) return platform::LastError("sandbox filter");
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(platform::UniqueFd listener,
                   platform::Annotate(platform::LoadFilterWithListener(compiled.program, 0), "sandbox filter"));
  RETURN_IF_ERROR_CTX(platform::SendMessage(channel_, {{"op", "add_listener"}}), "handing the listener to the sentry");
  RETURN_IF_ERROR_CTX(platform::SendFd(channel_, listener.get(), "listener"), "handing the listener to the sentry");
  close(channel_);
  return absl::OkStatus();
}

}  // namespace runsc
