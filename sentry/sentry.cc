#include "sentry/sentry.h"

#include <errno.h>
#include <poll.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "platform/sync_channel.h"
#include "spdlog/spdlog.h"

namespace sentry {
namespace {

// Blocks until the init's pidfd reports its exit.
void WaitForInitExit(int init_pidfd) {
  struct pollfd poller = {init_pidfd, POLLIN, 0};
  while (poll(&poller, 1, -1) < 0 && errno == EINTR) {
  }
}

}  // namespace

int RunSentry(const SentryOptions& options) {
  prctl(PR_SET_NAME, "runsc-sentry");
  spdlog::debug("sentry for container {} started", options.container_id);
  absl::Status ready = platform::SendMessage(options.ready_fd, {{"ok", true}});
  close(options.ready_fd);
  if (!ready.ok()) {
    spdlog::error("sentry for container {}: reporting ready: {}", options.container_id,
                  std::string(ready.message()));
    return 1;
  }
  WaitForInitExit(options.init_pidfd);
  spdlog::debug("sentry for container {}: the init exited; stopping", options.container_id);
  return 0;
}

}  // namespace sentry
