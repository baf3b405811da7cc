// Starting the sandbox's daemons for runsc create: the gofer (once the init
// has built the container's mounts), the sentry (given the gofer's
// connection) and the watchdog (DESIGN.md, "Processes"), wired to watch
// each other (watchdog.h: fail closed).
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

// Starts the gofer and waits until it holds its own copy of the container's
// mounts. Returns it and the sentry's end of their connection.
absl::StatusOr<std::pair<SpawnedChild, platform::UniqueFd>> SpawnGofer(const SandboxStart& start, const Spec& spec,
                                                                      const platform::LogOptions& log);

// Starts the sentry daemon, sends it its config and waits until it serves.
absl::StatusOr<SpawnedChild> SpawnSentry(const SandboxStart& start, const platform::LogOptions& log);

// Starts the watchdog that stops the container if the sentry dies, holding
// `lifeline` (the write end of the pipe the sentry watches; watchdog.h).
absl::StatusOr<SpawnedChild> SpawnWatchdog(const SandboxStart& start, int sentry_pidfd, int lifeline,
                                           const platform::LogOptions& log);

}  // namespace runsc

#endif  // RUNSC_RUNSC_SANDBOX_SPAWN_H_
