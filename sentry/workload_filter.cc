#include "sentry/workload_filter.h"

#include <seccomp.h>

#include <algorithm>
#include <memory>
#include <vector>

#include "fmt/format.h"
#include "platform/errors.h"
#include "platform/status_macros.h"
#include "sentry/policy_learn.h"

namespace sentry {
namespace {

struct FilterDeleter {
  void operator()(void* ctx) const { seccomp_release(ctx); }
};
using Filter = std::unique_ptr<void, FilterDeleter>;

absl::Status AddRule(scmp_filter_ctx ctx, const SyscallEntry& entry, uint32_t action,
                     const std::vector<scmp_arg_cmp>& conditions) {
  if (action == kWorkloadDefaultAction) return absl::OkStatus();  // the default does it (libseccomp refuses it)
  int rc = seccomp_rule_add_exact_array(ctx, action, entry.number, conditions.size(), conditions.data());
  if (rc != 0) return platform::ErrnoError(-rc, fmt::format("seccomp: adding a rule for syscall \"{}\"", entry.name));
  return absl::OkStatus();
}

std::vector<scmp_arg_cmp> Conditions(const ArgRule& rule) {
  std::vector<scmp_arg_cmp> conditions;
  for (const ArgMatch& match : rule.when) {
    if (match.negate) {
      conditions.push_back({match.index, SCMP_CMP_NE, match.value, 0});
    } else {
      conditions.push_back({match.index, SCMP_CMP_MASKED_EQ, match.mask, match.value});
    }
  }
  return conditions;
}

// Adds the rules of one row: one unconditional rule when every argument
// value gets the same action, else one rule per ArgRule.
absl::Status AddEntry(scmp_filter_ctx ctx, const SyscallEntry& entry, const Policy& policy, uint32_t trap_action) {
  auto action = [&](Disposition disposition, int err) {
    const uint32_t chosen = SeccompAction(disposition, err, policy, trap_action);
    return policy.learn() ? LearnModeAction(entry, chosen, trap_action) : chosen;  // policy_learn.h
  };
  const uint32_t headline = action(entry.disposition, entry.errno_value);
  if (entry.rules.empty()) return AddRule(ctx, entry, headline, {});
  std::vector<uint32_t> actions;
  for (const ArgRule& rule : entry.rules) actions.push_back(action(rule.disposition, rule.errno_value));
  if (std::all_of(actions.begin(), actions.end(), [&](uint32_t a) { return a == actions.front(); })) {
    return AddRule(ctx, entry, actions.front(), {});
  }
  for (size_t i = 0; i < entry.rules.size(); ++i) {
    RETURN_IF_ERROR(AddRule(ctx, entry, actions[i], Conditions(entry.rules[i])));
  }
  return absl::OkStatus();
}

absl::StatusOr<Filter> BuildFilter(const Policy& policy, uint32_t trap_action) {
  Filter ctx(seccomp_init(kWorkloadDefaultAction));
  if (ctx == nullptr) return absl::InternalError("seccomp: cannot create a filter");
  // We load the program ourselves (platform); libseccomp must not set NNP.
  seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_NNP, 0);
  seccomp_attr_set(ctx.get(), SCMP_FLTATR_API_SYSRAWRC, 1);
  // i386 (int 0x80) and x32 calls: kill the process (see the header).
  int rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
  if (rc != 0) return platform::ErrnoError(-rc, "seccomp: setting the bad-architecture action");
  // A binary tree of syscall numbers instead of a linear chain of ~370.
  seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_OPTIMIZE, 2);
  for (const SyscallEntry& entry : policy.entries()) {
    if (entry.number < 0) continue;  // not a syscall of this architecture
    RETURN_IF_ERROR(AddEntry(ctx.get(), entry, policy, trap_action));
  }
  return ctx;
}

}  // namespace

uint32_t SeccompAction(Disposition disposition, int errno_value, bool broker_to_gofer, uint32_t trap_action) {
  switch (disposition) {
    case Disposition::kPassthrough:
      return SCMP_ACT_ALLOW;
    case Disposition::kBroker:
      return broker_to_gofer ? trap_action : SCMP_ACT_ALLOW;
    case Disposition::kEmulate:
      return trap_action;
    case Disposition::kDeny:
      return SCMP_ACT_ERRNO(static_cast<uint32_t>(errno_value));
  }
  return kWorkloadDefaultAction;
}

uint32_t SeccompAction(Disposition disposition, int errno_value, const Policy& policy, uint32_t trap_action) {
  if (!policy.listener()) {
    return disposition == Disposition::kDeny ? SCMP_ACT_ERRNO(static_cast<uint32_t>(errno_value)) : SCMP_ACT_ALLOW;
  }
  if (disposition == Disposition::kDeny && policy.notify_denials() && errno_value != ENOSYS) return trap_action;
  return SeccompAction(disposition, errno_value, policy.broker_to_gofer(), trap_action);
}

absl::StatusOr<platform::CompiledSeccomp> CompileWorkloadFilter(const Policy& policy, uint32_t trap_action) {
  ASSIGN_OR_RETURN(Filter ctx, BuildFilter(policy, trap_action));
  platform::CompiledSeccomp compiled;
  ASSIGN_OR_RETURN(compiled.program, platform::ExportSeccompBpf(ctx.get()));
  return compiled;
}

absl::StatusOr<std::string> ExportWorkloadFilterPfc(const Policy& policy, uint32_t trap_action) {
  ASSIGN_OR_RETURN(Filter ctx, BuildFilter(policy, trap_action));
  return platform::ExportSeccompPfc(ctx.get());
}

}  // namespace sentry
