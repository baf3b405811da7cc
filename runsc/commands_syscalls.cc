// syscalls: the syscall table, which is the compatibility list; with
// --policy, the table under that policy; with --diff, what the policy changes.
#include <iostream>

#include "fmt/format.h"
#include "platform/status_macros.h"
#include "runsc/commands.h"
#include "sentry/policy_learn_diff.h"
#include "sentry/syscall_table.h"
#include "sentry/syscall_table_format.h"

namespace runsc {

absl::StatusOr<int> SyscallsCommand(const std::string& format,
                                    const sentry::SandboxConfig& sandbox,
                                    bool diff, const std::string& policy_file) {
  ASSIGN_OR_RETURN(sentry::TableFormat parsed,
                   sentry::ParseTableFormat(format));
  ASSIGN_OR_RETURN(sentry::Policy policy, sandbox.BuildPolicy());
  if (!diff) {
    std::cout << sentry::FormatSyscallTable(policy, parsed) << std::flush;
    return 0;
  }
  const sentry::PolicyDiff changes = sentry::DiffAgainstDefault(policy);
  if (parsed == sentry::TableFormat::kJson) {
    std::cout << sentry::PolicyDiffJson(changes).dump(2) << std::endl;
  } else if (parsed == sentry::TableFormat::kTable) {
    const std::string name = policy_file.empty()
                                 ? "the default table"
                                 : fmt::format("policy {}", policy_file);
    std::cout << sentry::FormatPolicyDiff(changes, name) << std::flush;
  } else {
    return absl::InvalidArgumentError(fmt::format(
        "syscalls --diff: --format {}: only table or json", format));
  }
  return 0;
}

}  // namespace runsc
