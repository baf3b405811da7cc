// Building the container's filesystem view, always relative to an fd of the
// rootfs (DESIGN.md security rule 3).
//
// Invariant kept by every function here: a path that comes from the bundle's
// rootfs (a mount destination, a masked path, a device path) is resolved with
// openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS) beneath `root_fd` and acted
// on through the resulting fd (mount onto /proc/self/fd/N, mknodat/mkdirat on a
// parent fd), never by re-walking a string path the container can swap for a
// symlink. A symlink inside the rootfs therefore resolves inside the rootfs.
//
// These run in the container init, in its new mount namespace, BEFORE
// pivot_root, while the host's /proc is still mounted at /proc.
#ifndef RUNSC_PLATFORM_ROOTFS_H_
#define RUNSC_PLATFORM_ROOTFS_H_

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "platform/unique_fd.h"

namespace platform {

// Opens `path` (container-absolute) beneath `root_fd` with RESOLVE_IN_ROOT |
// RESOLVE_NO_MAGICLINKS. `flags` are open flags (e.g. O_PATH | O_CLOEXEC).
absl::StatusOr<UniqueFd> OpenInRoot(int root_fd, std::string_view path, int flags);

// Creates every missing directory of `path` beneath `root_fd`, one component
// at a time with mkdirat on the parent's fd, and returns an O_PATH fd of the
// last one. Fails with ENOTDIR if a component exists and is not a directory.
absl::StatusOr<UniqueFd> MkdirAllInRoot(int root_fd, std::string_view path, mode_t mode);

// Ensures an empty regular file exists at `path` (parents created as by
// MkdirAllInRoot) and returns an O_PATH fd of it: a bind target for a file.
absl::StatusOr<UniqueFd> CreateFileInRoot(int root_fd, std::string_view path, mode_t mode);

// One mount to perform, already decoded from the spec's options.
struct MountRequest {
  std::string source;           // host path for binds; fs source otherwise ("proc", "tmpfs")
  std::string type;             // "bind" or a filesystem type
  unsigned long flags = 0;      // MS_* (MS_BIND, MS_REC, MS_RDONLY, MS_NOSUID, ...)
  unsigned long propagation = 0;  // MS_PRIVATE/MS_SLAVE/MS_SHARED/MS_UNBINDABLE [| MS_REC]
  std::string data;             // fs data ("mode=755,size=65536k")
  bool copy_up = false;         // tmpcopyup: a tmpfs starts with what was at the target
  uint64_t recursive_set = 0;   // MOUNT_ATTR_* set on the mount and every mount beneath it (rro, ...)
  uint64_t recursive_clear = 0;  // MOUNT_ATTR_* cleared likewise (rrw, ...)
};

// Mounts `request` at `destination` inside the rootfs: creates the target
// (directory, or file when a bind source is not a directory) fd-relative,
// mounts onto the target's fd, then applies MS_RDONLY/nosuid/... with a bind
// remount and the propagation. Type "cgroup" mounts the container's cgroups
// (cgroup2 on a unified host; a tmpfs with the v1 hierarchies bound in
// otherwise), read-only when asked.
absl::Status MountInRoot(int root_fd, std::string_view destination, const MountRequest& request);

// The default device nodes every container gets (null, zero, full, random,
// urandom, tty), made with mknodat under the rootfs's /dev, plus the /dev
// symlinks (fd, stdin, stdout, stderr, ptmx -> pts/ptmx, core when
// /proc/kcore exists). With `bind_from_host` (a user namespace) the nodes
// are the host's, bind-mounted (BindDevice).
absl::Status CreateDefaultDevices(int root_fd, bool bind_from_host);

// One device node to create (linux.devices[]); type is 'c', 'b' or 'p'.
struct DeviceNode {
  std::string path;
  char type = 'c';
  uint32_t major = 0, minor = 0;
  mode_t mode = 0666;  // permission bits
  uint32_t uid = 0, gid = 0;
};

// Creates `device` fd-relative (an existing node at the path is replaced).
absl::Status CreateDevice(int root_fd, const DeviceNode& device);

// In a user namespace, where mknod is refused: bind-mounts the host's node at
// `device.path` (the same path on the host, as runc does) onto an empty file
// made beneath the rootfs. The host node must be the device the spec names.
absl::Status BindDevice(int root_fd, const DeviceNode& device);

// maskedPaths entry: covers a file with a read-only bind of a /dev/null of
// its own (or, where mknod is refused, an empty 0444 file) on a tmpfs made
// for this container, a directory with an empty read-only tmpfs; a missing
// path is not an error (as in runc). Never a host inode (DESIGN.md: masks
// are container-owned nodes).
absl::Status MaskPath(int root_fd, std::string_view path);

// MaskPath for every path, in order, with one cover tmpfs for all the files
// (not one per file: start-up cost). Errors name the path.
absl::Status MaskPaths(int root_fd, const std::vector<std::string>& paths);

// readonlyPaths entry: bind the path onto itself and remount it read-only;
// a missing path is not an error.
absl::Status MakeReadonly(int root_fd, std::string_view path);

// Sets the propagation of the mount at "/" (called first, with MS_REC |
// MS_PRIVATE unless the spec says otherwise) so nothing leaks to the host.
absl::Status SetRootPropagation(unsigned long propagation);

// Bind-mounts `rootfs` onto itself so it is a mount point (needed by pivot_root).
absl::Status BindRootfsOntoItself(const std::string& rootfs);

// Makes `rootfs` the process's root: pivot_root(".", ".") + detach of the old
// root, or with `no_pivot` MS_MOVE + chroot. The cwd is "/" afterwards.
absl::Status EnterRootfs(const std::string& rootfs, bool no_pivot);

// Remounts "/" (after EnterRootfs) read-only, keeping its other flags.
absl::Status RemountRootReadonly();

}  // namespace platform

#endif  // RUNSC_PLATFORM_ROOTFS_H_
