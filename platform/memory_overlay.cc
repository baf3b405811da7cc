#include "platform/memory_overlay.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "absl/status/statusor.h"
#include "fmt/format.h"
#include "platform/errors.h"
#include "platform/unique_fd.h"

namespace platform {
namespace {

// A tmpfs mount that is attached nowhere: only its fd reaches it.
absl::StatusOr<UniqueFd> DetachedTmpfs() {
  UniqueFd context(static_cast<int>(syscall(SYS_fsopen, "tmpfs", FSOPEN_CLOEXEC)));
  if (!context.valid()) return LastError("fsopen tmpfs");
  if (syscall(SYS_fsconfig, context.get(), FSCONFIG_SET_STRING, "mode", "0755", 0) != 0 ||
      syscall(SYS_fsconfig, context.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0) {
    return LastError("creating the overlay's tmpfs");
  }
  UniqueFd mount(static_cast<int>(syscall(SYS_fsmount, context.get(), FSMOUNT_CLOEXEC, 0)));
  if (!mount.valid()) return LastError("fsmount tmpfs");
  for (const char* dir : {"upper", "work"}) {
    if (mkdirat(mount.get(), dir, 0755) != 0) return LastError(fmt::format("mkdir {} in the overlay's tmpfs", dir));
  }
  return mount;
}

}  // namespace

absl::Status MountMemoryOverlay(const std::string& lower, const std::string& rootfs) {
  if (lower.find_first_of(",:") != std::string::npos) {
    return absl::InvalidArgumentError(fmt::format("root.path {}: overlay paths cannot contain ',' or ':'", lower));
  }
  absl::StatusOr<UniqueFd> tmpfs = DetachedTmpfs();
  if (!tmpfs.ok()) return tmpfs.status();
  // The upper and work dirs are named through our own fd of the tmpfs: the
  // overlay keeps its own references, so the fd can close afterwards.
  std::string fd_dir = fmt::format("/proc/self/fd/{}", tmpfs->get());
  std::string options = fmt::format("lowerdir={},upperdir={}/upper,workdir={}/work", lower, fd_dir, fd_dir);
  if (mount("overlay", rootfs.c_str(), "overlay", 0, options.c_str()) != 0) {
    return LastError(fmt::format("mounting a memory overlay on {}", rootfs));
  }
  return absl::OkStatus();
}

}  // namespace platform
