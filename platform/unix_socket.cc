#include "platform/unix_socket.h"

#include <fcntl.h>

#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "fmt/format.h"
#include "platform/errors.h"
#include "platform/status_macros.h"

namespace platform {

absl::StatusOr<struct sockaddr_un> UnixAddress(const std::string& path, UniqueFd& dir) {
  struct sockaddr_un address = {};
  address.sun_family = AF_UNIX;
  std::string reachable = path;
  if (path.size() >= sizeof(address.sun_path)) {
    size_t slash = path.rfind('/');
    if (slash == std::string::npos || slash == 0) {
      return absl::InvalidArgumentError(fmt::format("socket path {} is too long", path));
    }
    dir.reset(open(path.substr(0, slash).c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!dir.valid()) return LastError(fmt::format("opening the directory of socket {}", path));
    reachable = fmt::format("/proc/self/fd/{}{}", dir.get(), path.substr(slash));
    if (reachable.size() >= sizeof(address.sun_path)) {
      return absl::InvalidArgumentError(fmt::format("socket name in {} is too long", path));
    }
  }
  memcpy(address.sun_path, reachable.data(), reachable.size());
  return address;
}

absl::StatusOr<UniqueFd> ConnectUnix(const std::string& path) {
  UniqueFd dir;
  ASSIGN_OR_RETURN(struct sockaddr_un address, UnixAddress(path, dir));
  UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return LastError("socket");
  if (connect(fd.get(), reinterpret_cast<struct sockaddr*>(&address), sizeof(address)) != 0) {
    return LastError(fmt::format("connecting to {}", path));
  }
  return fd;
}

absl::Status SendFd(int socket, int fd, const std::string& name) {
  std::string payload = name.empty() ? std::string(1, '\0') : name;
  struct iovec iov = {payload.data(), payload.size()};
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  struct msghdr message = {};
  message.msg_iov = &iov;
  message.msg_iovlen = 1;
  message.msg_control = control;
  message.msg_controllen = sizeof(control);
  struct cmsghdr* header = CMSG_FIRSTHDR(&message);
  header->cmsg_level = SOL_SOCKET;
  header->cmsg_type = SCM_RIGHTS;
  header->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(header), &fd, sizeof(int));
  while (sendmsg(socket, &message, MSG_NOSIGNAL) < 0) {
    if (errno != EINTR) return LastError("sending a file descriptor");
  }
  return absl::OkStatus();
}

absl::StatusOr<UniqueFd> ReceiveFd(int socket) {
  char payload[4096];
  struct iovec iov = {payload, sizeof(payload)};
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int) * 4)] = {};
  struct msghdr message = {};
  message.msg_iov = &iov;
  message.msg_iovlen = 1;
  message.msg_control = control;
  message.msg_controllen = sizeof(control);
  ssize_t got;
  while ((got = recvmsg(socket, &message, MSG_CMSG_CLOEXEC)) < 0) {
    if (errno != EINTR) return LastError("receiving a file descriptor");
  }
  UniqueFd received;
  for (struct cmsghdr* header = CMSG_FIRSTHDR(&message); header != nullptr;
       header = CMSG_NXTHDR(&message, header)) {
    if (header->cmsg_level != SOL_SOCKET || header->cmsg_type != SCM_RIGHTS) continue;
    size_t count = (header->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < count; ++i) {
      int fd;
      memcpy(&fd, CMSG_DATA(header) + i * sizeof(int), sizeof(int));
      if (!received.valid()) {
        received.reset(fd);
      } else {
        close(fd);
      }
    }
  }
  if (!received.valid()) {
    return absl::DataLossError(got == 0 ? "peer closed before sending a file descriptor"
                                        : "message carried no file descriptor");
  }
  return received;
}

}  // namespace platform
