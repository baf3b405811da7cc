#include "runsc/watchdog.h"

#include <errno.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "platform/cgroups.h"
#include "spdlog/spdlog.h"

namespace runsc {
namespace {

// Every process of the container: cgroup.kill kills the whole cgroup (a
// container without a pid namespace included); without it (cgroup v1
// only), each pid in cgroup.procs. Then the init, and with it its pid
// namespace.
void KillContainer(const WatchdogOptions& options) {
  if (options.cgroup_kill_fd >= 0 && write(options.cgroup_kill_fd, "1", 1) != 1) {
    spdlog::warn("container {}: writing cgroup.kill: {}", options.id, strerror(errno));
  }
  syscall(SYS_pidfd_send_signal, options.init_pidfd, SIGKILL, nullptr, 0);
  if (options.cgroup_kill_fd >= 0) return;
  absl::StatusOr<platform::Cgroup> cgroup =
      platform::Cgroup::FromJson(nlohmann::json::parse(options.cgroup, nullptr, false));
  if (!cgroup.ok()) return;
  absl::StatusOr<std::vector<pid_t>> pids = cgroup->Processes();
  if (!pids.ok()) return;
  // The watchdog is in the container's cgroup too: itself last (it exits).
  for (pid_t pid : *pids) {
    if (pid != getpid()) kill(pid, SIGKILL);
  }
}

// True if the pidfd's process has exited (readable), without blocking.
bool Exited(int pidfd) {
  struct pollfd poller = {pidfd, POLLIN, 0};
  return poll(&poller, 1, 0) == 1;
}

}  // namespace

int RunWatchdog(const WatchdogOptions& options) {
  prctl(PR_SET_NAME, "runsc-watchdog");
  // What start-up freed (the parsed command line) goes back to the kernel:
  // the watchdog waits for the container's whole life.
  malloc_trim(0);
  // The lifeline is held, never written: the sentry watches it hang up.
  struct pollfd sentry = {options.sentry_pidfd, POLLIN, 0};
  while (poll(&sentry, 1, -1) < 0 && errno == EINTR) {
  }
  // The sentry is gone. When the container stopped first, this kills
  // nothing; otherwise the kernel now answers every trapped call ENOSYS:
  // fail closed, do not let the workload run on unsupervised.
  const bool init_exited = Exited(options.init_pidfd);
  if (!init_exited) {
    spdlog::error("container {}: the sentry died; stopping the container (fail closed)", options.id);
  }
  KillContainer(options);
  return init_exited ? 0 : 1;
}

}  // namespace runsc
