// Helpers shared by rootfs.cc, mounts.cc, devices.cc and mask_cover.cc. Not a public API.
#ifndef RUNSC_PLATFORM_ROOTFS_INTERNAL_H_
#define RUNSC_PLATFORM_ROOTFS_INTERNAL_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "platform/unique_fd.h"

namespace platform::internal {

// "/proc/self/fd/<fd>": how mount(2) is pointed at an fd-resolved path.
std::string ProcFdPath(int fd);

// The non-empty components of `path` other than ".".
std::vector<std::string> SplitPath(std::string_view path);

// Splits a container path into its parent ("/a/b") and last component ("c").
// Fails when the last component is empty, "." or "..".
struct ParentAndBase {
  std::string parent;
  std::string base;
};
absl::StatusOr<ParentAndBase> SplitParent(std::string_view path);

// The MS_* per-mount flags (rdonly, nosuid, nodev, noexec, atime flags) of
// the mount at `path` (typically "/proc/self/fd/N"), read with statvfs.
absl::StatusOr<unsigned long> MountFlagsOf(const std::string& path);

// Bind-remounts the mount at `target` with `flags` added to its current flags
// (keeping locked ones, which the kernel refuses to clear).
absl::Status BindRemount(const std::string& target, unsigned long flags);

// maskedPaths, a file (mask_cover.cc): binds onto a target a /dev/null of
// its own (or an empty file) on a read-only tmpfs made for this container,
// never a host inode. The tmpfs is made at the first Cover and shared by
// every file masked through the same MaskCover.
class MaskCover {
 public:
  absl::Status Cover(int root_fd, int target_fd);

 private:
  UniqueFd mount_;  // the detached cover tmpfs, once made
};

}  // namespace platform::internal

#endif  // RUNSC_PLATFORM_ROOTFS_INTERNAL_H_
