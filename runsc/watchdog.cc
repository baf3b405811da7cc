#include "runsc/watchdog.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "platform/cgroups.h"
#include "spdlog/spdlog.h"

namespace runsc {
namespace {

// Kills the init (with a pid namespace that kills everything in it) and,
// for containers without one, every process left in the container's cgroup.
void KillContainer(const WatchdogOptions& options) {
  syscall(SYS_pidfd_send_signal, options.init_pidfd, SIGKILL, nullptr, 0);
  absl::StatusOr<platform::Cgroup> cgroup =
      platform::Cgroup::FromJson(nlohmann::json::parse(options.cgroup, nullptr, false));
  if (!cgroup.ok()) return;
  absl::StatusOr<std::vector<pid_t>> pids = cgroup->Processes();
  if (!pids.ok()) return;
  for (pid_t pid : *pids) kill(pid, SIGKILL);
}

}  // namespace

int RunWatchdog(const WatchdogOptions& options) {
  prctl(PR_SET_NAME, "runsc-watchdog");
  struct pollfd fds[2] = {{options.init_pidfd, POLLIN, 0}, {options.sentry_pidfd, POLLIN, 0}};
  while (poll(fds, 2, -1) < 0) {
    if (errno != EINTR) return 1;
  }
  if (fds[0].revents) return 0;  // the init is gone: the container stopped normally
  spdlog::error("container {}: the sentry died; stopping the container (fail closed)", options.id);
  KillContainer(options);
  return 1;
}

}  // namespace runsc
