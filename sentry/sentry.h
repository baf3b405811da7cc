// The sentry: the container's supervisor daemon (`runsc boot`).
//
// It attaches every process of the container to its platform (seccomp-notify:
// holds their listeners) and answers the calls the workload's filter traps
// (dispatcher.h), serves the control socket (control_server.h), and exits
// once the container's init is gone and no attached process is left.
#ifndef RUNSC_SENTRY_SENTRY_H_
#define RUNSC_SENTRY_SENTRY_H_

#include <string>

namespace sentry {

// The fds and identity `runsc boot` is given (explicit flags, DESIGN.md).
struct SentryOptions {
  std::string container_id;
  int init_pidfd = -1;        // pidfd of the container init
  int ready_fd = -1;          // socket to runsc create: config in, {"ok":true} out once serving
  int init_channel_fd = -1;   // socket the init attaches over (platform::SendAttach)
  // The sentry's end of the gofer's SEQPACKET socketpair (PROTOCOL.md); -1:
  // no gofer, and broker rows, if the policy traps them, get EIO.
  int gofer_fd = -1;
  // The read end of a pipe whose only writer is the watchdog (runsc/watchdog.h):
  // it hangs up when the watchdog dies, and the sentry then stops the
  // container. -1: no watchdog.
  int watchdog_fd = -1;
  // The container's cgroup.kill (cgroup v2), opened by runsc create; -1 when
  // the host has none: then only the init is killed.
  int cgroup_kill_fd = -1;
};

// Runs the sentry until the container's init exits. Returns the exit code.
int RunSentry(const SentryOptions& options);

}  // namespace sentry

#endif  // RUNSC_SENTRY_SENTRY_H_
