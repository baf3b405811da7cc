// directfs (docs/design.md, "Where brokered calls run"; gVisor's directfs):
// the sentry performs brokered calls itself, on the root the gofer donated
// in the handshake, with the gofer's own handlers (gofer/server: the same
// resolution, credentials and calls), one hop instead of two.
//
// How a call runs, on whichever sentry thread handles it:
//  - once per thread: unshare(CLONE_FS), so that its root, cwd and umask are
//    its own, and capture its credentials (gofer::ThreadCreds);
//  - fchdir to the donated root and chroot("."): `..` and absolute symlinks
//    stop at the container root, exactly as in the gofer (resolve.h);
//  - gofer::Perform: the caller's credentials, the walk from the donated
//    root or from a directory verified by device and inode against the
//    caller's fd, the call itself;
//  - back to the sentry's own credentials, root and cwd.
// Invariant: a thread never handles anything else (reads workload memory,
// opens /proc) unless it holds the sentry's own root and credentials again;
// when that cannot be restored, the sentry stops the container (fail
// closed) before the thread returns.
//
// Left to the gofer: mknod of a char or block device (the container's
// device rules are the gofer's to apply, gofer/server/policy.h).
#ifndef RUNSC_SENTRY_DIRECT_FS_H_
#define RUNSC_SENTRY_DIRECT_FS_H_

#include <functional>
#include <memory>

#include "absl/status/statusor.h"
#include "gofer/server/server.h"
#include "platform/unique_fd.h"
#include "sentry/file_calls.h"

namespace sentry {

class DirectFs : public FileCalls {
 public:
  using FailureCallback = std::function<void(const absl::Status& why)>;

  // `root`: the gofer's donated root (O_PATH). `gofer` (borrowed, outlives
  // this) answers what is left to it. `on_failure` stops the container: a
  // thread could not get its own root or credentials back.
  static absl::StatusOr<std::unique_ptr<DirectFs>> Create(
      platform::UniqueFd root, FileCalls* gofer, FailureCallback on_failure);

  absl::StatusOr<gofer::protocol::Incoming<gofer::protocol::Reply>> Call(
      const gofer::protocol::Request& request,
      absl::Span<const int> fds) override;

 private:
  DirectFs(platform::UniqueFd root, platform::UniqueFd own_root,
           platform::UniqueFd own_cwd, FileCalls* gofer,
           FailureCallback on_failure);
  // Into the donated root (the thread's fs struct is its own by then).
  absl::Status EnterRoot();
  // Back to the sentry's own credentials, root and cwd.
  absl::Status LeaveRoot(gofer::ThreadCreds& creds);

  const platform::UniqueFd root_;
  const platform::UniqueFd own_root_, own_cwd_;  // the sentry's, O_PATH
  FileCalls* const gofer_;
  const FailureCallback on_failure_;
  gofer::ServerOptions options_;  // identity id maps: the host's user namespace
};

// True for requests directfs leaves to the gofer (mknod of a device).
bool LeftToGofer(const gofer::protocol::Request& request);

}  // namespace sentry

#endif  // RUNSC_SENTRY_DIRECT_FS_H_
