// The one syscall table (DESIGN.md, "What happens to each system call"):
// for every system call of the native ABI, what the workload's seccomp filter
// does with it. The filter (workload_filter.h), `runsc syscalls` and
// docs/syscalls.md are all generated from it.
//
// Rows name syscalls; numbers are resolved per architecture (libseccomp, plus
// a small table of syscalls newer than libseccomp 2.5.4), so a port to
// aarch64 reuses the rows and only the syscalls that exist there get numbers.
#ifndef RUNSC_SENTRY_SYSCALL_TABLE_H_
#define RUNSC_SENTRY_SYSCALL_TABLE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"

namespace sentry {

struct BrokerHandler;   // broker_calls.h: how a broker row's arguments are read
struct EmulateHandler;  // emulation.h: how the sentry answers an emulate row

// Whether broker rows are sent to the gofer (runsc create spawns it and the
// init makes host storage read-only to the workload). Off
// (Policy::set_broker_to_gofer(false)), broker rows are compiled as
// passthrough (ALLOW) and no gofer is spawned.
inline constexpr bool kBrokerToGofer = true;

// What the workload's filter does with a call (DESIGN.md's four rows).
enum class Disposition {
  kPassthrough,  // SCMP_ACT_ALLOW: the host kernel runs it natively
  kBroker,       // SCMP_ACT_NOTIFY -> sentry -> gofer (passthrough while broker_to_gofer is off)
  kEmulate,      // SCMP_ACT_NOTIFY -> sentry answers
  kDeny,         // SCMP_ACT_ERRNO(errno), in the kernel
};

// How much of the Linux behaviour the workload gets.
enum class Support {
  kFull,     // as on Linux
  kPartial,  // some arguments refused, or answers reflect the container
  kNone,     // always fails
};

// One comparison of a register argument: (arg[index] & mask) == value, on
// the full 64-bit register (libseccomp's SCMP_CMP_MASKED_EQ). Masks of
// 0xffffffff compare the low 32 bits only, which is what the kernel sees of
// an `int` or `unsigned int` argument. Pointers cannot be checked (their
// target is memory another thread can rewrite); only their being NULL can.
struct ArgMatch {
  unsigned index = 0;
  uint64_t mask = 0;
  uint64_t value = 0;
  // True to match when (arg & mask) != value instead (SCMP_CMP_NE, mask all ones).
  bool negate = false;
};

// A register-argument rule: when every match holds (AND), the call gets
// `disposition` (and `errno_value` for kDeny).
struct ArgRule {
  std::vector<ArgMatch> when;
  Disposition disposition = Disposition::kPassthrough;
  int errno_value = 0;
};

// One row of the table.
//
// Invariant (tested): when `rules` is not empty, exactly one of its
// dispositions applies to any argument values (rules with different
// dispositions never overlap, and together they cover every value), since
// libseccomp merges overlapping rules instead of ordering them.
struct SyscallEntry {
  std::string name;
  int number = -1;  // native number; -1 when the syscall does not exist on this architecture
  Disposition disposition = Disposition::kPassthrough;  // the row's headline
  int errno_value = 0;  // kDeny: the errno returned; 0 otherwise
  std::vector<ArgRule> rules;  // empty: `disposition` applies to every call
  std::string conditions;      // `rules` in words, for people
  Support support = Support::kFull;
  std::string note;
  // The sentry's handlers for this syscall, found once by name when the table
  // is built (nullptr: none). A row traps to broker or emulate only with one
  // (HasHandler); a --policy cannot give a row a handler it lacks.
  const BrokerHandler* broker = nullptr;
  const EmulateHandler* emulate = nullptr;
};

// Whether the sentry can answer `disposition` for `entry`'s syscall: always
// for passthrough and deny; for broker and emulate, when the row carries that
// handler. The policy loader and the dispatcher both ask this (DESIGN.md
// rule 6: a policy never widens; a trapped call without a handler is a fault).
bool HasHandler(const SyscallEntry& entry, Disposition disposition);

// The table, in syscall-number order (x86_64). Built once; thread-safe.
const std::vector<SyscallEntry>& SyscallTable();

// The row named `name`, or nullptr.
const SyscallEntry* FindSyscall(std::string_view name);

// The row with native number `number`, or nullptr.
const SyscallEntry* FindSyscall(int number);

// The number of `name` on libseccomp's architecture `arch` (SCMP_ARCH_*;
// 0 for the native one), or nullopt when it has none there.
std::optional<int> SyscallNumber(std::string_view name, uint32_t arch = 0);

// The name of native syscall `number`, or "syscall_<number>" for the strace
// decoder when it is not in the table.
std::string SyscallName(int number);

// "passthrough", "broker", "emulate", "deny".
std::string_view DispositionName(Disposition disposition);

// "full", "partial", "none".
std::string_view SupportName(Support support);

// The disposition named `name` (as DispositionName), or nullopt.
std::optional<Disposition> ParseDisposition(std::string_view name);

// The rows the workload's filter is built from: the table, with rows moved
// by `--policy` and the broker switch. Copyable; not thread-safe.
class Policy {
 public:
  // The default policy: the table as it is.
  Policy();

