// Path resolution beneath the rootfs, masked/readonly paths, and entering the
// rootfs. Mounts are in mounts.cc, device nodes in devices.cc.
//
// SECURITY INVARIANT (DESIGN.md rule 3), kept here for the whole rootfs setup:
// every path that comes from the container (a mount destination, a masked or
// readonly path, a device path) is resolved only by OpenInRoot/MkdirAllInRoot/
// CreateFileInRoot, i.e. by openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS)
// beneath the rootfs fd. The result is acted on through its fd (mount onto
// "/proc/self/fd/N", mkdirat/mknodat/symlinkat on a parent fd holding a single
// path component), never by re-walking the string: a symlink the container
// planted ("/proc -> /etc", "dev -> ../../../../tmp/x") resolves inside the
// rootfs, so nothing on the host is mounted over or created.
#include "platform/rootfs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "fmt/format.h"
#include "platform/errors.h"
#include "platform/rootfs_internal.h"
#include "platform/status_macros.h"

namespace platform {
namespace internal {

std::string ProcFdPath(int fd) { return fmt::format("/proc/self/fd/{}", fd); }

std::vector<std::string> SplitPath(std::string_view path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view part = path.substr(start, end - start);
    if (!part.empty() && part != ".") parts.emplace_back(part);
    start = end + 1;
  }
  return parts;
}

absl::StatusOr<ParentAndBase> SplitParent(std::string_view path) {
  std::vector<std::string> parts = SplitPath(path);
  if (parts.empty() || parts.back() == "..") {
    return absl::InvalidArgumentError(fmt::format("invalid path \"{}\"", path));
  }
  ParentAndBase result;
  result.base = parts.back();
  parts.pop_back();
  for (const std::string& part : parts) result.parent += "/" + part;
  if (result.parent.empty()) result.parent = "/";
  return result;
}

absl::StatusOr<unsigned long> MountFlagsOf(const std::string& path) {
  struct statvfs info {};
  if (statvfs(path.c_str(), &info) != 0) return LastError("statvfs");
  static constexpr std::pair<unsigned long, unsigned long> kFlags[] = {
      {ST_RDONLY, MS_RDONLY},     {ST_NOSUID, MS_NOSUID},         {ST_NODEV, MS_NODEV},
      {ST_NOEXEC, MS_NOEXEC},     {ST_NOATIME, MS_NOATIME},       {ST_NODIRATIME, MS_NODIRATIME},
      {ST_RELATIME, MS_RELATIME},
  };
  unsigned long flags = 0;
  for (const auto& [st, ms] : kFlags) {
    if (info.f_flag & st) flags |= ms;
  }
  return flags;
}

absl::Status BindRemount(const std::string& target, unsigned long flags) {
  constexpr unsigned long kAtime = MS_NOATIME | MS_RELATIME | MS_STRICTATIME;
  ASSIGN_OR_RETURN(unsigned long current, MountFlagsOf(target));
  if (flags & kAtime) current &= ~kAtime;  // the requested atime mode replaces the old one
  flags &= MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NODIRATIME | kAtime;
  if (mount(nullptr, target.c_str(), nullptr, MS_BIND | MS_REMOUNT | current | flags, nullptr) != 0) {
    return LastError("bind remount");
  }
  return absl::OkStatus();
}

}  // namespace internal

