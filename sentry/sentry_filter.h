// The sentry's own seccomp allowlist (DESIGN.md security rule 5).
#ifndef RUNSC_SENTRY_SENTRY_FILTER_H_
#define RUNSC_SENTRY_SENTRY_FILTER_H_

#include <string>
#include <vector>

#include "absl/status/status.h"

namespace sentry {

// Confines the calling thread and the threads it starts later: the sentry
// keeps only CAP_SYS_PTRACE and CAP_DAC_OVERRIDE (to read and write the
// memory, and open the cwd, root and fds, of workload threads whose
// credentials differ from its own), sets no_new_privs, and
// loads an allowlist of the syscalls it serves with; anything else kills it
// (SIGSYS), and the watchdog then stops the container: fail closed.
// `platform_syscalls` (Platform::SentrySyscalls) are allowed too.
// With `directfs` (direct_fs.h) it also keeps the capabilities the gofer
// performs calls with, and allows its file calls: those that take a
// directory fd only with a real fd (never AT_FDCWD), and the per-thread
// credential, umask, unshare(CLONE_FS), fchdir and chroot calls.
// Call once everything privileged is done and before any thread starts.
absl::Status ConfineSentry(const std::vector<std::string>& platform_syscalls = {}, bool directfs = false);

}  // namespace sentry

#endif  // RUNSC_SENTRY_SENTRY_FILTER_H_