  // Moves syscall `name` to `disposition` for every argument value (its
  // register rules are dropped). `errno_value` is for kDeny (0: EPERM) and
  // must be 0 otherwise. Errors: InvalidArgument
  // `policy: unknown syscall "foo"`, a bad errno, or broker/emulate for a
  // syscall without that handler (`"broker" has no handler for unshare`).
  absl::Status Override(std::string_view name, Disposition disposition, int errno_value = 0);

  // A policy of exactly `entries`, unchecked: only for tests of what the
  // dispatcher does with rows Override refuses.
  static Policy ForTesting(std::vector<SyscallEntry> entries);

  // The rows, in table order.
  const std::vector<SyscallEntry>& entries() const { return own_ ? *own_ : SyscallTable(); }

  // Whether broker rows trap to the sentry (true, the default:
  // kBrokerToGofer) or run natively (false).
  bool broker_to_gofer() const { return broker_to_gofer_; }
  void set_broker_to_gofer(bool on) { broker_to_gofer_ = on; }

  // Whether denials the sentry should see (every deny row but the ENOSYS
  // ones: those are "not in this kernel" answers that libraries probe for,
  // e.g. clone3 on every fork) trap to the sentry, which answers the same
  // errno and counts and logs them. If the sentry is gone the kernel answers
  // them ENOSYS: still refused. Off: ERRNO in the kernel, unseen.
  bool notify_denials() const { return notify_denials_; }
  void set_notify_denials(bool on) { notify_denials_ = on; }

  // Whether the filter has a listener. The kernel allows one per task: when
  // an OCI linux.seccomp profile with SCMP_ACT_NOTIFY took it, the filter is
  // built without one: emulate rows run natively (in the container's own
  // namespaces) and denials stay in the kernel.
  bool listener() const { return listener_; }
  void set_listener(bool on) { listener_ = on; }

  // Learn mode (--policy-learn, policy_learn.h): what the filter would
  // ALLOW traps to the sentry, which records it and lets it run. Only with a
  // listener.
  bool learn() const { return learn_ && listener_; }
  void set_learn(bool on) { learn_ = on; }

 private:
  // The rows an Override changes, copied from the table on the first one: a
  // policy without overrides reads the table itself, so the sentry, which
  // keeps its policy for the container's life, does not hold it twice.
  std::vector<SyscallEntry>& MutableEntries();
  std::optional<std::vector<SyscallEntry>> own_;  // empty: the table's rows
  bool broker_to_gofer_ = kBrokerToGofer;
  bool notify_denials_ = false;
  bool listener_ = true;
  bool learn_ = false;
};

}  // namespace sentry

#endif  // RUNSC_SENTRY_SYSCALL_TABLE_H_
