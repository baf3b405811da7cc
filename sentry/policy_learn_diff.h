// `runsc syscalls --policy FILE --diff`: what a policy (a learned one, or any
// other) changes against the default table, row by row.
#ifndef RUNSC_SENTRY_POLICY_LEARN_DIFF_H_
#define RUNSC_SENTRY_POLICY_LEARN_DIFF_H_

#include <string>
#include <vector>

#include "nlohmann/json.hpp"
#include "sentry/syscall_table.h"

namespace sentry {

// One row whose treatment differs between the default table and a policy.
struct RowChange {
  std::string name;
  // The default: "passthrough", "deny EPERM", "passthrough (<conditions>)".
  std::string from;
  std::string to;  // under the policy, in the same words
};

// The rows a policy moves, in table order:
// - removed: some argument value ran (passthrough, broker or emulate) by
//   default and every value is denied under the policy;
// - added: every value was denied by default and some value runs now;
// - changed: any other move (another disposition or errno, rules dropped).
struct PolicyDiff {
  std::vector<RowChange> removed, added, changed;
};

// Compares `policy`'s rows with the default table's (Policy()).
PolicyDiff DiffAgainstDefault(const Policy& policy);

// For people: a summary line, then one section per kind, one row a line.
std::string FormatPolicyDiff(const PolicyDiff& diff,
                             const std::string& policy_name);

// {"removed": [{"name", "from", "to"}], "added": [...], "changed": [...]}.
nlohmann::json PolicyDiffJson(const PolicyDiff& diff);

}  // namespace sentry

#endif  // RUNSC_SENTRY_POLICY_LEARN_DIFF_H_
