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

Dispatcher::Dispatcher(const Policy& policy, const Emulator& emulator, CallLog& log, FatalHandler fatal,
                       Broker* broker)
    : policy_(policy), emulator_(emulator), log_(log), fatal_(std::move(fatal)), broker_(broker) {
  for (const SyscallEntry& entry : policy_.entries()) {
    if (entry.number >= 0) by_number_[entry.number] = &entry;
  }
}

const SyscallEntry* Dispatcher::Find(int nr) const {
  auto found = by_number_.find(nr);
  return found == by_number_.end() ? nullptr : found->second;
}

bool Dispatcher::MayBlock(const platform::TrappedCall& call) const {
  const SyscallEntry* entry = Find(call.nr);
  return entry != nullptr && Decide(*entry, call.args).disposition == Disposition::kBroker;
}

CallResult Dispatcher::Handle(const platform::TrappedCall& call, platform::RemoteMemory& memory) {
  const auto started = std::chrono::steady_clock::now();
  const SyscallEntry* entry = Find(call.nr);
  // A number outside the table is the filter's default: ENOSYS.
  Decision decision = entry ? Decide(*entry, call.args) : Decision{Disposition::kDeny, ENOSYS};
  CallResult result = Answer(entry, decision, call, memory);
  CallRecord record{call.tid, entry ? entry->name : SyscallName(call.nr), decision.disposition, &call, &result,
                    std::chrono::steady_clock::now() - started};
  log_.Record(record);
  return result;
}

// Fails closed (DESIGN.md rule 6): a call the filter should not have trapped
// (a passthrough row) and a broker or emulate row without a handler are
// sandbox faults; a broker row with no gofer gets EIO. A number outside the
// table (entry == nullptr) is always denied.
CallResult Dispatcher::Answer(const SyscallEntry* entry, const Decision& decision, const platform::TrappedCall& call,
                              platform::RemoteMemory& memory) {
  if (decision.disposition == Disposition::kDeny) {
    return CallResult::Error(decision.errno_value > 0 ? decision.errno_value : EPERM);
  }
  if (entry == nullptr) return Fault(fmt::format("syscall {} outside the table was trapped", call.nr));
  if (!HasHandler(*entry, decision.disposition)) {
    return Fault(fmt::format("{} was trapped as {}, but the sentry has no handler for it", entry->name,
                             DispositionName(decision.disposition)));
  }
  switch (decision.disposition) {
    case Disposition::kEmulate:
      return emulator_.Handle(*entry->emulate, call, memory);
    case Disposition::kBroker:
      return Brokered(*entry, call, memory);
    case Disposition::kPassthrough:
    case Disposition::kDeny:
      break;
  }
  return Fault(fmt::format("passthrough call {} was trapped", entry->name));
}

CallResult Dispatcher::Brokered(const SyscallEntry& entry, const platform::TrappedCall& call,
                                platform::RemoteMemory& memory) {
  // The row's own handler (HasHandler: a trapped broker row has one).
  if (broker_ != nullptr && entry.broker != nullptr) return broker_->Handle(*entry.broker, call, memory);
  if (entry.broker == nullptr) return Fault(fmt::format("broker call {} has no handler", entry.name));
  spdlog::error("sentry: {} trapped for the gofer, but the sentry has none; answering EIO", entry.name);
  return CallResult::Error(EIO);
}

CallResult Dispatcher::Fault(const std::string& reason) {
  spdlog::error("sentry: {} (a sandbox fault)", reason);
  if (fatal_) fatal_(reason);
  return CallResult::Error(ENOSYS);
}

}  // namespace sentry
