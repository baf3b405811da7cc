// Where the pty master of a process with a terminal goes: the caller's
// --console-socket (runc's protocol), or runsc itself in the foreground.
#ifndef RUNSC_RUNSC_CONSOLE_H_
#define RUNSC_RUNSC_CONSOLE_H_

#include <string>

#include "absl/status/statusor.h"
#include "platform/unique_fd.h"

namespace runsc {

// The socket the init sends the master on (`theirs`) and, in the
// foreground, our end to receive it from (`ours`).
struct ConsoleChannel {
  platform::UniqueFd theirs;
  platform::UniqueFd ours;
};

// Checks the terminal flags the way runc does and opens the channel:
// terminal + --console-socket connects to it; terminal in the foreground
// makes a socketpair; a detached terminal without a socket, or a socket
// without a terminal, is an error. No terminal: an empty channel.
absl::StatusOr<ConsoleChannel> OpenConsoleChannel(bool terminal, const std::string& console_socket,
                                                  bool foreground);

}  // namespace runsc

#endif  // RUNSC_RUNSC_CONSOLE_H_