namespace {

using internal::ProcFdPath;
using internal::SplitPath;

constexpr int kMaxSymlinks = 40;

// openat2 beneath `root_fd`; returns the fd or -errno. Retries EAGAIN, which
// RESOLVE_IN_ROOT returns when a concurrent rename could have let ".." escape.
int OpenInRootRaw(int root_fd, const std::string& path, int flags) {
  struct open_how how {};
  how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  const char* p = path.empty() ? "/" : path.c_str();
  for (int attempt = 0; attempt < 32; ++attempt) {
    long fd = syscall(SYS_openat2, root_fd, p, &how, sizeof(how));
    if (fd >= 0) return static_cast<int>(fd);
    if (errno != EAGAIN && errno != EINTR) return -errno;
  }
  return -EAGAIN;
}

std::string JoinPath(const std::vector<std::string>& parts, size_t from = 0) {
  std::string path;
  for (size_t i = from; i < parts.size(); ++i) path += "/" + parts[i];
  return path.empty() ? "/" : path;
}

// When `name` in `dir_fd` exists but does not resolve (a dangling symlink),
// returns the container path it points to, relative to `dir_path` if the link
// is relative. Resolution of that path stays beneath the root later.
absl::StatusOr<std::string> DanglingTarget(int dir_fd, const std::string& dir_path,
                                           const std::string& name, int* links) {
  char target[PATH_MAX];
  ssize_t n = readlinkat(dir_fd, name.c_str(), target, sizeof(target) - 1);
  if (n < 0) return LastError(fmt::format("reading link {}", name));
  if (++*links > kMaxSymlinks) return ErrnoError(ELOOP, "following symlinks");
  std::string link(target, static_cast<size_t>(n));
  return !link.empty() && link.front() == '/' ? link : dir_path + "/" + link;
}

absl::StatusOr<UniqueFd> MkdirAllImpl(int root_fd, std::string path, mode_t mode, int* links) {
  std::vector<std::string> parts = SplitPath(path);
  int fd = OpenInRootRaw(root_fd, "/", O_PATH | O_DIRECTORY);
  if (fd < 0) return ErrnoError(-fd, "opening rootfs");
  UniqueFd current(fd);
  std::string prefix;
  for (size_t i = 0; i < parts.size(); ++i) {
    std::string next = prefix + "/" + parts[i];
    fd = OpenInRootRaw(root_fd, next, O_PATH | O_DIRECTORY);
    if (fd == -ENOENT) {
      if (mkdirat(current.get(), parts[i].c_str(), mode) != 0) {
        if (errno != EEXIST) return LastError(fmt::format("mkdir {}", next));
        ASSIGN_OR_RETURN(std::string target,
                         DanglingTarget(current.get(), prefix, parts[i], links));
        return MkdirAllImpl(root_fd, target + JoinPath(parts, i + 1), mode, links);
      }
      fd = OpenInRootRaw(root_fd, next, O_PATH | O_DIRECTORY);
    }
    if (fd < 0) return ErrnoError(-fd, fmt::format("opening {}", next));
    current.reset(fd);
    prefix = std::move(next);
  }
  return current;
}

absl::StatusOr<UniqueFd> CreateFileImpl(int root_fd, const std::string& path, mode_t mode,
                                        int* links) {
  int fd = OpenInRootRaw(root_fd, path, O_PATH);
  if (fd >= 0) return UniqueFd(fd);
  if (fd != -ENOENT) return ErrnoError(-fd, fmt::format("opening {}", path));
  ASSIGN_OR_RETURN(internal::ParentAndBase split, internal::SplitParent(path));
  ASSIGN_OR_RETURN(UniqueFd parent, MkdirAllImpl(root_fd, split.parent, 0755, links));
  if (mknodat(parent.get(), split.base.c_str(), S_IFREG | (mode & 07777), 0) != 0) {
    if (errno != EEXIST) return LastError(fmt::format("creating {}", path));
    ASSIGN_OR_RETURN(std::string target,
                     DanglingTarget(parent.get(), split.parent, split.base, links));
    return CreateFileImpl(root_fd, target, mode, links);
  }
  fd = OpenInRootRaw(root_fd, path, O_PATH);
  if (fd < 0) return ErrnoError(-fd, fmt::format("opening {}", path));
  return UniqueFd(fd);
}

// Opens `path` for MaskPath/MakeReadonly; an empty UniqueFd when it is missing.
absl::StatusOr<UniqueFd> OpenIfExists(int root_fd, std::string_view path) {
  int fd = OpenInRootRaw(root_fd, std::string(path), O_PATH);
  if (fd == -ENOENT) return UniqueFd();
  if (fd < 0) return ErrnoError(-fd, "opening");
  return UniqueFd(fd);
}

}  // namespace

absl::StatusOr<UniqueFd> OpenInRoot(int root_fd, std::string_view path, int flags) {
  int fd = OpenInRootRaw(root_fd, std::string(path), flags);
  if (fd < 0) return ErrnoError(-fd, fmt::format("opening {} in the rootfs", path));
  return UniqueFd(fd);
}

absl::StatusOr<UniqueFd> MkdirAllInRoot(int root_fd, std::string_view path, mode_t mode) {
  int links = 0;
  return Annotate(MkdirAllImpl(root_fd, std::string(path), mode, &links),
                  fmt::format("creating directory {} in the rootfs", path));
}

