// Passing file descriptors over unix sockets (SCM_RIGHTS).
#ifndef RUNSC_PLATFORM_UNIX_SOCKET_H_
#define RUNSC_PLATFORM_UNIX_SOCKET_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "platform/unique_fd.h"

namespace platform {

// Connects a SOCK_STREAM unix socket to `path` (CLOEXEC).
absl::StatusOr<UniqueFd> ConnectUnix(const std::string& path);

// Sends `fd` with SCM_RIGHTS and `name` as the payload, as runc sends the
// pty master to a --console-socket (its receivers read the name).
absl::Status SendFd(int socket, int fd, const std::string& name);

// A fd received with SCM_RIGHTS (CLOEXEC); any payload is discarded.
// Invariant: at most one fd is accepted; extra fds in the message are
// closed, never left open in this process.
absl::StatusOr<UniqueFd> ReceiveFd(int socket);

}  // namespace platform

#endif  // RUNSC_PLATFORM_UNIX_SOCKET_H_
