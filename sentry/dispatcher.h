// The dispatcher: the sentry's CallHandler. It finds a trapped call's row in
// the policy, decides its disposition from the row's register rules, and
// answers: emulate -> the row's Emulator handler, deny -> the row's errno,
// broker -> Broker (the gofer), which parses it with the row's handler. Every answer is recorded in the CallLog (disposition
// "broker" for brokered calls: strace line, audit log, counters).
#ifndef RUNSC_SENTRY_DISPATCHER_H_
#define RUNSC_SENTRY_DISPATCHER_H_

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>

#include "platform/platform.h"
#include "sentry/broker.h"
#include "sentry/call_log.h"
#include "sentry/emulation.h"
#include "sentry/syscall_table.h"

namespace sentry {

// The disposition (and errno for kDeny) a row gives these arguments: the
// first matching register rule's, else the row's headline.
struct Decision {
  Disposition disposition = Disposition::kDeny;
  int errno_value = ENOSYS;
};
Decision Decide(const SyscallEntry& entry, const std::array<uint64_t, 6>& args);

// Thread-safe: handlers run on the platform's workers.
class Dispatcher : public platform::CallHandler {
 public:
  // Called when the sentry finds itself inconsistent (a call trapped that the
  // filter passes, a broker or emulate row without a handler): the sentry
  // stops the container rather than guess (fail closed, never CONTINUE).
  // Must not return in production.
  using FatalHandler = std::function<void(const std::string& reason)>;

  // All must outlive the dispatcher. Without `fatal` the call is just
  // refused. Without `broker` (no gofer) a trapped broker row gets EIO.
  Dispatcher(const Policy& policy, const Emulator& emulator, CallLog& log, FatalHandler fatal = {},
             Broker* broker = nullptr);

  platform::CallResult Handle(const platform::TrappedCall& call, platform::RemoteMemory& memory) override;
  // Brokered calls wait for the gofer: true for calls the row brokers.
  bool MayBlock(const platform::TrappedCall& call) const override;

 private:
  platform::CallResult Answer(const SyscallEntry* entry, const Decision& decision, const platform::TrappedCall& call,
                              platform::RemoteMemory& memory);
  platform::CallResult Brokered(const SyscallEntry& entry, const platform::TrappedCall& call,
                                platform::RemoteMemory& memory);
  // Logs `reason` at error level, calls the fatal handler, answers ENOSYS.
  platform::CallResult Fault(const std::string& reason);
  const SyscallEntry* Find(int nr) const;

  const Policy& policy_;
  const Emulator& emulator_;
  CallLog& log_;
  FatalHandler fatal_;
  Broker* broker_;
  std::unordered_map<int, const SyscallEntry*> by_number_;
};

}  // namespace sentry

#endif  // RUNSC_SENTRY_DISPATCHER_H_
