// The broker's fd operands: calls that act on a file the workload already
// holds open (fchmod, fchown, fsetxattr, fremovexattr, futimens, futimesat
// with a NULL path, and the "" + AT_EMPTY_PATH forms on a non-directory),
// and the caller's RLIMIT_FSIZE for brokered calls that can grow a file.
//
// Why: the workload's view of host storage is read-only, so the kernel would
// answer EROFS where Linux on a writable mount changes the file (DESIGN.md:
// the read-only view is invisible). Such a call is sent to the gofer only
// when the fd is on a read-only mount of the caller's view; any other fd
// (tmpfs, /dev/shm, a file the gofer opened, a pipe) is CONTINUEd, and the
// kernel acts on it as on Linux.
//
// Invariant (security): the gofer acts on the fd's own inode and on no
// other. The sentry sends its duplicate of the caller's fd (pidfd_getfd) with
// the fd's path in the container; the gofer walks that path beneath its own
// root (RESOLVE_IN_ROOT, no magic links) in its copy of the container's
// tree and acts only when the file it reaches has the received fd's
// st_dev/st_ino (gofer/server/resolve.h, OpenStart), else ESTALE, and the
// sentry then lets the kernel answer in the read-only view. So the gofer
// never changes an inode that is not both the one the workload holds and in
// the container's tree at the mount the fd is on: a mount that is read-only
// for runc (in the spec, on the host, readonlyPaths, masks) is read-only in
// the gofer's copy too and answers EROFS. /proc, /sys and /dev (outside the
// container's host-storage binds there) are never sent. Handles
// (open_by_handle_at) are not used: overlayfs without nfs_export (Docker's
// rootfs) cannot decode them, and in a user namespace the gofer lacks the
// initial namespace's CAP_DAC_READ_SEARCH they need.
#ifndef RUNSC_SENTRY_BROKER_FD_H_
#define RUNSC_SENTRY_BROKER_FD_H_

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "platform/unique_fd.h"
#include "sentry/broker_calls.h"

namespace sentry {

// Resolves an operand that names the caller's fd `operand.dirfd` itself.
// EBADF for a closed fd, and (operand.fd_form: the call takes a file, not a
// path) for an O_PATH one, as Linux; nullopt (CONTINUE) when the fd is not
// on a read-only mount, not in the container's tree, or under /proc, /sys or
// /dev (outside `host_storage_under_dev`); else the operand to send: the fd
// and its container path as Dir, "" as path. Then operand.deferred_errno,
// if any, is the answer (the errors Linux finds after the fd). The caller
// must CheckLive after.
absl::StatusOr<std::optional<ResolvedOperand>> ResolveCallerFd(pid_t tid, const PathOperand& operand,
                                                               const std::vector<std::string>& host_storage_under_dev);

// The caller's soft RLIMIT_FSIZE, from /proc/<tid>/limits (UINT64_MAX when
// unlimited). The caller must CheckLive after.
absl::StatusOr<uint64_t> ReadFileSizeLimit(pid_t tid);

// True when `result` is the EFBIG of a Truncate beyond its fsize_limit (not
// one of the file system's own size limit, which raises no signal).
bool IsFileSizeLimitError(const gofer::protocol::Request& request, int64_t result);

// Raises SIGXFSZ in the calling thread, as the kernel does for a write or
// truncate beyond its RLIMIT_FSIZE. Sent before the call is answered: with
// WAIT_KILLABLE_RECV the caller waits killably once its call was received,
// so the signal stays pending until the EFBIG answer returns, as natively.
void RaiseFileSizeSignal(pid_t tgid, pid_t tid);

}  // namespace sentry

#endif  // RUNSC_SENTRY_BROKER_FD_H_
