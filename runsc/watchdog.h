// `runsc watchdog`: stops the container when its sentry dies (DESIGN.md,
// "fail closed"). Until the gofer exists (it takes this job over), this small
// daemon holds pidfds of the init and the sentry: if the sentry goes first,
// the kernel already answers every trapped call ENOSYS, and the watchdog
// kills every process of the container so that it does not run on
// unsupervised. It exits when the init does.
#ifndef RUNSC_RUNSC_WATCHDOG_H_
#define RUNSC_RUNSC_WATCHDOG_H_

#include <string>

namespace runsc {

struct WatchdogOptions {
  std::string id;
  int init_pidfd = -1;
  int sentry_pidfd = -1;
  std::string cgroup;  // platform::Cgroup::ToJson() text
};

// Runs until the init exits (0) or the sentry died and the container was
// killed (1).
int RunWatchdog(const WatchdogOptions& options);

}  // namespace runsc

#endif  // RUNSC_RUNSC_WATCHDOG_H_
