// The gofer's server: serves one SEQPACKET connection of the gofer protocol
// (gofer/protocol/PROTOCOL.md), performing each brokered call in the gofer's
// read-write copy of the container's tree with the caller's credentials.
#ifndef RUNSC_GOFER_SERVER_SERVER_H_
#define RUNSC_GOFER_SERVER_SERVER_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gofer/server/creds.h"
#include "gofer/server/policy.h"

namespace gofer {

struct ServerOptions {
  // The container root every path resolves beneath. -1: "/" (the gofer is
  // pivot_root'ed into its copy of the container's tree). Borrowed: it
  // must stay open while Serve runs. Other values are for tests; the
  // serving threads then chroot() into it (needs CAP_SYS_CHROOT).
  int root_fd = -1;
  // Host (wire) ids -> the gofer's namespace ids; empty: identity.
  IdMaps id_maps;
  // The container's device rules: mknod of a char/block device they do not
  // allow ('m') gets EPERM (policy.h).
  DeviceRules devices;
  // Called once per request (not Hello) on a serving thread, concurrently
  // from several threads, with one JSON line: call, dir, path, uid, result.
  std::function<void(const std::string& json_line)> audit;
  // directfs (PROTOCOL.md, "directfs"): HelloReply carries an O_PATH fd of
  // the root, so the sentry performs brokered calls itself. Off (strict
  // mode): the root never leaves the gofer.
  bool donate_root = false;
  // Serving threads at most: one starts with the connection, more when
  // every one is busy (server.cc).
  int threads = 4;
  // TODO(gofer): rootfs_quota_bytes (0 = none): refuse growth past a quota.
};

// Serves one connection. Thread-safety: one Serve call at a time.
class Server {
 public:
  explicit Server(ServerOptions options) : options_(std::move(options)) {}

  // Serves `socket` (SOCK_SEQPACKET, borrowed) until the peer closes it
  // (OK) or a protocol error (the error, after an Error reply and
  // shutdown(2) of the socket), or a serving thread fails (Internal). The
  // calling thread waits; up to `options.threads` threads, each with its
  // own fs struct (unshare(CLONE_FS): umask, cwd, root), read and perform
  // requests.
  absl::Status Serve(int socket);

 private:
  ServerOptions options_;
};

}  // namespace gofer

#endif  // RUNSC_GOFER_SERVER_SERVER_H_
