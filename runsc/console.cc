#include "runsc/console.h"

#include <sys/socket.h>

#include "fmt/format.h"
#include "platform/errors.h"
#include "platform/status_macros.h"
#include "platform/unix_socket.h"

namespace runsc {

absl::StatusOr<ConsoleChannel> OpenConsoleChannel(bool terminal, const std::string& console_socket,
                                                  bool foreground) {
  ConsoleChannel channel;
  if (!terminal) {
    if (!console_socket.empty()) {
      return absl::InvalidArgumentError("--console-socket given but process.terminal is false");
    }
    return channel;
  }
  if (!console_socket.empty()) {
    absl::StatusOr<platform::UniqueFd> socket = platform::ConnectUnix(console_socket);
    if (!socket.ok()) return platform::Annotate(socket.status(), "--console-socket");
    channel.theirs = std::move(*socket);
    return channel;
  }
  if (!foreground) {
    return absl::InvalidArgumentError(
        "process.terminal is true: a detached container needs --console-socket to receive its pty");
  }
  int pair[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) return platform::LastError("socketpair");
  channel.ours.reset(pair[0]);
  channel.theirs.reset(pair[1]);
  return channel;
}

}  // namespace runsc
