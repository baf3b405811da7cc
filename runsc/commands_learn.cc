// --policy-learn on the command line (sentry/policy_learn.h does the rest).
#include <filesystem>

#include "runsc/commands.h"
#include "sentry/policy_learn.h"

namespace runsc {

absl::Status PreparePolicyLearn(sentry::SandboxConfig& sandbox,
                                const std::string& id) {
  if (sandbox.policy_learn.empty()) return absl::OkStatus();
  if (!sandbox.policy_learn.starts_with('/')) {
    std::error_code error;
    std::filesystem::path cwd = std::filesystem::current_path(error);
    if (!error) sandbox.policy_learn = (cwd / sandbox.policy_learn).string();
  }
  // With --policy too, create refuses both (SandboxConfig::Validate) first.
  if (id.empty() || !sandbox.policy.empty()) return absl::OkStatus();
  return sentry::CheckLearnedPolicyPath(sandbox.policy_learn, id);
}

}  // namespace runsc
