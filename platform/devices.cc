// Device nodes and /dev symlinks, created fd-relative beneath the rootfs (see
// the security invariant at the top of rootfs.cc: mknodat/symlinkat/unlinkat
// act on one path component in a parent fd that MkdirAllInRoot resolved
// beneath the rootfs).
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <string>

#include "fmt/format.h"
#include "platform/errors.h"
#include "platform/rootfs.h"
#include "platform/rootfs_internal.h"
#include "platform/status_macros.h"

namespace platform {
namespace {

// runc's default devices (libcontainer/specconv AllowedDevices), mode 0666.
struct DefaultDevice {
  const char* name;
  uint32_t major, minor;
};
constexpr DefaultDevice kDefaultDevices[] = {
    {"null", 1, 3}, {"zero", 1, 5}, {"full", 1, 7}, {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0},
};

// runc's /dev symlinks: link name -> target.
constexpr std::pair<const char*, const char*> kDevSymlinks[] = {
    {"fd", "/proc/self/fd"},       {"stdin", "/proc/self/fd/0"}, {"stdout", "/proc/self/fd/1"},
    {"stderr", "/proc/self/fd/2"}, {"ptmx", "pts/ptmx"},
};

absl::StatusOr<mode_t> FileTypeOf(char type) {
  switch (type) {
    case 'c':
    case 'u':
      return S_IFCHR;
    case 'b':
      return S_IFBLK;
    case 'p':
      return S_IFIFO;
    default:
      return absl::InvalidArgumentError(fmt::format("unknown device type '{}'", type));
  }
}

// mknodat with the exact mode: the umask is cleared around the call (the init
// is single-threaded at this point).
absl::Status MakeNode(int parent_fd, const std::string& name, mode_t mode, dev_t dev) {
  mode_t old_mask = umask(0);
  int rc = mknodat(parent_fd, name.c_str(), mode, dev);
  int err = errno;
  umask(old_mask);
  if (rc != 0) return ErrnoError(err, "mknod");
  return absl::OkStatus();
}

absl::Status LinkInDev(int dev_fd, const char* name, const char* target) {
  if (symlinkat(target, dev_fd, name) != 0 && errno != EEXIST) {
    return LastError(fmt::format("creating symlink /dev/{} -> {}", name, target));
  }
  return absl::OkStatus();
}

// The host node at `device.path`, checked to be the device the spec names.
absl::StatusOr<UniqueFd> OpenHostDevice(const DeviceNode& device, mode_t file_type) {
  UniqueFd host(open(device.path.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
  if (!host.valid()) return LastError(fmt::format("opening the host's {}", device.path));
  struct stat st;
  if (fstat(host.get(), &st) != 0) return LastError(fmt::format("stat of the host's {}", device.path));
  if ((st.st_mode & S_IFMT) != file_type || major(st.st_rdev) != device.major ||
      minor(st.st_rdev) != device.minor) {
    return absl::FailedPreconditionError(
        fmt::format("the host's {} is not device {} {}:{}, so it cannot be bind-mounted into a user namespace",
                    device.path, device.type, device.major, device.minor));
  }
  return host;
}

}  // namespace

absl::Status BindDevice(int root_fd, const DeviceNode& device) {
  const std::string context = fmt::format("binding device {}", device.path);
  ASSIGN_OR_RETURN(mode_t file_type, Annotate(FileTypeOf(device.type), context));
  ASSIGN_OR_RETURN(UniqueFd host, Annotate(OpenHostDevice(device, file_type), context));
  ASSIGN_OR_RETURN(internal::ParentAndBase split, Annotate(internal::SplitParent(device.path), context));
  ASSIGN_OR_RETURN(UniqueFd parent, Annotate(MkdirAllInRoot(root_fd, split.parent, 0755), context));
  const char* name = split.base.c_str();
  if (unlinkat(parent.get(), name, 0) != 0 && errno != ENOENT) {
    return LastError(fmt::format("{}: removing the existing entry", context));
  }
  // O_EXCL|O_NOFOLLOW: the mount point is the file made here, in a parent
  // resolved beneath the rootfs; the bind goes through both fds.
  UniqueFd target(openat(parent.get(), name, O_CREAT | O_EXCL | O_NOFOLLOW | O_WRONLY | O_CLOEXEC, 0600));
  if (!target.valid()) return LastError(fmt::format("{}: creating the mount point", context));
  if (mount(internal::ProcFdPath(host.get()).c_str(), internal::ProcFdPath(target.get()).c_str(), nullptr, MS_BIND,
            nullptr) != 0) {
    return LastError(context);
  }
  return absl::OkStatus();
}

absl::Status CreateDevice(int root_fd, const DeviceNode& device) {
  const std::string context = fmt::format("creating device {}", device.path);
  ASSIGN_OR_RETURN(mode_t file_type, Annotate(FileTypeOf(device.type), context));
  ASSIGN_OR_RETURN(internal::ParentAndBase split,
                   Annotate(internal::SplitParent(device.path), context));
  ASSIGN_OR_RETURN(UniqueFd parent,
                   Annotate(MkdirAllInRoot(root_fd, split.parent, 0755), context));
  const char* name = split.base.c_str();
  // unlinkat removes a symlink itself, never what it points to.
  if (unlinkat(parent.get(), name, 0) != 0 && errno != ENOENT) {
    return LastError(fmt::format("{}: removing the existing entry", context));
  }
  RETURN_IF_ERROR_CTX(MakeNode(parent.get(), split.base, file_type | (device.mode & 07777),
                               makedev(device.major, device.minor)),
                      context);
  if (fchownat(parent.get(), name, device.uid, device.gid, AT_SYMLINK_NOFOLLOW) != 0) {
    return LastError(fmt::format("{}: chown", context));
  }
  return absl::OkStatus();
}

absl::Status CreateDefaultDevices(int root_fd, bool bind_from_host) {
  for (const DefaultDevice& device : kDefaultDevices) {
    DeviceNode node{fmt::format("/dev/{}", device.name), 'c', device.major, device.minor, 0666, 0,
                    0};
    RETURN_IF_ERROR(bind_from_host ? BindDevice(root_fd, node) : CreateDevice(root_fd, node));
  }
  ASSIGN_OR_RETURN(UniqueFd dev, MkdirAllInRoot(root_fd, "/dev", 0755));
  for (const auto& [name, target] : kDevSymlinks) {
    RETURN_IF_ERROR(LinkInDev(dev.get(), name, target));
  }
  if (access("/proc/kcore", F_OK) == 0) RETURN_IF_ERROR(LinkInDev(dev.get(), "core", "/proc/kcore"));
  return absl::OkStatus();
}

}  // namespace platform
