// `runsc watchdog`: the third of a container's runtime processes (DESIGN.md,
// "Processes", fail closed). The sentry, the gofer and the watchdog watch
// each other so that whichever dies, and whichever two die at once, one
// that is left stops the container within a second:
//   - the sentry dies: the gofer (its connection hangs up) and the watchdog
//     (the sentry's pidfd) kill the container;
//   - the gofer dies: the sentry (its connection fails) kills the container;
//   - the watchdog dies: the sentry (the lifeline pipe, whose only writer is
//     the watchdog, hangs up) kills the container.
// Why a third process (~6 MB RSS) rather than the sentry and the gofer
// alone: with two, both dying at once (a `kill -9` of both, an OOM kill, a
// `pkill runsc`) leaves nobody to notice, and the workload runs on
// unsupervised (trapped calls get ENOSYS; security holds, since denials
// are in-kernel BPF and host storage is read-only to the workload, but the
// container does not stop). It is also the only watcher of the sentry when
// the policy brokers nothing and there is no gofer.
#ifndef RUNSC_RUNSC_WATCHDOG_H_
#define RUNSC_RUNSC_WATCHDOG_H_

#include <string>

namespace runsc {

struct WatchdogOptions {
  std::string id;
  int init_pidfd = -1;
  int sentry_pidfd = -1;
  int lifeline_fd = -1;     // write end of the pipe the sentry watches (held, never written)
  int cgroup_kill_fd = -1;  // the container's cgroup.kill (-1: none, cgroup v1 only)
  std::string cgroup;       // platform::Cgroup::ToJson() text (without cgroup.kill)
};

// Runs until the sentry exits, then kills whatever is left of the container
// (nothing, when the sentry exited because the container did). Returns 0
// if the init had exited before the sentry, 1 if the container was killed.
int RunWatchdog(const WatchdogOptions& options);

}  // namespace runsc

#endif  // RUNSC_RUNSC_WATCHDOG_H_
