// The sandbox's own seccomp filter in a container process (the init or an
// exec'd process): compiled from the syscall table, loaded with a listener
// last before execve (or before the capability drop without no_new_privs,
// as the OCI profile is), its listener handed to the sentry.
#ifndef RUNSC_RUNSC_SANDBOX_FILTER_H_
#define RUNSC_RUNSC_SANDBOX_FILTER_H_

#include <optional>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "platform/oci_seccomp.h"
#include "platform/unique_fd.h"

namespace runsc {

class PendingSandboxFilter {
 public:
  PendingSandboxFilter() = default;

  // Compiles the workload filter from the table and the policy of `sandbox`
  // (sentry::SandboxConfig::ToJson()). `sentry_channel` is a socket to the sentry
  // (the channel runsc create made, or a connection to its control socket).
  // Without a listener (an OCI profile with SCMP_ACT_NOTIFY took the task's
  // only one) emulated calls run natively and denials stay in the kernel.
  static absl::StatusOr<PendingSandboxFilter> Prepare(const nlohmann::json& sandbox, bool with_listener,
                                                      int sentry_channel);

  // Loads the filter (once) and sends its listener to the sentry, without
  // waiting: the sentry may not run yet (runsc create starts it after the
  // init is set up); trapped calls queue in the kernel until it serves them.
  absl::Status Install();

 private:
  std::optional<platform::CompiledSeccomp> compiled_;
  int channel_ = -1;
};

}  // namespace runsc

#endif  // RUNSC_RUNSC_SANDBOX_FILTER_H_
