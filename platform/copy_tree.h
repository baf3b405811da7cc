// Copying a directory tree between two directory fds, for the tmpcopyup
// mount option (a tmpfs that starts with what the image had at its target,
// as crun does for podman's --read-only and --tmpfs).
#ifndef RUNSC_PLATFORM_COPY_TREE_H_
#define RUNSC_PLATFORM_COPY_TREE_H_

#include "absl/status/status.h"

namespace platform {

// Copies the contents of the directory `from_dir` into the directory
// `to_dir` (both O_RDONLY | O_DIRECTORY fds): regular files, directories,
// symlinks and FIFOs, with their mode, owner and times; device nodes and
// sockets are skipped.
// Invariant: `from_dir` is container-controlled, so nothing is ever followed:
// every entry is opened with O_NOFOLLOW relative to its parent's fd, and a
// symlink is copied as a symlink.
absl::Status CopyTree(int from_dir, int to_dir);

}  // namespace platform

#endif  // RUNSC_PLATFORM_COPY_TREE_H_
