#include "sentry/control_server.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "fmt/format.h"
#include "platform/errors.h"
#include "platform/platform.h"
#include "platform/status_macros.h"
#include "platform/sync_channel.h"
#include "platform/unix_socket.h"
#include "spdlog/spdlog.h"

namespace sentry {
namespace {

using platform::UniqueFd;

// Only root or the sentry's own user may talk to it (DESIGN.md).
bool PeerAllowed(int connection) {
  struct ucred cred;
  socklen_t size = sizeof(cred);
  if (getsockopt(connection, SOL_SOCKET, SO_PEERCRED, &cred, &size) != 0) return false;
  return cred.uid == 0 || cred.uid == geteuid();
}

// A peer that stops talking cannot hold the server.
void BoundWaits(int connection) {
  struct timeval timeout = {2, 0};
  setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  setsockopt(connection, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
}

}  // namespace

absl::StatusOr<std::unique_ptr<ControlServer>> ControlServer::Listen(const std::string& path,
                                                                     ControlHandlers handlers) {
  UniqueFd dir;
  ASSIGN_OR_RETURN(struct sockaddr_un address, platform::UnixAddress(path, dir));
  UniqueFd socket_fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!socket_fd.valid()) return platform::LastError("control socket");
  unlink(path.c_str());
  mode_t old_mask = umask(0177);
  int rc = bind(socket_fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address));
  umask(old_mask);
  if (rc != 0) return platform::LastError(fmt::format("binding {}", path));
  if (listen(socket_fd.get(), 16) != 0) return platform::LastError("listen");
  return std::unique_ptr<ControlServer>(new ControlServer(path, std::move(socket_fd), std::move(handlers)));
}

ControlServer::ControlServer(std::string path, UniqueFd socket, ControlHandlers handlers)
    : path_(std::move(path)), socket_(std::move(socket)), handlers_(std::move(handlers)),
      stop_(eventfd(0, EFD_CLOEXEC)) {}

void ControlServer::Start() { thread_ = std::thread([this] { Loop(); }); }

ControlServer::~ControlServer() {
  uint64_t one = 1;
  (void)!write(stop_.get(), &one, sizeof(one));
  if (thread_.joinable()) thread_.join();
  unlink(path_.c_str());
}

void ControlServer::Loop() {
  while (true) {
    struct pollfd fds[2] = {{socket_.get(), POLLIN, 0}, {stop_.get(), POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) continue;
    if (fds[1].revents) return;
    UniqueFd connection(accept4(socket_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!connection.valid()) continue;
    if (!PeerAllowed(connection.get())) {
      spdlog::warn("sentry: control connection from a disallowed peer refused");
      continue;
    }
    ServeConnection(connection.get(), /*bounded=*/true);
  }
}

void ControlServer::ServeConnection(int connection, bool bounded) {
  if (bounded) BoundWaits(connection);
  absl::StatusOr<nlohmann::json> request = platform::ReceiveMessage(connection);
  if (!request.ok()) return;
  const std::string op = request->value("op", "");
  nlohmann::json reply = {{"ok", true}};
  if (op == platform::kAttachOp) {
    absl::StatusOr<UniqueFd> handover = platform::ReceiveFd(connection);
    absl::Status attached = handover.ok() ? handlers_.attach(std::move(*handover)) : handover.status();
    if (!attached.ok()) reply = {{"error", std::string(attached.message())}};
  } else if (op == "stats") {
    reply["stats"] = handlers_.stats();
  } else {
    reply = {{"error", fmt::format("unknown request \"{}\"", op)}};
  }
  (void)platform::SendMessage(connection, reply);
}

absl::StatusOr<nlohmann::json> QueryStats(const std::string& path) {
  ASSIGN_OR_RETURN(UniqueFd connection, platform::ConnectUnix(path));
  BoundWaits(connection.get());
  RETURN_IF_ERROR(platform::SendMessage(connection.get(), {{"op", "stats"}}));
  ASSIGN_OR_RETURN(nlohmann::json reply, platform::ReceiveMessage(connection.get()));
  if (!reply.contains("stats")) return absl::InternalError("the sentry sent no stats");
  return reply["stats"];
}

}  // namespace sentry
