// BindUnix: the gofer binds the caller's own socket (PROTOCOL.md).
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "gofer/server/handlers.h"

namespace gofer {

// The socket is used for getsockopt(SO_DOMAIN) and bind only. The name is
// created relative to the serving thread's cwd, set to the verified start
// directory, with the caller's credentials and umask already in force.
Answer HandleBindUnix(Call& call, const protocol::BindUnix& request) {
  int socket = call.received.back().get();
  int domain = 0;
  socklen_t length = sizeof(domain);
  if (getsockopt(socket, SOL_SOCKET, SO_DOMAIN, &domain, &length) != 0) return Errno(errno);
  if (domain != AF_UNIX) return Errno(EINVAL);
  struct sockaddr_un address = {};
  // Empty would autobind an abstract name: not host storage.
  if (request.path.empty() || request.path.size() > sizeof(address.sun_path)) return Errno(EINVAL);
  address.sun_family = AF_UNIX;
  memcpy(address.sun_path, request.path.data(), request.path.size());
  call.moved_cwd = true;
  if (fchdir(call.starts[0].get()) != 0) return Errno(errno);
  socklen_t address_length = offsetof(struct sockaddr_un, sun_path) + request.path.size();
  return FromReturn(bind(socket, reinterpret_cast<struct sockaddr*>(&address), address_length));
}

}  // namespace gofer
