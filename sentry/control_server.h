// The sentry's control socket (<state dir>/sentry.sock): how a process
// `runsc exec` starts is attached to the sentry's platform and how `runsc
// events` reads the call counters. Framed JSON (platform/sync_channel.h), one
// request per connection; an "attach" request (platform::SendAttach) is
// followed by its fd (SCM_RIGHTS) and answered once the platform serves the
// process.
#ifndef RUNSC_SENTRY_CONTROL_SERVER_H_
#define RUNSC_SENTRY_CONTROL_SERVER_H_

#include <atomic>
#include <functional>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "platform/unique_fd.h"

namespace sentry {

// What the server does for each request.
struct ControlHandlers {
  // platform::Platform::Attach of the fd a WorkloadSide handed over.
  std::function<absl::Status(platform::UniqueFd handover)> attach;
  std::function<nlohmann::json()> stats;
};

// Serves requests on a background thread until destroyed.
class ControlServer {
 public:
  // Binds and listens on `path` (0600; a stale socket file is replaced).
  static absl::StatusOr<std::unique_ptr<ControlServer>> Listen(const std::string& path, ControlHandlers handlers);
  ~ControlServer();

  // Serves one request of an already-connected peer on the calling thread.
  // `bounded`: give up on a peer silent for 2 s (not for the init, which
  // attaches only when `start` comes).
  void ServeConnection(int connection, bool bounded);

  void Start();

 private:
  ControlServer(std::string path, platform::UniqueFd socket, ControlHandlers handlers);
  void Loop();

  std::string path_;
  platform::UniqueFd socket_;
  ControlHandlers handlers_;
  platform::UniqueFd stop_;  // eventfd
  std::thread thread_;
};

// Client side: the sentry's call counters.
absl::StatusOr<nlohmann::json> QueryStats(const std::string& path);

}  // namespace sentry

#endif  // RUNSC_SENTRY_CONTROL_SERVER_H_