absl::StatusOr<UniqueFd> CreateFileInRoot(int root_fd, std::string_view path, mode_t mode) {
  int links = 0;
  return Annotate(CreateFileImpl(root_fd, std::string(path), mode, &links),
                  fmt::format("creating file {} in the rootfs", path));
}

namespace {

absl::Status MaskOne(int root_fd, std::string_view path, internal::MaskCover& cover) {
  const std::string context = fmt::format("masking {}", path);
  ASSIGN_OR_RETURN(UniqueFd target, Annotate(OpenIfExists(root_fd, path), context));
  if (!target.valid()) return absl::OkStatus();
  struct stat info {};
  if (fstat(target.get(), &info) != 0) return LastError(context);
  const std::string target_path = ProcFdPath(target.get());
  if (S_ISDIR(info.st_mode)) {
    if (mount("tmpfs", target_path.c_str(), "tmpfs", MS_RDONLY, nullptr) != 0) {
      return LastError(fmt::format("{}: mounting an empty tmpfs", context));
    }
    return absl::OkStatus();
  }
  return Annotate(cover.Cover(root_fd, target.get()), context);
}

}  // namespace

absl::Status MaskPath(int root_fd, std::string_view path) {
  internal::MaskCover cover;
  return MaskOne(root_fd, path, cover);
}

absl::Status MaskPaths(int root_fd, const std::vector<std::string>& paths) {
  internal::MaskCover cover;
  for (const std::string& path : paths) RETURN_IF_ERROR(MaskOne(root_fd, path, cover));
  return absl::OkStatus();
}

