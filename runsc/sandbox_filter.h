// The sandbox's own seccomp filter in a container process (the init or an
// exec'd process): compiled from the syscall table, its trapped rows
// returning the platform's trap action, loaded last before execve (or before
// the capability drop without no_new_privs, as the OCI profile is), and the
// process handed over to the sentry by the platform's WorkloadSide.
#ifndef RUNSC_RUNSC_SANDBOX_FILTER_H_
#define RUNSC_RUNSC_SANDBOX_FILTER_H_

#include <optional>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "platform/oci_seccomp.h"
#include "platform/platform.h"
#include "sentry/config.h"

namespace runsc {

// Whether the sandbox filter traps calls to the sentry for `sandbox`'s
// platform, given whether the container's OCI profile takes the task's one
// seccomp listener (SCMP_ACT_NOTIFY): always on ptrace; on seccomp-notify
// only when the profile leaves the listener to us.
absl::StatusOr<bool> SandboxTraps(const sentry::SandboxConfig& sandbox,
                                  bool oci_takes_listener);

// The platform for a container whose OCI profile is `oci_seccomp`: on
// seccomp-notify (the default), a profile with SCMP_ACT_NOTIFY would take
// the task's one listener and leave the sandbox without its traps, so ptrace
// is chosen instead (logged). Otherwise `sandbox` as it is.
absl::StatusOr<sentry::SandboxConfig> ChoosePlatformForProfile(
    sentry::SandboxConfig sandbox, const nlohmann::json& oci_seccomp);

// The sandbox filter for `sandbox` (sentry::SandboxConfig::ToJson()), as
// PendingSandboxFilter::Prepare compiles it.
absl::StatusOr<platform::CompiledSeccomp> CompileSandboxFilter(
    const nlohmann::json& sandbox, bool oci_takes_listener);

class PendingSandboxFilter {
 public:
  PendingSandboxFilter() = default;

  // Compiles the workload filter from the table and the policy of `sandbox`
  // (sentry::SandboxConfig::ToJson()), for its platform. `sentry_channel` is
  // a socket to the sentry (the channel runsc create made, or a connection
  // to its control socket). When the filter does not trap (SandboxTraps:
  // an OCI profile with SCMP_ACT_NOTIFY took the listener seccomp-notify
  // needs) emulated calls run natively, denials stay in the kernel and the
  // sentry is not involved. `precompiled` (InitConfig::sandbox_filter) is
  // the program runsc create compiled from the same config, used instead of
  // compiling when it was made for `oci_takes_listener`.
  static absl::StatusOr<PendingSandboxFilter> Prepare(
      const nlohmann::json& sandbox, bool oci_takes_listener,
      int sentry_channel, const nlohmann::json& precompiled = nullptr);

  // Loads the filter (once) and hands the process over to the sentry,
  // without waiting: the sentry may not run yet (runsc create starts it
  // after the init is set up).
  absl::Status Install();

  // Once the sentry runs: waits until it serves this process's trapped
  // calls (WorkloadSide::AwaitSentry), then closes the channel. Does nothing
  // before Install or after the first call.
  absl::Status AwaitSentry();

 private:
  std::optional<platform::CompiledSeccomp> compiled_;
  const platform::WorkloadSide* side_ = nullptr;  // null: no trapped rows
  int channel_ = -1;
  bool handed_over_ = false;
};

}  // namespace runsc

#endif  // RUNSC_RUNSC_SANDBOX_FILTER_H_
