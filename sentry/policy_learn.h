// Learn mode (`runsc --policy-learn FILE`): record every syscall the workload
// makes, with the argument class the table's register rules key on, and keep
// FILE holding the least --policy that lets the same workload run: every row
// it did not use is denied.
//
// How the calls are seen: in learn mode the workload filter traps what it
// would ALLOW (LearnModeAction: the platform's trap action, USER_NOTIF on
// seccomp-notify, instead), and LearningHandler,
// in front of the Dispatcher, records each call and answers CONTINUE when the
// table would have passed it, or hands it to the Dispatcher otherwise. That
// CONTINUE is what the filter's ALLOW would have done, whatever the arguments
// (security rule 1 concerns calls whose *check* reads memory; these are not
// checked at all). Learn mode is a tool, not a production mode: every call
// is one round trip through the sentry.
//
// Calls runsc's own init makes after its filter is loaded and before the
// sentry holds the listener (WindowCalls) stay ALLOW, or the init would wait
// for a sentry that cannot answer yet; a learned policy always keeps them and
// the init's later calls (RuntimeCalls), since the same init runs under it.
//
// Threading: PolicyLearner and LearningHandler are thread-safe (the
// platform's workers call them concurrently); one mutex guards the record and
// the file writes.
#ifndef RUNSC_SENTRY_POLICY_LEARN_H_
#define RUNSC_SENTRY_POLICY_LEARN_H_

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "platform/platform.h"
#include "platform/unique_fd.h"
#include "sentry/syscall_table.h"

namespace sentry {

// The syscalls runsc's init makes between loading the workload filter and the
// sentry's holding its listener (handing the listener over, the capability
// and user switch, the rlimits, the "ok" to runsc create): never trapped in
// learn mode.
const std::set<std::string>& WindowCalls();

// WindowCalls and the init's other calls under the filter (its signal
// handlers, the exec fifo, the workload's execve): every learned policy keeps
// them, whatever the workload used, so that the init can start it.
const std::set<std::string>& RuntimeCalls();

// The filter action of `entry` in learn mode: ALLOW becomes the platform's
// `trap_action` (except for RuntimeCalls); every other action stays.
uint32_t LearnModeAction(const SyscallEntry& entry, uint32_t action,
                         uint32_t trap_action);

// The argument class of a call as the row's rules see it: for each argument
// the rules look at, its value masked by every mask they use on it
// ("arg0=0x2 arg1&0xf=0x1 arg2=0x0"); "" for a row without rules.
std::string ArgClass(const SyscallEntry& entry,
                     const std::array<uint64_t, 6>& args);

// FILE as given to --policy-learn for container `id`: "%ID%" becomes the id;
// a path ending in '/' or naming a directory gets "<id>.json" in it.
std::string LearnedPolicyPath(const std::string& file, const std::string& id);

// Checks, before anything of the container exists, that the learned policy
// for `id` can be written: its directory exists and is writable, and the file,
// if it exists, is a writable regular file. Errors name --policy-learn and
// the path. Creates nothing.
absl::Status CheckLearnedPolicyPath(const std::string& file,
                                    const std::string& id);

// What the workload used, and the least policy that follows.
class PolicyLearner {
 public:
  // Opens (creating, truncating, 0644) the file for container `id`; the
  // sentry calls it before it confines itself. `policy` is the table the
  // container runs under (the default: learn mode refuses --policy).
  static absl::StatusOr<std::unique_ptr<PolicyLearner>> Create(
      const std::string& file, const std::string& id, const Policy& policy);
  // For tests: records only; Save() writes nothing.
  explicit PolicyLearner(const Policy& policy, std::string id = "");

  // Records `call` of `entry`, answered as `decision` (disposition and, for
  // kDeny, errno). Rewrites the file when the (syscall, class) pair is new,
  // so the file is complete whenever the call returns to the workload.
  void Record(const SyscallEntry& entry, const std::array<uint64_t, 6>& args,
              Disposition disposition, int errno_value);

  // {"syscalls": {"<unused row>": "deny", ...}, "learned": {...}}: the
  // policy file (config.h's format) plus what was seen, for people.
  nlohmann::json LearnedPolicy() const;

 private:
  nlohmann::json LearnedPolicyLocked() const;
  void SaveLocked();

  const Policy& policy_;
  const std::string id_;
  platform::UniqueFd file_;
  mutable std::mutex mu_;  // guards used_ and the file's content
  // syscall name -> argument class -> "passthrough" | "broker" | "emulate" |
  // "deny:EPERM"
  std::map<std::string, std::map<std::string, std::string>> used_;
};

// The CallHandler in learn mode: records, then CONTINUEs what the table
// passes and hands the rest to `next` (the Dispatcher).
class LearningHandler : public platform::CallHandler {
 public:
  // All must outlive the handler.
  LearningHandler(const Policy& policy, PolicyLearner& learner,
                  platform::CallHandler& next);

  platform::CallResult Handle(const platform::TrappedCall& call,
                              platform::RemoteMemory& memory) override;
  bool MayBlock(const platform::TrappedCall& call) const override;

 private:
  const SyscallEntry* Find(int nr) const;

  const Policy& policy_;
  PolicyLearner& learner_;
  platform::CallHandler& next_;
  std::map<int, const SyscallEntry*> by_number_;
};

}  // namespace sentry

#endif  // RUNSC_SENTRY_POLICY_LEARN_H_
