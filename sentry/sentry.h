// The sentry: the container's supervisor daemon (`runsc boot`).
//
// For now it watches the container init through a pidfd and exits once the
// init is gone; the interception issue adds the seccomp listeners and the
// control socket to this same process.
#ifndef RUNSC_SENTRY_SENTRY_H_
#define RUNSC_SENTRY_SENTRY_H_

#include <string>

namespace sentry {

// The fds and identity `runsc boot` is given (explicit flags, DESIGN.md).
struct SentryOptions {
  std::string container_id;
  int init_pidfd = -1;  // pidfd of the container init
  int ready_fd = -1;    // socket to runsc create: {"ok":true} once serving
};

// Runs the sentry until the container's init exits. Returns the exit code.
int RunSentry(const SentryOptions& options);

}  // namespace sentry

#endif  // RUNSC_SENTRY_SENTRY_H_
