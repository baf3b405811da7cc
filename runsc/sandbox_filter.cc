#include "runsc/sandbox_filter.h"

#include <linux/seccomp.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "platform/errors.h"
#include "platform/status_macros.h"
#include "sentry/config.h"
#include "sentry/syscall_table.h"
#include "sentry/workload_filter.h"
#include "spdlog/spdlog.h"

namespace runsc {

absl::StatusOr<bool> SandboxTraps(const sentry::SandboxConfig& sandbox,
                                  bool oci_takes_listener) {
  ASSIGN_OR_RETURN(const platform::WorkloadSide* side,
                   platform::WorkloadSideOf(sandbox.platform));
  return !oci_takes_listener || !side->NeedsListener();
}

absl::StatusOr<sentry::SandboxConfig> ChoosePlatformForProfile(
    sentry::SandboxConfig sandbox, const nlohmann::json& oci_seccomp) {
  ASSIGN_OR_RETURN(std::optional<platform::OciSeccompProfile> profile,
                   platform::ParseOciSeccomp(oci_seccomp, "linux.seccomp"));
  if (!profile.has_value() || !profile->NeedsListener()) return sandbox;
  ASSIGN_OR_RETURN(const bool traps,
                   SandboxTraps(sandbox, /*oci_takes_listener=*/true));
  if (traps || !platform::CheckPlatform("ptrace").ok()) return sandbox;
  spdlog::info(
      "linux.seccomp uses SCMP_ACT_NOTIFY, which takes the seccomp listener "
      "--platform {} needs: using "
      "--platform ptrace",
      sandbox.platform);
  sandbox.platform = "ptrace";
  return sandbox;
}

absl::StatusOr<PendingSandboxFilter> PendingSandboxFilter::Prepare(
    const nlohmann::json& sandbox, bool oci_takes_listener,
    int sentry_channel) {
  sentry::SandboxConfig config;
  sentry::Policy policy;
  if (!sandbox.empty()) {
    ASSIGN_OR_RETURN(config, sentry::SandboxConfig::FromJson(sandbox));
    ASSIGN_OR_RETURN(policy, config.BuildPolicy());
  }
  ASSIGN_OR_RETURN(const bool trapping,
                   SandboxTraps(config, oci_takes_listener));
  policy.set_notify_denials(true);
  policy.set_listener(trapping);
  PendingSandboxFilter pending;
  uint32_t trap_action = 0;
  if (trapping) {
    ASSIGN_OR_RETURN(pending.side_, platform::WorkloadSideOf(config.platform));
    trap_action = pending.side_->TrapAction();
  }
  ASSIGN_OR_RETURN(
      pending.compiled_,
      platform::Annotate(sentry::CompileWorkloadFilter(policy, trap_action),
                         "sandbox filter"));
  pending.channel_ = sentry_channel;
  return pending;
}

// Invariant (rule 6): loaded after the OCI profile, so a profile cannot take
// a listener after ours (the kernel refuses a second one with EBUSY) nor
// trace calls ours traps; the platform's handover fd is closed once sent,
// so the workload never holds it.
absl::Status PendingSandboxFilter::Install() {
  if (!compiled_) return absl::OkStatus();
  const platform::CompiledSeccomp compiled =
      *std::exchange(compiled_, std::nullopt);
  if (side_ == nullptr) {
    struct sock_fprog prog = {
        static_cast<unsigned short>(compiled.program.size()),
        const_cast<sock_filter*>(compiled.program.data())};
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0)
      return platform::LastError("sandbox filter");
    return absl::OkStatus();
  }
  RETURN_IF_ERROR_CTX(side_->LoadAndHandOver(compiled.program, channel_),
                      "sandbox filter");
  handed_over_ = true;
  return absl::OkStatus();
}

absl::Status PendingSandboxFilter::AwaitSentry() {
  if (!handed_over_) return absl::OkStatus();
  handed_over_ = false;
  absl::Status served = side_->AwaitSentry(channel_);
  close(channel_);
  return platform::Annotate(served, "waiting for the sentry");
}

}  // namespace runsc
