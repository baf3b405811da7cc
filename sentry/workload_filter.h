// The workload's seccomp filter, generated from the syscall table
// (syscall_table.h) through a Policy.
//
// Shape (libseccomp, exported as BPF and loaded by the platform):
// - default action ERRNO(ENOSYS): a syscall the table does not know is one
//   this runtime has not reviewed, and ENOSYS is what "not in this kernel"
//   looks like to libraries, which then fall back;
// - native architecture only, bad-architecture action KILL_PROCESS: on
//   x86_64 an `int 0x80` (i386 ABI) or x32 call would otherwise reach the
//   kernel under other numbers, bypassing every rule; killing the whole
//   process (SIGSYS) is what libseccomp, Docker and gVisor do;
// - passthrough: ALLOW; deny: ERRNO(errno); emulate, broker, and denials the
//   sentry logs: the platform's trap action (platform::WorkloadSide::
//   TrapAction: USER_NOTIF or TRACE). Rows whose action equals the default
//   get no rule.
#ifndef RUNSC_SENTRY_WORKLOAD_FILTER_H_
#define RUNSC_SENTRY_WORKLOAD_FILTER_H_

#include <linux/seccomp.h>

#include <cerrno>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "platform/oci_seccomp.h"
#include "sentry/syscall_table.h"

namespace sentry {

// The filter's action for syscalls the table does not list: ERRNO(ENOSYS).
inline constexpr uint32_t kWorkloadDefaultAction = SECCOMP_RET_ERRNO | ENOSYS;

// The seccomp return action (SCMP_ACT_*) for a row or rule: ALLOW, ERRNO,
// or `trap_action` (broker rows only when `broker_to_gofer`).
uint32_t SeccompAction(Disposition disposition, int errno_value, bool broker_to_gofer, uint32_t trap_action);

// The action under `policy`'s switches (broker_to_gofer, notify_denials,
// listener).
uint32_t SeccompAction(Disposition disposition, int errno_value, const Policy& policy, uint32_t trap_action);

// The same with trapped rows returning kAnyTrapAction: for callers that ask
// only whether the kernel runs a call (ALLOW) or answers it (ERRNO).
inline constexpr uint32_t kAnyTrapAction = SECCOMP_RET_TRACE;
inline uint32_t SeccompAction(Disposition disposition, int errno_value, const Policy& policy) {
  return SeccompAction(disposition, errno_value, policy, kAnyTrapAction);
}

// Compiles `policy` into the workload's BPF program, trapped rows returning
// `trap_action`. No filter flags: the platform's WorkloadSide loads it with
// the ones it needs.
absl::StatusOr<platform::CompiledSeccomp> CompileWorkloadFilter(const Policy& policy, uint32_t trap_action);

// libseccomp's pseudo filter code of the same filter, for debugging and tests.
absl::StatusOr<std::string> ExportWorkloadFilterPfc(const Policy& policy, uint32_t trap_action);

}  // namespace sentry

#endif  // RUNSC_SENTRY_WORKLOAD_FILTER_H_
