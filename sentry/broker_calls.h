// The brokered syscalls' arguments, read from the caller's memory once, and
// how each becomes a gofer request (PROTOCOL.md, "Messages").
#ifndef RUNSC_SENTRY_BROKER_CALLS_H_
#define RUNSC_SENTRY_BROKER_CALLS_H_

#include <fcntl.h>

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "gofer/protocol/wire.h"
#include "platform/platform.h"
#include "platform/unique_fd.h"

namespace sentry {

// One path argument of a call.
struct PathOperand {
  int dirfd = AT_FDCWD;     // as the call gave it; AT_FDCWD for the non-*at forms
  std::string path;         // the bytes read from the caller, once
  bool empty_path = false;  // AT_EMPTY_PATH was given: "" names `dirfd` itself
  // The call has an AT_EMPTY_PATH form, so a path that is one of the
  // caller's magic links with nothing after it (/proc/self/fd/3) can be
  // sent as that directory with "" and AT_EMPTY_PATH.
  bool has_empty_path_form = false;
  // The call takes the fd itself (fchmod, fsetxattr, futimens...), not a
  // path: an O_PATH fd is EBADF (broker_fd.h).
  bool fd_form = false;
  // An fd operand's error that Linux finds only after the fd (fsetxattr's
  // bad name): answered once the fd is known to be brokered, else the
  // kernel's own.
  int deferred_errno = 0;
};

// A path operand resolved for the gofer: where it starts and what follows.
struct ResolvedOperand {
  gofer::protocol::Dir dir;
  std::string path;
  platform::UniqueFd fd;          // Dir::Kind::kFd only: sent with the request
  bool empty_path_added = false;  // the request must carry AT_EMPTY_PATH
};

// A call to send to the gofer.
struct BrokeredCall {
  std::vector<PathOperand> operands;  // 1, or 2 (rename, link)
  // Assembles the request body from the caller's creds and the operands,
  // resolved in order.
  std::function<gofer::protocol::RequestBody(const gofer::protocol::Creds&, const std::vector<ResolvedOperand>&)>
      make;
  bool cloexec = false;  // Openat: the injected fd gets O_CLOEXEC
  int socket_fd = -1;    // BindUnix: the caller's socket, sent after the dir
  // Truncate: the broker reads the caller's RLIMIT_FSIZE (broker_fd.h).
  bool needs_fsize_limit = false;
};

// A call to broker, or an answer found without the gofer (an errno, or
// Continue for what is not host storage).
using ParsedCall = std::variant<BrokeredCall, platform::CallResult>;

// How one broker row's arguments are read: `parse` reads each memory
// argument once, through `memory` (which checks the call is live after every
// read), and validates them as Linux would before it touches a file. Errors:
// a RemoteMemory error (IsCallGone, or EFAULT/ENAMETOOLONG for the workload).
struct BrokerHandler {
  std::string_view name;
  absl::StatusOr<ParsedCall> (*parse)(const std::array<uint64_t, 6>& args, platform::RemoteMemory& memory);
};

// The handler of brokered syscall `name`, or nullptr when the broker has
// none (the table's rows carry it: SyscallEntry::broker).
const BrokerHandler* FindBrokerHandler(std::string_view name);

// Parses a call of broker row `name` with its handler. A name without one is
// an InternalError, never Continue: the dispatcher treats such a trapped row
// as a sandbox fault before it gets here (DESIGN.md rule 6).
absl::StatusOr<ParsedCall> ParseBrokeredCall(const std::string& name, const platform::TrappedCall& call,
                                             platform::RemoteMemory& memory);

}  // namespace sentry

#endif  // RUNSC_SENTRY_BROKER_CALLS_H_
