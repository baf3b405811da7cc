// Operations on one container: the lifecycle behind the CLI commands.
#ifndef RUNSC_RUNSC_CONTAINER_H_
#define RUNSC_RUNSC_CONTAINER_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "platform/logging.h"
#include "platform/unique_fd.h"
#include "runsc/state.h"
#include "sentry/config.h"

namespace runsc {

// Flags of `runsc create` (and `run`), as runc names them.
struct CreateOptions {
  std::string id;
  std::string bundle;          // default: the current directory
  std::string pid_file;
  std::string console_socket;
  bool no_pivot = false;
  bool no_new_keyring = false;
  int preserve_fds = 0;
  // `run` in the foreground: a terminal is relayed by runsc itself rather
  // than handed to a --console-socket.
  bool foreground = false;
  // --systemd-cgroup: the cgroup is a systemd transient unit (cgroup_systemd.h).
  bool systemd_cgroup = false;
};

// The init of a freshly created container; the caller is its parent.
struct CreatedContainer {
  pid_t pid = 0;
  platform::UniqueFd pidfd;
  platform::UniqueFd console_master;  // foreground with process.terminal only
};

// Creates the container: state dir, cgroup, init (waiting for start),
// sentry (with `sandbox`'s options) and its watchdog. Returns once the container is `created`. On failure nothing is
// left behind: no state dir, cgroup, mount or process.
absl::StatusOr<CreatedContainer> CreateContainer(const StateStore& store, const CreateOptions& options,
                                                 const platform::LogOptions& log, const sentry::SandboxConfig& sandbox);

// Starts a created container (opens the exec fifo so the init execs the
// workload). Error naming the state otherwise.
absl::Status StartContainer(const ContainerDir& dir, const ContainerState& state);

// Sends `signal` to the init, or with `all` to every process of the
// container. Error when the container is not running/created.
absl::Status SignalContainer(const ContainerDir& dir, const ContainerState& state, int signal, bool all);

// Kills whatever still runs, waits (bounded) for it to go, removes the
// cgroup and the state dir.
absl::Status DestroyContainer(ContainerDir& dir, const ContainerState& state);

// A pidfd of the container's init, only if it is still the process we
// recorded (the pidfd is opened first, the start time checked after, so a
// pid reused in between is never mistaken for it).
absl::StatusOr<platform::UniqueFd> OpenContainerInit(const ContainerState& state);

// The processes of a container's cgroup, split: the runtime's own (the
// sentry, gofer and watchdog of any container under the same --root, which
// are charged to their container's cgroups) and the rest, the workload, which
// is all runc would list. `docker top`, `kill --all` and delete act on the
// workload only.
struct CgroupProcesses {
  std::vector<pid_t> workload;
  std::vector<pid_t> runtime;
};

// Lists `state`'s cgroup (shared with other containers or not). `root` is
// the --root the state came from.
absl::StatusOr<CgroupProcesses> ListCgroupProcesses(
    const std::string& root, const ContainerState& state);

// Writes `pid` to `path` (--pid-file) atomically: a temporary file renamed
// into place, so a reader never sees a partial number.
absl::Status WritePidFile(const std::string& path, pid_t pid);

// Parses "KILL", "SIGKILL", "9" (and RT signals "RTMIN+1").
absl::StatusOr<int> ParseSignal(const std::string& name);

}  // namespace runsc

#endif  // RUNSC_RUNSC_CONTAINER_H_
