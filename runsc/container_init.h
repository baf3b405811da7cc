// `runsc init`: the container's first process, before it becomes the
// workload. Started by runsc create (spawn.h) inside the new namespaces.
#ifndef RUNSC_RUNSC_CONTAINER_INIT_H_
#define RUNSC_RUNSC_CONTAINER_INIT_H_

#include "nlohmann/json.hpp"

namespace runsc {

// The fds `runsc init` is given (explicit flags, DESIGN.md).
struct InitFds {
  int sync = -1;  // stream socket to runsc create (platform/sync_channel.h)
  int fifo = -1;  // O_PATH fd of <state dir>/exec.fifo
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
};

nlohmann::json InitConfigToJson(const InitConfig& config);

// Sets the container up (namespaces joined by path, rootfs, devices,
// hostname, credentials...), reports {"ok":true} or {"error": msg} on the
// sync fd, waits for `runsc start` on the exec fifo and execs the workload.
// Returns only on failure, with the process exit code.
int RunContainerInit(const InitFds& fds);

}  // namespace runsc

#endif  // RUNSC_RUNSC_CONTAINER_INIT_H_