absl::Status MakeReadonly(int root_fd, std::string_view path) {
  const std::string context = fmt::format("making {} read-only", path);
  ASSIGN_OR_RETURN(UniqueFd target, Annotate(OpenIfExists(root_fd, path), context));
  if (!target.valid()) return absl::OkStatus();
  const std::string target_path = ProcFdPath(target.get());
  if (mount(target_path.c_str(), target_path.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0) {
    return LastError(fmt::format("{}: bind mount", context));
  }
  // The fd still names the covered directory: reopen to reach the new mount.
  ASSIGN_OR_RETURN(UniqueFd mounted, Annotate(OpenInRoot(root_fd, path, O_PATH), context));
  return Annotate(internal::BindRemount(ProcFdPath(mounted.get()), MS_RDONLY | MS_REC), context);
}

absl::Status SetRootPropagation(unsigned long propagation) {
  if (mount(nullptr, "/", nullptr, propagation, nullptr) != 0) {
    return LastError("setting the propagation of /");
  }
  return absl::OkStatus();
}

namespace {

// The mount id of what `fd` names.
absl::StatusOr<uint64_t> MountIdOf(int fd) {
  struct statx info {};
  if (statx(fd, "", AT_EMPTY_PATH, STATX_MNT_ID, &info) != 0) return LastError("statx");
  if (!(info.stx_mask & STATX_MNT_ID)) return absl::UnimplementedError("statx gives no mount id");
  return info.stx_mnt_id;
}

bool SameInode(int a, int b) {
  struct stat first {}, second {};
  return fstat(a, &first) == 0 && fstat(b, &second) == 0 && first.st_dev == second.st_dev &&
         first.st_ino == second.st_ino;
}

// The root of the mount that holds `path` (O_PATH): the topmost directory
// reached by ".." without leaving that mount.
absl::StatusOr<UniqueFd> OpenMountRootOf(const std::string& path) {
  UniqueFd current(open(path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!current.valid()) return LastError(fmt::format("opening {}", path));
  ASSIGN_OR_RETURN(uint64_t id, MountIdOf(current.get()));
  for (int depth = 0; depth < PATH_MAX; ++depth) {
    UniqueFd parent(openat(current.get(), "..", O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!parent.valid()) return LastError("opening ..");
    ASSIGN_OR_RETURN(uint64_t parent_id, MountIdOf(parent.get()));
    if (parent_id != id || SameInode(parent.get(), current.get())) return current;
    current = std::move(parent);
  }
  return ErrnoError(ELOOP, fmt::format("finding the mount of {}", path));
}

// True if mount `id` of /proc/self/mountinfo is shared or unbindable (its
// optional fields, between the mount options and " - ").
absl::StatusOr<bool> IsSharedOrUnbindable(uint64_t id) {
  std::ifstream mountinfo("/proc/self/mountinfo");
  if (!mountinfo) return LastError("reading /proc/self/mountinfo");
  for (std::string line; std::getline(mountinfo, line);) {
    std::istringstream fields(line);
    std::string field;
    if (!(fields >> field) || field != std::to_string(id)) continue;
    for (int skip = 0; skip < 5 && fields >> field; ++skip) {
    }
    while (fields >> field && field != "-") {
      if (field.starts_with("shared:") || field == "unbindable") return true;
    }
    return false;
  }
  return absl::NotFoundError(fmt::format("mount {} is not in /proc/self/mountinfo", id));
}

// runc's rootfsParentMountPrivate: the mount holding the rootfs becomes
// private if it is shared, so that the rootfs bind does not propagate to
// its peers (the host's mounts) and pivot_root, which refuses a shared
// parent, works; or if it is unbindable, which the bind would refuse.
absl::Status MakeParentMountPrivate(const std::string& rootfs) {
  ASSIGN_OR_RETURN(UniqueFd parent, OpenMountRootOf(rootfs));
  ASSIGN_OR_RETURN(uint64_t id, MountIdOf(parent.get()));
  ASSIGN_OR_RETURN(bool shared, IsSharedOrUnbindable(id));
  if (shared && mount(nullptr, ProcFdPath(parent.get()).c_str(), nullptr, MS_PRIVATE, nullptr) != 0) {
    return LastError(fmt::format("making the mount holding rootfs {} private", rootfs));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status BindRootfsOntoItself(const std::string& rootfs) {
  RETURN_IF_ERROR(MakeParentMountPrivate(rootfs));
  if (mount(rootfs.c_str(), rootfs.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0) {
    return LastError(fmt::format("bind mounting rootfs {} onto itself", rootfs));
  }
  return absl::OkStatus();
}

namespace {

// runc's pivotRoot: pivot_root(".", ".") stacks the old root on top of the new
// one; it is made a slave (so the detach does not propagate to the host) and
// lazily unmounted.
absl::Status PivotRoot(const std::string& rootfs) {
  UniqueFd old_root(open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC));
  if (!old_root.valid()) return LastError("opening /");
  UniqueFd new_root(open(rootfs.c_str(), O_DIRECTORY | O_RDONLY | O_CLOEXEC));
  if (!new_root.valid()) return LastError(fmt::format("opening rootfs {}", rootfs));
  if (fchdir(new_root.get()) != 0) return LastError("entering the rootfs");
  if (syscall(SYS_pivot_root, ".", ".") != 0) return LastError("pivot_root");
  if (fchdir(old_root.get()) != 0) return LastError("entering the old root");
  if (mount(nullptr, ".", nullptr, MS_SLAVE | MS_REC, nullptr) != 0) {
    return LastError("making the old root a slave");
  }
  if (umount2(".", MNT_DETACH) != 0) return LastError("detaching the old root");
  return absl::OkStatus();
}

// --no-pivot: move the rootfs mount over "/" and chroot into it. The mount
// at "/" is made private first if it is shared, or the move would reach its
// peers (the host's "/" itself, with rootfsPropagation "rshared").
absl::Status MoveRoot(const std::string& rootfs) {
  RETURN_IF_ERROR(MakeParentMountPrivate("/"));
  if (chdir(rootfs.c_str()) != 0) return LastError(fmt::format("entering rootfs {}", rootfs));
  if (mount(rootfs.c_str(), "/", nullptr, MS_MOVE, nullptr) != 0) {
    return LastError("moving the rootfs onto /");
  }
  if (chroot(".") != 0) return LastError("chroot");
  return absl::OkStatus();
}

}  // namespace

absl::Status EnterRootfs(const std::string& rootfs, bool no_pivot) {
  RETURN_IF_ERROR(no_pivot ? MoveRoot(rootfs) : PivotRoot(rootfs));
  if (chdir("/") != 0) return LastError("chdir to /");
  return absl::OkStatus();
}

absl::Status RemountRootReadonly() {
  return Annotate(internal::BindRemount("/", MS_RDONLY), "remounting / read-only");
}

}  // namespace platform
