// Whether a brokered call's target is host storage at all, decided in the
// workload's own view of its mounts (issue 17, item 3).
//
// Invariant that makes this safe (DESIGN.md rule 1, broker.h): in the
// workload's view every mount of host storage is read-only, and the workload
// holds no handle on the gofer's read-write copy. So a mount that is
// writable in that view is not host storage: a call whose target lies on one
// (the container's tmpfs /tmp, /dev/shm, an overlay in memory) may run in the
// kernel as the workload made it (CONTINUE), exactly as under runc. The check
// and the kernel's own resolution are not atomic: a path the workload flips
// to host storage in between (a symlink swapped, a directory renamed, the
// path bytes rewritten) reaches a read-only mount and gets EROFS, never a
// write. A misjudgement in the other direction only sends the call to the
// gofer, as before. Nothing here writes, and nothing is opened but O_PATH.
#ifndef RUNSC_SENTRY_BROKER_VIEW_H_
#define RUNSC_SENTRY_BROKER_VIEW_H_

#include <string>

namespace sentry {

// True when `path` (resolved from `root_fd`, a directory fd of the container
// root in the workload's mount namespace, as the kernel resolves it for a
// caller whose root that is: symlinks of the leading components followed and
// kept inside the root, magic links refused) names an entry whose directory
// is on a writable mount of that view and which is absent, or present and
// on a writable mount itself, or a symlink the call does not follow
// (`follows_last` false: unlink, rename, mkdir ...). False in every other
// case (a symlink the call may follow anywhere; "." or ".." last; an error),
// which leaves the call to the broker.
bool OnWritableMountInView(int root_fd, const std::string& path,
                           bool follows_last);

}  // namespace sentry

#endif  // RUNSC_SENTRY_BROKER_VIEW_H_
