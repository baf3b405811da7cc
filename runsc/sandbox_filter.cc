#include "runsc/sandbox_filter.h"

#include <linux/seccomp.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "platform/errors.h"
#include "platform/status_macros.h"
#include "runsc/filter_cache.h"
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

namespace {

// What the sandbox filter is compiled from, and who loads it.
struct FilterPlan {
  sentry::Policy policy;
  const platform::WorkloadSide* side = nullptr;  // null: no trapped rows
  uint32_t trap_action = 0;
};

absl::StatusOr<FilterPlan> PlanFilter(const nlohmann::json& sandbox,
                                      bool oci_takes_listener) {
  sentry::SandboxConfig config;
  FilterPlan plan;
  if (!sandbox.empty()) {
    ASSIGN_OR_RETURN(config, sentry::SandboxConfig::FromJson(sandbox));
    ASSIGN_OR_RETURN(plan.policy, config.BuildPolicy());
  }
  ASSIGN_OR_RETURN(const bool trapping,
                   SandboxTraps(config, oci_takes_listener));
  plan.policy.set_notify_denials(true);
  plan.policy.set_listener(trapping);
  if (trapping) {
    ASSIGN_OR_RETURN(plan.side, platform::WorkloadSideOf(config.platform));
    plan.trap_action = plan.side->TrapAction();
  }
  return plan;
}

// The program runsc create compiled for this very config (filter_cache.h),
// when it was compiled for `oci_takes_listener` too.
std::optional<platform::CompiledSeccomp> Precompiled(
    const nlohmann::json& precompiled, bool oci_takes_listener) {
  if (!precompiled.is_object() ||
      precompiled.value("oci_takes_listener", !oci_takes_listener) !=
          oci_takes_listener) {
    return std::nullopt;
  }
  std::optional<std::vector<sock_filter>> program =
      DecodeProgram(precompiled.value("program", ""));
  if (!program) return std::nullopt;
  return platform::CompiledSeccomp{*std::move(program),
                                   precompiled.value("flags", 0u)};
}

}  // namespace

absl::StatusOr<platform::CompiledSeccomp> CompileSandboxFilter(
    const nlohmann::json& sandbox, bool oci_takes_listener) {
  ASSIGN_OR_RETURN(FilterPlan plan, PlanFilter(sandbox, oci_takes_listener));
  return platform::Annotate(
      sentry::CompileWorkloadFilter(plan.policy, plan.trap_action),
      "sandbox filter");
}

absl::StatusOr<PendingSandboxFilter> PendingSandboxFilter::Prepare(
    const nlohmann::json& sandbox, bool oci_takes_listener, int sentry_channel,
    const nlohmann::json& precompiled) {
  ASSIGN_OR_RETURN(FilterPlan plan, PlanFilter(sandbox, oci_takes_listener));
  PendingSandboxFilter pending;
  pending.side_ = plan.side;
  pending.compiled_ = Precompiled(precompiled, oci_takes_listener);
  if (!pending.compiled_) {
    ASSIGN_OR_RETURN(pending.compiled_,
                     platform::Annotate(sentry::CompileWorkloadFilter(
                                            plan.policy, plan.trap_action),
                                        "sandbox filter"));
  }
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
