// The request handlers: one per message type, each performing exactly the
// Linux call PROTOCOL.md names for it, already on the caller's credentials.
#ifndef RUNSC_GOFER_SERVER_HANDLERS_H_
#define RUNSC_GOFER_SERVER_HANDLERS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gofer/protocol/transport.h"
#include "gofer/protocol/wire.h"
#include "gofer/server/creds.h"
#include "gofer/server/server.h"
#include "platform/unique_fd.h"

namespace gofer {

// A call's answer: 0 or -errno, and for Openat the opened fd.
struct Answer {
  int64_t value = 0;
  platform::UniqueFd fd;
};

// Where a request's path starts: the gofer's own fd (OpenStart) for a
// client directory, or the server's root fd, borrowed for an absolute path
// (a dup per operand would be two syscalls on every call). Invariant: a
// borrowed fd is never closed here; Take() hands out a dup of it instead.
class StartFd {
 public:
  static StartFd Owned(platform::UniqueFd fd) {
    const int raw = fd.get();  // before the move: argument order is unspecified
    return StartFd(raw, std::move(fd));
  }
  static StartFd Borrowed(int fd) { return StartFd(fd, platform::UniqueFd()); }
  int get() const { return fd_; }
  // An fd the caller owns: this one (it is left empty), or a dup of the
  // borrowed one (invalid if the dup fails: errno says why).
  platform::UniqueFd Take();

 private:
  StartFd(int fd, platform::UniqueFd owned) : fd_(fd), owned_(std::move(owned)) {}
  int fd_;
  platform::UniqueFd owned_;
};

// What a handler works with. `starts` are the request's start directories,
// in the field order of its Dirs; `received` are the client's fds, only
// BindUnix's socket (the last one) is ever used. A handler that fchdir()s
// sets `moved_cwd` first: the thread goes back to the root after.
struct Call {
  const ServerOptions& options;
  int root_fd;
  std::vector<StartFd> starts;
  std::vector<platform::UniqueFd> received;
  bool moved_cwd = false;
};

// -errno as an answer.
inline Answer Errno(int err) { return Answer{-static_cast<int64_t>(err), platform::UniqueFd()}; }
// The answer of a call that returned `rc` (errno read when rc < 0).
Answer FromReturn(long rc);

// handlers_open.cc
Answer HandleOpenat(Call& call, const protocol::Openat& request);
Answer HandleTruncate(Call& call, const protocol::Truncate& request);
// handlers_names.cc
Answer HandleMkdirat(Call& call, const protocol::Mkdirat& request);
Answer HandleMknodat(Call& call, const protocol::Mknodat& request);
Answer HandleUnlinkat(Call& call, const protocol::Unlinkat& request);
Answer HandleRenameat2(Call& call, const protocol::Renameat2& request);
Answer HandleLinkat(Call& call, const protocol::Linkat& request);
Answer HandleSymlinkat(Call& call, const protocol::Symlinkat& request);
// handlers_attrs.cc
Answer HandleFchmodat(Call& call, const protocol::Fchmodat& request);
Answer HandleFchownat(Call& call, const protocol::Fchownat& request);
Answer HandleUtimensat(Call& call, const protocol::Utimensat& request);
Answer HandleSetxattr(Call& call, const protocol::Setxattr& request);
Answer HandleRemovexattr(Call& call, const protocol::Removexattr& request);
Answer HandleFaccessat(Call& call, const protocol::Faccessat& request);
// The wire credentials a Faccessat is checked with: its creds with
// AT_EACCESS; else the real ids, and the permitted caps when the real uid
// is root in the gofer's namespace (none otherwise), as access(2) checks.
protocol::Creds AccessCheckCreds(const protocol::Faccessat& request, const IdMaps& maps);
// The open flags of a request's start fds (resolve.h): readable for the fd
// form of Setxattr/Removexattr (fsetxattr refuses O_PATH fds), else O_PATH.
uint64_t StartOpenFlags(const protocol::RequestBody& body);
// handlers_socket.cc
Answer HandleBindUnix(Call& call, const protocol::BindUnix& request);

// What performing a request left: its answer, and the thread's state.
struct Outcome {
  Answer answer;
  // Not OK: the thread's credentials are unknown; it must stop serving.
  absl::Status status;
  // The handler changed the thread's cwd: restore it before the next.
  bool moved_cwd = false;
};

// Performs one request (not Hello) on a serving thread: maps and takes the
// caller's credentials (ThreadCreds::Take: cached from the thread's last
// request when equal), opens the start directories with them, or, when
// that fails, with the gofer's own (the caller's walk to its own cwd needed
// no permission either, nor does a call on its fd; the identity check makes
// the start the caller's own file) before taking the caller's again, and
// runs the handler from the table. The thread keeps the caller's credentials after.
Outcome Perform(const ServerOptions& options, int root_fd, ThreadCreds& creds,
                protocol::Incoming<protocol::Request>& request);

// The audit line of a performed request (JSON, one line, no newline).
std::string AuditLine(const protocol::Request& request, int64_t result);

}  // namespace gofer

#endif  // RUNSC_GOFER_SERVER_HANDLERS_H_
