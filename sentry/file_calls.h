// Where the broker's requests are performed (docs/design.md, "Where brokered
// calls run"): by the gofer, over its connection (GoferClient, the strict
// mode), or by the sentry itself on the gofer's donated root (DirectFs,
// directfs). Both take the same gofer protocol request and give the same
// reply, so the broker does not know which one answers.
#ifndef RUNSC_SENTRY_FILE_CALLS_H_
#define RUNSC_SENTRY_FILE_CALLS_H_

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "gofer/protocol/transport.h"
#include "gofer/protocol/wire.h"

namespace sentry {

class FileCalls {
 public:
  virtual ~FileCalls() = default;
  // Performs `request` with `fds` (as many as FdCount declares; borrowed)
  // and returns its Result reply. Thread-safe. Errors: the request could not
  // be performed at all (the broker answers EIO; a dead gofer or a thread
  // that lost its own root has already stopped the container).
  virtual absl::StatusOr<gofer::protocol::Incoming<gofer::protocol::Reply>>
  Call(const gofer::protocol::Request& request, absl::Span<const int> fds) = 0;
};

}  // namespace sentry

#endif  // RUNSC_SENTRY_FILE_CALLS_H_
