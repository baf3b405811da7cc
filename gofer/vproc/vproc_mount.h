// Putting the vproc files in the container's view: one single-file FUSE
// mount per file (vproc_server.h, Options::root_file), created detached by
// the gofer while it is still in the host's namespaces, then attached over
// the file's target in the container's mount namespace before the workload
// runs.
//
// Why one mount per file and not LXCFS's one mount plus bind mounts: a bind
// of dir/meminfo makes the kernel LOOKUP "meminfo", a request nobody
// answers until the gofer has finished setting up (it serves after it has
// confined itself). Attaching a mount whose root is the file asks the
// server nothing; the kernel queues the first reads until we serve.
//
// Why the gofer mounts, in the host's user namespace: the kernel takes a
// /dev/fuse fd only from an opener in the mounter's user namespace, and
// the container has no /dev/fuse (and its device cgroup may deny it). The
// files' owner is given as the host id that the container's root maps to,
// so that inside they show as root's.
#ifndef RUNSC_GOFER_VPROC_VPROC_MOUNT_H_
#define RUNSC_GOFER_VPROC_VPROC_MOUNT_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "gofer/vproc/vproc_files.h"
#include "platform/unique_fd.h"

namespace gofer::vproc {

// A detached single-file mount: the connection to serve and the mount to attach.
struct FileMount {
  VFile file;
  platform::UniqueFd fuse;   // /dev/fuse: serve it with Options::root_file = file
  platform::UniqueFd mount;  // fsmount fd: attach it with AttachOver
};

// Opens /dev/fuse and creates `file`'s detached read-only FUSE mount
// (fsopen/fsconfig/fsmount: nosuid, nodev, noexec), owned by `uid`/`gid`
// of the caller's user namespace, readable by every user (allow_other).
// The kernel sends FUSE_INIT now; it waits on the fd until served.
absl::StatusOr<FileMount> CreateFileMount(VFile file, uint32_t uid, uint32_t gid);

// Attaches `mount_fd` over `target` (an absolute path, e.g. "/proc/meminfo")
// below `root_fd`, in the caller's mount namespace. Close `mount_fd` after:
// while it is open the superblock, and so the connection, outlive an unmount. Returns false and
// attaches nothing when the target does not exist, is not a regular file,
// or is not on procfs or sysfs (no /proc or /sys mounted there, or the
// user bound their own file over it: theirs wins).
//
// Invariant (security rule 3, paths): the container's tree is hostile; the
// target is resolved with RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS |
// RESOLVE_NO_MAGICLINKS beneath `root_fd` and the mount is attached to the
// fd resolved, so no symlink or `..` can place it outside the container
// root or over anything but a kernel-made procfs/sysfs file.
absl::StatusOr<bool> AttachOver(int root_fd, const std::string& target, int mount_fd);

}  // namespace gofer::vproc

#endif  // RUNSC_GOFER_VPROC_VPROC_MOUNT_H_
