#include "sentry/dispatcher.h"

#include <errno.h>

#include <chrono>

#include "fmt/format.h"
#include "spdlog/spdlog.h"

namespace sentry {
namespace {

using platform::CallResult;

bool Matches(const ArgMatch& match, const std::array<uint64_t, 6>& args) {
  if (match.index >= args.size()) return false;
  const bool equal = (args[match.index] & match.mask) == match.value;
  return match.negate ? !equal : equal;
}

}  // namespace

Decision Decide(const SyscallEntry& entry, const std::array<uint64_t, 6>& args) {
  for (const ArgRule& rule : entry.rules) {
    bool all = true;
    for (const ArgMatch& match : rule.when) all = all && Matches(match, args);
    if (all) return {rule.disposition, rule.errno_value};
  }
  return {entry.disposition, entry.errno_value};
}

Dispatcher::Dispatcher(const Policy& policy, const Emulator& emulator, CallLog& log, FatalHandler fatal)
    : policy_(policy), emulator_(emulator), log_(log), fatal_(std::move(fatal)) {
  for (const SyscallEntry& entry : policy_.entries()) {
    if (entry.number >= 0) by_number_[entry.number] = &entry;
  }
}

CallResult Dispatcher::Handle(const platform::TrappedCall& call, platform::RemoteMemory& memory) {
  const auto started = std::chrono::steady_clock::now();
  auto found = by_number_.find(call.nr);
  const SyscallEntry* entry = found == by_number_.end() ? nullptr : found->second;
  // A number outside the table is the filter's default: ENOSYS.
  Decision decision = entry ? Decide(*entry, call.args) : Decision{Disposition::kDeny, ENOSYS};
  CallResult result = Answer(entry, decision, call, memory);
  CallRecord record{call.tid, entry ? entry->name : SyscallName(call.nr), decision.disposition, &call, &result,
                    std::chrono::steady_clock::now() - started};
  log_.Record(record);
  return result;
}

// Fails closed: a call the filter should not have trapped (a passthrough
// row, or a broker row with no gofer) is refused, never continued.
CallResult Dispatcher::Answer(const SyscallEntry* entry, const Decision& decision, const platform::TrappedCall& call,
                              platform::RemoteMemory& memory) {
  switch (decision.disposition) {
    case Disposition::kDeny:
      return CallResult::Error(decision.errno_value > 0 ? decision.errno_value : EPERM);
    case Disposition::kEmulate:
      if (auto result = emulator_.Handle(entry->name, call, memory)) return std::move(*result);
      if (fatal_) fatal_(fmt::format("no emulation for {}", entry->name));
      return CallResult::Error(ENOSYS);
    case Disposition::kBroker:
      spdlog::error("sentry: {} trapped for the gofer, which does not exist yet; refusing it", entry->name);
      return CallResult::Error(EIO);
    case Disposition::kPassthrough:
      break;
  }
  if (fatal_) fatal_(fmt::format("passthrough call {} was trapped", entry ? entry->name : "?"));
  return CallResult::Error(ENOSYS);
}

}  // namespace sentry
