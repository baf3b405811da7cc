// --overlay=memory: the rootfs as an overlayfs whose upper layer is a tmpfs
// owned by the sandbox, so the container's writes to its root stay in
// memory and the host rootfs is never modified (issue: "the host rootfs has
// the same checksum after a container wrote all over it").
#ifndef RUNSC_PLATFORM_MEMORY_OVERLAY_H_
#define RUNSC_PLATFORM_MEMORY_OVERLAY_H_

#include <string>

#include "absl/status/status.h"

namespace platform {

// In the container init's mount namespace, before pivot_root: mounts an
// overlay on `rootfs` with `lower` (normally `rootfs` itself; the host's "/"
// for `runsc do`) as its only lower layer and a fresh,
// detached tmpfs (fsopen/fsmount: it has no path on the host) holding the
// upper and work directories. The tmpfs pages are charged to the memory
// cgroup of whoever writes them, the container, so its memory limit is the
// overlay's size limit. The result is a mount point, as pivot_root needs.
absl::Status MountMemoryOverlay(const std::string& lower, const std::string& rootfs);

}  // namespace platform

#endif  // RUNSC_PLATFORM_MEMORY_OVERLAY_H_
