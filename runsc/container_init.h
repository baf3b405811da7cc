// `runsc init`: the container's first process, before it becomes the
// workload. Started by runsc create (spawn.h) inside the new namespaces.
#ifndef RUNSC_RUNSC_CONTAINER_INIT_H_
#define RUNSC_RUNSC_CONTAINER_INIT_H_

#include "nlohmann/json.hpp"

namespace runsc {

// The fds `runsc init` is given (explicit flags, DESIGN.md).
struct InitFds {
  int sync = -1;  // stream socket to runsc create/exec (platform/sync_channel.h)
  int fifo = -1;  // create: O_PATH fd of <state dir>/exec.fifo
  int target_pidfd = -1;  // exec: pidfd of the container's init, whose namespaces to join
  int console = -1;       // process.terminal: socket to send the pty master on
  int sentry = -1;        // socket to the sentry: the sandbox filter's listener goes there
  int preserve_fds = 0;
};

// What create sends the init over the sync channel: the config, already
// validated by create and parsed again here from the same bytes.
struct InitConfig {
  std::string id;
  std::string bundle;
  nlohmann::json spec;
  bool no_pivot = false;
  bool no_new_keyring = false;
  // exec: join the running container (namespaces of InitFds::target_pidfd)
  // instead of building it, and exec at once (no start to wait for).
  bool exec = false;
  // The OCI state the create-time hooks get on stdin (status "creating").
  nlohmann::json hook_state;
  // sentry::SandboxConfig::ToJson(): the policy the sandbox filter is built from.
  nlohmann::json sandbox = nlohmann::json::object();
  // The sandbox filter runsc create compiled from `sandbox`
  // (PrecompiledSandboxFilter, filter_cache.h), or null: the init compiles it.
  nlohmann::json sandbox_filter;
};

nlohmann::json InitConfigToJson(const InitConfig& config);

// Sets the container up (namespaces joined by path, rootfs, devices,
// hostname, credentials...), reports {"ok":true} or {"error": msg} on the
// sync fd, waits for `runsc start` on the exec fifo and execs the workload.
// In exec mode it joins the running container's namespaces instead and
// execs right after reporting. Returns only on failure, with the exit code.
int RunContainerInit(const InitFds& fds);

}  // namespace runsc

#endif  // RUNSC_RUNSC_CONTAINER_INIT_H_
