#include "sentry/policy_learn_diff.h"

#include <algorithm>

#include "fmt/format.h"
#include "sentry/syscall_table_format.h"

namespace sentry {
namespace {

// Whether some argument value of the row runs (is not denied).
bool SomethingRuns(const SyscallEntry& entry) {
  if (entry.rules.empty()) return entry.disposition != Disposition::kDeny;
  return std::any_of(entry.rules.begin(), entry.rules.end(),
                     [](const ArgRule& rule) {
                       return rule.disposition != Disposition::kDeny;
                     });
}

// "deny EPERM", "passthrough", or with rules "passthrough (<conditions>)".
std::string Describe(const SyscallEntry& entry) {
  std::string text(DispositionName(entry.disposition));
  if (entry.rules.empty() && entry.disposition == Disposition::kDeny)
    text += " " + ErrnoName(entry.errno_value);
  if (!entry.rules.empty()) text += fmt::format(" ({})", entry.conditions);
  return text;
}

bool SameTreatment(const SyscallEntry& a, const SyscallEntry& b) {
  if (a.disposition != b.disposition || a.errno_value != b.errno_value ||
      a.rules.size() != b.rules.size()) {
    return false;
  }
  return a.rules.empty() || a.conditions == b.conditions;
}

void AppendSection(std::string& out, const std::string& title,
                   const std::vector<RowChange>& rows) {
  if (rows.empty()) return;
  out += title + "\n";
  size_t width = 0;
  for (const RowChange& row : rows) width = std::max(width, row.name.size());
  for (const RowChange& row : rows)
    out +=
        fmt::format("  {:<{}}  {} -> {}\n", row.name, width, row.from, row.to);
}

nlohmann::json RowsJson(const std::vector<RowChange>& rows) {
  nlohmann::json out = nlohmann::json::array();
  for (const RowChange& row : rows)
    out.push_back({{"name", row.name}, {"from", row.from}, {"to", row.to}});
  return out;
}

}  // namespace

PolicyDiff DiffAgainstDefault(const Policy& policy) {
  PolicyDiff diff;
  for (const SyscallEntry& entry : policy.entries()) {
    const SyscallEntry* base = FindSyscall(entry.name);
    if (base == nullptr || SameTreatment(*base, entry)) continue;
    RowChange change{entry.name, Describe(*base), Describe(entry)};
    const bool ran = SomethingRuns(*base), runs = SomethingRuns(entry);
    std::vector<RowChange>& kind =
        ran && !runs ? diff.removed
                     : (!ran && runs ? diff.added : diff.changed);
    kind.push_back(std::move(change));
  }
  return diff;
}

std::string FormatPolicyDiff(const PolicyDiff& diff,
                             const std::string& policy_name) {
  std::string out = fmt::format(
      "{} against the default table: {} removed, {} added, {} changed\n",
      policy_name, diff.removed.size(), diff.added.size(), diff.changed.size());
  AppendSection(
      out, "removed (denied by the policy, allowed by default):", diff.removed);
  AppendSection(
      out, "added (allowed by the policy, denied by default):", diff.added);
  AppendSection(out, "changed:", diff.changed);
  return out;
}

nlohmann::json PolicyDiffJson(const PolicyDiff& diff) {
  return {{"removed", RowsJson(diff.removed)},
          {"added", RowsJson(diff.added)},
          {"changed", RowsJson(diff.changed)}};
}

}  // namespace sentry
