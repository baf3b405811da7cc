// The calls that change a file's attributes. chmod, chown and utimensat
// resolve the whole path (following a final symlink unless
// AT_SYMLINK_NOFOLLOW) to an O_PATH fd and act on it with AT_EMPTY_PATH;
// xattrs act on the last component from its parent (no O_PATH form exists
// for them: fsetxattr refuses O_PATH fds), or, in their fd form, on a
// readable start.
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "gofer/server/handlers.h"
#include "gofer/server/resolve.h"

namespace gofer {
namespace {

#ifndef SYS_faccessat2
constexpr long SYS_faccessat2 = 439;
#endif
#ifndef SYS_fchmodat2
constexpr long SYS_fchmodat2 = 452;
#endif

// The file a path-or-AT_EMPTY_PATH call acts on, as an O_PATH fd.
Opened OpenTarget(Call& call, const std::string& path, uint32_t flags) {
  if (path.empty()) {
    if (!(flags & AT_EMPTY_PATH)) return Opened{platform::UniqueFd(), ENOENT};
    platform::UniqueFd start = call.starts[0].Take();
    const int error = start.valid() ? 0 : errno;
    return Opened{std::move(start), error};
  }
  uint64_t open_flags =
      O_PATH | ((flags & AT_SYMLINK_NOFOLLOW) ? O_NOFOLLOW : 0);
  return OpenBeneath(call.starts[0].get(), path, open_flags, 0, 0);
}

// chmod on kernels without fchmodat2 (before 6.6): from the parent, with
// the kernel following a final symlink, or refusing a symlink as
// fchmodat2 does with AT_SYMLINK_NOFOLLOW.
Answer ChmodWithoutFchmodat2(Call& call, const protocol::Fchmodat& request) {
  Parent parent = OpenParent(call.starts[0].get(), request.path);
  if (parent.error != 0) return Errno(parent.error);
  if (request.flags & AT_SYMLINK_NOFOLLOW) {
    struct stat st = {};
    if (fstatat(parent.dir.get(), parent.last.c_str(), &st,
                AT_SYMLINK_NOFOLLOW) != 0)
      return Errno(errno);
    if (S_ISLNK(st.st_mode)) return Errno(EOPNOTSUPP);
  }
  return FromReturn(
      fchmodat(parent.dir.get(), parent.last.c_str(), request.mode, 0));
}

// Runs an xattr call on the last component of `path`, from its parent made
// the serving thread's cwd (its fs struct is its own; the worker puts the
// cwd back at the root after every request).
template <typename Function>
Answer InParent(Call& call, const std::string& path, uint32_t at_flags,
                Function function) {
  if (at_flags & ~static_cast<uint32_t>(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
    return Errno(EINVAL);
  Parent parent;
  if (path.empty() && (at_flags & AT_EMPTY_PATH)) {
    parent =
        Parent{call.starts[0].Take(), ".", 0};  // works on directories only
    if (!parent.dir.valid()) return Errno(errno);
  } else {
    parent = OpenParent(call.starts[0].get(), path);
    if (parent.error != 0) return Errno(parent.error);
  }
  call.moved_cwd = true;
  if (fchdir(parent.dir.get()) != 0)
    return Errno(errno == ENOTDIR ? EBADF : errno);
  return FromReturn(
      function(parent.last.c_str(), (at_flags & AT_SYMLINK_NOFOLLOW) != 0));
}

// The xattr call's own file is the start: the fd form on a file or
// directory the workload holds (PROTOCOL.md, "Fd forms").
bool IsXattrFdForm(const protocol::Dir& dir, const std::string& path,
                   uint32_t at_flags) {
  return dir.kind == protocol::Dir::Kind::kFd && path.empty() &&
         (at_flags & AT_EMPTY_PATH);
}

// Runs an fd xattr call on the start, which OpenStarts opened readable
// (StartOpenFlags: fsetxattr refuses O_PATH fds). Invariant: the call acts
// only on the client fd's own inode (OpenStart checked st_dev/st_ino), and
// with the caller's credentials: the start may have been opened with the
// gofer's own (when the caller may no longer search the path or read the
// file), which grants nothing, as fsetxattr on a native fd looks nothing up,
// ignores the fd's open mode and checks the caller's permission on the
// inode at the call (user.* needs write permission, trusted.* CAP_SYS_ADMIN,
// ACLs the owner or CAP_FOWNER). Devices cannot be opened on the gofer's
// nodev copy (EACCES).
template <typename Function>
Answer OnStartFile(Call& call, uint32_t at_flags, Function function) {
  if (at_flags & ~static_cast<uint32_t>(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
    return Errno(EINVAL);
  return FromReturn(function(call.starts[0].get()));
}

}  // namespace

Answer HandleFchmodat(Call& call, const protocol::Fchmodat& request) {
  Opened target = OpenTarget(call, request.path, request.flags);
  if (target.error != 0) return Errno(target.error);
  long rc = syscall(SYS_fchmodat2, target.fd.get(), "", request.mode,
                    request.flags | AT_EMPTY_PATH);
  if (rc < 0 && errno == ENOSYS && !request.path.empty())
    return ChmodWithoutFchmodat2(call, request);
  return FromReturn(rc);
}

// uid and gid are the workload's own values (its namespace's), unchanged.
Answer HandleFchownat(Call& call, const protocol::Fchownat& request) {
  Opened target = OpenTarget(call, request.path, request.flags);
  if (target.error != 0) return Errno(target.error);
  return FromReturn(fchownat(target.fd.get(), "", request.uid, request.gid,
                             static_cast<int>(request.flags | AT_EMPTY_PATH)));
}

Answer HandleUtimensat(Call& call, const protocol::Utimensat& request) {
  Opened target = OpenTarget(call, request.path, request.flags);
  if (target.error != 0) return Errno(target.error);
  struct timespec times[2] = {{request.atime_sec, request.atime_nsec},
                              {request.mtime_sec, request.mtime_nsec}};
  return FromReturn(utimensat(target.fd.get(), "", times,
                              static_cast<int>(request.flags | AT_EMPTY_PATH)));
}

uint64_t StartOpenFlags(const protocol::RequestBody& body) {
  if (const auto* set = std::get_if<protocol::Setxattr>(&body)) {
    return IsXattrFdForm(set->dir, set->path, set->at_flags) ? kReadableStart
                                                             : kPathStart;
  }
  if (const auto* remove = std::get_if<protocol::Removexattr>(&body)) {
    return IsXattrFdForm(remove->dir, remove->path, remove->at_flags)
               ? kReadableStart
               : kPathStart;
  }
  return kPathStart;
}

Answer HandleSetxattr(Call& call, const protocol::Setxattr& request) {
  if (IsXattrFdForm(request.dir, request.path, request.at_flags)) {
    return OnStartFile(call, request.at_flags, [&request](int fd) {
      return fsetxattr(fd, request.name.c_str(), request.value.data(),
                       request.value.size(), static_cast<int>(request.flags));
    });
  }
  return InParent(call, request.path, request.at_flags,
                  [&request](const char* last, bool nofollow) {
                    auto set = nofollow ? lsetxattr : setxattr;
                    return set(last, request.name.c_str(), request.value.data(),
                               request.value.size(),
                               static_cast<int>(request.flags));
                  });
}

Answer HandleRemovexattr(Call& call, const protocol::Removexattr& request) {
  if (IsXattrFdForm(request.dir, request.path, request.at_flags)) {
    return OnStartFile(call, request.at_flags, [&request](int fd) {
      return fremovexattr(fd, request.name.c_str());
    });
  }
  return InParent(call, request.path, request.at_flags,
                  [&request](const char* last, bool nofollow) {
                    return nofollow ? lremovexattr(last, request.name.c_str())
                                    : removexattr(last, request.name.c_str());
                  });
}

protocol::Creds AccessCheckCreds(const protocol::Faccessat& request,
                                 const IdMaps& maps) {
  protocol::Creds creds = request.creds;
  if (request.flags & AT_EACCESS) return creds;
  creds.fsuid = request.uid;
  creds.fsgid = request.gid;
  // access_override_creds: root (in the caller's namespace, which is the
  // gofer's) keeps its permitted caps; anyone else checks with none.
  creds.cap_effective = IdInNamespace(maps.uid_map, request.uid) == 0u
                            ? request.cap_permitted
                            : 0;
  return creds;
}

// The serving thread already holds AccessCheckCreds (Perform takes them), so
// AT_EACCESS makes the kernel check with them rather than the thread's real
// ids (the gofer's). On the gofer's writable view this is the answer the
// workload would get on a writable mount; it changes nothing.
Answer HandleFaccessat(Call& call, const protocol::Faccessat& request) {
  if (request.mode & ~static_cast<uint32_t>(R_OK | W_OK | X_OK))
    return Errno(EINVAL);
  if (request.flags &
      ~static_cast<uint32_t>(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
    return Errno(EINVAL);
  Opened target = OpenTarget(call, request.path, request.flags);
  if (target.error != 0) return Errno(target.error);
  return FromReturn(syscall(SYS_faccessat2, target.fd.get(), "", request.mode,
                            AT_EACCESS | AT_EMPTY_PATH));
}

}  // namespace gofer
