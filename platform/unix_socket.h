// Passing file descriptors over unix sockets (SCM_RIGHTS).
#ifndef RUNSC_PLATFORM_UNIX_SOCKET_H_
#define RUNSC_PLATFORM_UNIX_SOCKET_H_

#include <sys/un.h>

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "platform/unique_fd.h"

namespace platform {

// The address of the unix socket at `path`. A path longer than sun_path
// (Docker's state dirs are) is reached through /proc/self/fd/<dir>/<name>,
// `dir` holding an O_PATH fd of its directory while the address is used.
absl::StatusOr<struct sockaddr_un> UnixAddress(const std::string& path, UniqueFd& dir);

// Connects a SOCK_STREAM unix socket to `path` (CLOEXEC); long paths as UnixAddress.
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
