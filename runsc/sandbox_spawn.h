// Starting the sandbox's daemons for runsc create: the sentry and the
// watchdog (while the init sets up), the gofer (once the init has built the
// container's mounts), wired to watch each other (DESIGN.md, "Processes";
// watchdog.h: fail closed). Each is started first and awaited after, so that
// their start-ups overlap.
#ifndef RUNSC_RUNSC_SANDBOX_SPAWN_H_
#define RUNSC_RUNSC_SANDBOX_SPAWN_H_

#include <utility>

#include "absl/status/statusor.h"
#include "platform/logging.h"
#include "platform/unique_fd.h"
#include "runsc/spawn.h"
#include "runsc/spec.h"
#include "sentry/config.h"

namespace runsc {

// What runsc create hands the daemons.
struct SandboxStart {
  int exe_fd = -1;
  int init_pidfd = -1;
  int init_channel = -1;   // the sentry's end of the init's listener channel
  int gofer_channel = -1;  // the sentry's end of its connection to the gofer (-1: no gofer)
  sentry::SandboxConfig config;
  sentry::ContainerView view;
  // The mounts the init made read-only for the workload: the only ones the
  // gofer makes writable in its copy (host_mounts.h).
  std::vector<std::string> made_readonly;
  int watchdog_lifeline = -1;  // the sentry's end (read) of the watchdog's lifeline pipe
  int cgroup_kill_fd = -1;     // the container's cgroup.kill, for every daemon (-1: none)
};

// The annotation that turns the virtual /proc on or off for one container.
inline constexpr char kVirtualProcAnnotation[] = "dev.runsc.virtual-proc";

// `sandbox` with the spec's annotations applied (kVirtualProcAnnotation:
// "true" or "false"; another value is an error naming it).
absl::StatusOr<sentry::SandboxConfig> ApplyAnnotations(const sentry::SandboxConfig& sandbox, const Spec& spec);

// SIGKILLs `child` and reaps it.
void KillChild(const SpawnedChild& child);

// A daemon that runs but has not yet said it serves: `ready` is our end of
// the socket it answers {"ok": true} or {"error": ...} on.
struct StartingDaemon {
  SpawnedChild child;
  platform::UniqueFd ready;
};

// The two ends of the sentry's connection to the gofer.
struct GoferChannel {
  platform::UniqueFd sentry_end;
  platform::UniqueFd gofer_end;
};
absl::StatusOr<GoferChannel> MakeGoferChannel();

// Starts the gofer on `gofer_end` once the init has built the container's
// mounts; AwaitReady says when it holds its own copy of them.
absl::StatusOr<StartingDaemon> StartGofer(const SandboxStart& start,
                                          const Spec& spec, int gofer_end,
                                          const platform::LogOptions& log);

// Starts the sentry daemon, which waits for its config (SendSentryConfig)
// before anything else: it can start while the init sets up.
absl::StatusOr<StartingDaemon> StartSentry(const SandboxStart& start,
                                           const platform::LogOptions& log);

// Sends the sentry its config: `start`'s sandbox config and container view.
absl::Status SendSentryConfig(const StartingDaemon& sentry,
                              const SandboxStart& start);

// Waits until the gofer (null: none) and the sentry serve; kills each that
// does not. When one fails the other usually fails after it (the gofer exits
// with its sentry, the sentry's handshake fails without its gofer): the
// error is the one a daemon gave for itself, the gofer's first.
absl::Status AwaitSandbox(const StartingDaemon* gofer,
                          const StartingDaemon& sentry);

// Starts the watchdog that stops the container if the sentry dies, holding
// `lifeline` (the write end of the pipe the sentry watches; watchdog.h).
absl::StatusOr<SpawnedChild> SpawnWatchdog(const SandboxStart& start, int sentry_pidfd, int lifeline,
                                           const platform::LogOptions& log);

}  // namespace runsc

#endif  // RUNSC_RUNSC_SANDBOX_SPAWN_H_
