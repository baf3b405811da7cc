// The brokered calls that change a path's attributes (chmod, chown, times,
// size, xattrs), their fd forms (fchmod, fchown, futimens, fsetxattr...: see
// broker_fd.h), access with W_OK, bind of an AF_UNIX path, and file_setattr
// (continued). Each parser checks its arguments in the order Linux does:
// flags before any path or pointer is read.
#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstring>
#include <vector>

#include "platform/status_macros.h"
#include "sentry/broker_caller.h"
#include "sentry/broker_calls_internal.h"

namespace sentry::broker_internal {
namespace {

namespace protocol = gofer::protocol;
using platform::CallResult;

constexpr int64_t kUtimeNow = (1L << 30) - 1;   // UTIME_NOW
constexpr int64_t kUtimeOmit = (1L << 30) - 2;  // UTIME_OMIT
constexpr size_t kXattrArgsSize = 16;           // XATTR_ARGS_SIZE_VER0

// The operand of a call that acts on the final file: it follows a final
// symlink unless `nofollow`, so a bare magic link (/proc/self/cwd) names
// that directory and may be sent as it with AT_EMPTY_PATH.
PathOperand Target(int dirfd, std::string path, uint32_t at_flags, bool nofollow) {
  return PathOperand{dirfd, std::move(path), (at_flags & AT_EMPTY_PATH) != 0, !nofollow};
}

// The operand of an fd form: the caller's fd `fd` itself (broker_fd.h).
// `deferred_errno` is answered only once the fd is known good.
PathOperand FdItself(int fd, int deferred_errno = 0) {
  PathOperand operand{fd, "", true, false};
  operand.fd_form = true;
  operand.deferred_errno = deferred_errno;
  return operand;
}

constexpr uint32_t kPathAtFlags = AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH;

bool ValidAtFlags(uint32_t flags) { return (flags & ~kPathAtFlags) == 0; }

// ---- chmod, chown ----

ParsedCall ChmodOperand(PathOperand operand, uint32_t mode, uint32_t flags) {
  return OnePath(std::move(operand), [=](const protocol::Creds& creds, const ResolvedOperand& op) {
    return protocol::Fchmodat{creds, op.dir, op.path, mode, WithEmptyPath(flags, op)};
  });
}
absl::StatusOr<ParsedCall> Chmod(int dirfd, uint64_t path_addr, uint32_t mode, uint32_t flags,
                                 platform::RemoteMemory& m) {
  if (!ValidAtFlags(flags)) return Answer(CallResult::Error(EINVAL));
  ASSIGN_OR_RETURN(std::string path, ReadPath(m, path_addr));
  return ChmodOperand(Target(dirfd, std::move(path), flags, (flags & AT_SYMLINK_NOFOLLOW) != 0), mode, flags);
}
absl::StatusOr<ParsedCall> ParseFchmod(const Args& a, platform::RemoteMemory&) {
  return ChmodOperand(FdItself(Int(a[0])), U32(a[1]), AT_EMPTY_PATH);
}
absl::StatusOr<ParsedCall> ParseChmod(const Args& a, platform::RemoteMemory& m) {
  return Chmod(AT_FDCWD, a[0], U32(a[1]), 0, m);
}
absl::StatusOr<ParsedCall> ParseFchmodat(const Args& a, platform::RemoteMemory& m) {
  return Chmod(Int(a[0]), a[1], U32(a[2]), 0, m);
}
absl::StatusOr<ParsedCall> ParseFchmodat2(const Args& a, platform::RemoteMemory& m) {
  return Chmod(Int(a[0]), a[1], U32(a[2]), U32(a[3]), m);
}

ParsedCall ChownOperand(PathOperand operand, uint32_t uid, uint32_t gid, uint32_t flags) {
  return OnePath(std::move(operand), [=](const protocol::Creds& creds, const ResolvedOperand& op) {
    return protocol::Fchownat{creds, op.dir, op.path, uid, gid, WithEmptyPath(flags, op)};
  });
}
absl::StatusOr<ParsedCall> Chown(int dirfd, uint64_t path_addr, uint32_t uid, uint32_t gid, uint32_t flags,
                                 platform::RemoteMemory& m) {
  if (!ValidAtFlags(flags)) return Answer(CallResult::Error(EINVAL));
  ASSIGN_OR_RETURN(std::string path, ReadPath(m, path_addr));
  return ChownOperand(Target(dirfd, std::move(path), flags, (flags & AT_SYMLINK_NOFOLLOW) != 0), uid, gid, flags);
}
absl::StatusOr<ParsedCall> ParseFchown(const Args& a, platform::RemoteMemory&) {
  return ChownOperand(FdItself(Int(a[0])), U32(a[1]), U32(a[2]), AT_EMPTY_PATH);
}
absl::StatusOr<ParsedCall> ParseChown(const Args& a, platform::RemoteMemory& m) {
  return Chown(AT_FDCWD, a[0], U32(a[1]), U32(a[2]), 0, m);
}
absl::StatusOr<ParsedCall> ParseLchown(const Args& a, platform::RemoteMemory& m) {
  return Chown(AT_FDCWD, a[0], U32(a[1]), U32(a[2]), AT_SYMLINK_NOFOLLOW, m);
}
absl::StatusOr<ParsedCall> ParseFchownat(const Args& a, platform::RemoteMemory& m) {
  return Chown(Int(a[0]), a[1], U32(a[2]), U32(a[3]), U32(a[4]), m);
}

// ---- utime, utimes, futimesat, utimensat: all become Utimensat ----

struct Times {
  int64_t values[4] = {0, kUtimeNow, 0, kUtimeNow};  // atime sec, nsec, mtime sec, nsec
};

ParsedCall UtimensOperand(PathOperand operand, const Times& times, uint32_t flags) {
  return OnePath(std::move(operand), [=](const protocol::Creds& creds, const ResolvedOperand& op) {
    const int64_t* t = times.values;
    return protocol::Utimensat{creds, op.dir, op.path, t[0], t[1], t[2], t[3], WithEmptyPath(flags, op)};
  });
}

// do_utimes with the times already read: a NULL path with a real dirfd is
// the fd form (flags must be 0), else do_utimes_path (flags checked before
// the path is read). Both omitted: Linux does nothing, looks at nothing.
absl::StatusOr<ParsedCall> Utimens(int dirfd, uint64_t path_addr, const Times& times, uint32_t flags,
                                   platform::RemoteMemory& m) {
  if (times.values[1] == kUtimeOmit && times.values[3] == kUtimeOmit) return Answer(CallResult::Value(0));
  if (path_addr == 0 && dirfd != AT_FDCWD) {
    if (flags != 0) return Answer(CallResult::Error(EINVAL));
    return UtimensOperand(FdItself(dirfd), times, AT_EMPTY_PATH);
  }
  if (!ValidAtFlags(flags)) return Answer(CallResult::Error(EINVAL));
  ASSIGN_OR_RETURN(std::string path, ReadPath(m, path_addr));
  return UtimensOperand(Target(dirfd, std::move(path), flags, (flags & AT_SYMLINK_NOFOLLOW) != 0), times, flags);
}

// struct timeval[2] at `addr` (NULL: now), as utimes(2) checks it.
absl::StatusOr<Times> ReadTimevals(platform::RemoteMemory& m, uint64_t addr) {
  Times times;
  if (addr == 0) return times;
  int64_t raw[4];
  RETURN_IF_ERROR(ReadBytes(m, addr, raw, sizeof(raw)));
  for (int i : {1, 3}) {
    if (raw[i] < 0 || raw[i] >= 1000000) return WorkloadError(EINVAL, "tv_usec out of range");
  }
  return Times{{raw[0], raw[1] * 1000, raw[2], raw[3] * 1000}};
}

// utime, utimes, futimesat: the times are read and checked before the path.
absl::StatusOr<ParsedCall> ParseUtime(const Args& a, platform::RemoteMemory& m) {
  Times times;
  if (a[1] != 0) {
    int64_t raw[2];  // struct utimbuf {actime, modtime}
    RETURN_IF_ERROR(ReadBytes(m, a[1], raw, sizeof(raw)));
    times = Times{{raw[0], 0, raw[1], 0}};
  }
  return Utimens(AT_FDCWD, a[0], times, 0, m);
}
absl::StatusOr<ParsedCall> ParseUtimes(const Args& a, platform::RemoteMemory& m) {
  ASSIGN_OR_RETURN(Times times, ReadTimevals(m, a[1]));
  return Utimens(AT_FDCWD, a[0], times, 0, m);
}
absl::StatusOr<ParsedCall> ParseFutimesat(const Args& a, platform::RemoteMemory& m) {
  ASSIGN_OR_RETURN(Times times, ReadTimevals(m, a[2]));
  return Utimens(Int(a[0]), a[1], times, 0, m);
}
absl::StatusOr<ParsedCall> ParseUtimensat(const Args& a, platform::RemoteMemory& m) {
  Times times;
  if (a[2] != 0) RETURN_IF_ERROR(ReadBytes(m, a[2], times.values, sizeof(times.values)));
  return Utimens(Int(a[0]), a[1], times, U32(a[3]), m);
}

// ---- truncate ----

// The length is checked before the path; the caller's RLIMIT_FSIZE is
// added by the broker (PROTOCOL.md, Truncate).
absl::StatusOr<ParsedCall> ParseTruncate(const Args& a, platform::RemoteMemory& m) {
  const int64_t length = static_cast<int64_t>(a[1]);
  if (length < 0) return Answer(CallResult::Error(EINVAL));
  ASSIGN_OR_RETURN(std::string path, ReadPath(m, a[0]));
  ParsedCall parsed = OnePath({AT_FDCWD, std::move(path)}, [=](const protocol::Creds& creds, const ResolvedOperand& op) {
    return protocol::Truncate{creds, op.dir, op.path, length};
  });
  std::get<BrokeredCall>(parsed).needs_fsize_limit = true;
  return parsed;
}

// ---- setxattr, removexattr and their l- and -at forms ----

// An xattr name: ERANGE when empty or longer than XATTR_NAME_MAX, as Linux.
absl::StatusOr<std::string> ReadXattrName(platform::RemoteMemory& m, uint64_t addr) {
  // One byte more than a valid name and its NUL, to tell "too long" apart.
  absl::StatusOr<std::string> name = m.ReadCString(addr, protocol::kMaxXattrNameLength + 2);
  if (!name.ok()) {
    if (platform::IsCallGone(name.status())) return name.status();
    int err = platform::WorkloadErrno(name.status());
    return WorkloadError(err == ENAMETOOLONG ? ERANGE : err, "xattr name");
  }
  if (name->empty() || name->size() > protocol::kMaxXattrNameLength) return WorkloadError(ERANGE, "xattr name length");
  return name;
}

struct XattrArgs {
  std::string name;
  std::string value;
};

// setxattr_copy's checks, in its order: the flags, the name, the size, the value.
absl::StatusOr<XattrArgs> ReadSetxattrArgs(platform::RemoteMemory& m, uint64_t name_addr, uint64_t value_addr,
                                           uint64_t size, uint32_t flags) {
  if (flags & ~static_cast<uint32_t>(XATTR_CREATE | XATTR_REPLACE)) return WorkloadError(EINVAL, "xattr flags");
  ASSIGN_OR_RETURN(std::string name, ReadXattrName(m, name_addr));
  if (size > protocol::kMaxXattrValueSize) return WorkloadError(E2BIG, "xattr value size");
  std::string value(size, '\0');
  if (size > 0) RETURN_IF_ERROR(ReadBytes(m, value_addr, value.data(), size));
  return XattrArgs{std::move(name), std::move(value)};
}

// The operand of the path forms, read after their other arguments. With
// AT_EMPTY_PATH, a NULL or empty path and a real dirfd is the fd form
// (getname_maybe_null): that fd's file, never an O_PATH fd.
absl::StatusOr<PathOperand> XattrOperand(int dirfd, uint64_t path_addr, uint32_t at_flags, platform::RemoteMemory& m) {
  const bool fd_form_possible = (at_flags & AT_EMPTY_PATH) && dirfd >= 0;
  if (fd_form_possible && path_addr == 0) return FdItself(dirfd);
  ASSIGN_OR_RETURN(std::string path, ReadPath(m, path_addr));
  if (fd_form_possible && path.empty()) return FdItself(dirfd);
  return Target(dirfd, std::move(path), at_flags, (at_flags & AT_SYMLINK_NOFOLLOW) != 0);
}

// An fd form's errors come after the fd's (fsetxattr, fremovexattr).
absl::StatusOr<PathOperand> FdWithDeferredError(int fd, const absl::Status& status) {
  if (platform::IsCallGone(status)) return status;
  return FdItself(fd, status.ok() ? 0 : AnswerErrno(status));
}

ParsedCall SetxattrOperand(PathOperand operand, XattrArgs args, uint32_t flags, uint32_t at_flags) {
  return OnePath(std::move(operand), [=](const protocol::Creds& creds, const ResolvedOperand& op) {
    return protocol::Setxattr{creds, op.dir, op.path, args.name, args.value, flags, WithEmptyPath(at_flags, op)};
  });
}

absl::StatusOr<ParsedCall> Setxattr(int dirfd, uint64_t path_addr, uint32_t at_flags, uint64_t name_addr,
                                    uint64_t value_addr, uint64_t size, uint32_t flags, platform::RemoteMemory& m) {
  if (!ValidAtFlags(at_flags)) return Answer(CallResult::Error(EINVAL));
  ASSIGN_OR_RETURN(XattrArgs args, ReadSetxattrArgs(m, name_addr, value_addr, size, flags));
  ASSIGN_OR_RETURN(PathOperand operand, XattrOperand(dirfd, path_addr, at_flags, m));
  const uint32_t operand_flags = operand.fd_form ? at_flags | AT_EMPTY_PATH : at_flags;
  return SetxattrOperand(std::move(operand), std::move(args), flags, operand_flags);
}
absl::StatusOr<ParsedCall> ParseSetxattr(const Args& a, platform::RemoteMemory& m) {
  return Setxattr(AT_FDCWD, a[0], 0, a[1], a[2], a[3], U32(a[4]), m);
}
absl::StatusOr<ParsedCall> ParseLsetxattr(const Args& a, platform::RemoteMemory& m) {
  return Setxattr(AT_FDCWD, a[0], AT_SYMLINK_NOFOLLOW, a[1], a[2], a[3], U32(a[4]), m);
}
// setxattrat(dfd, path, at_flags, name, struct xattr_args*, size).
absl::StatusOr<ParsedCall> ParseSetxattrat(const Args& a, platform::RemoteMemory& m) {
  ASSIGN_OR_RETURN(std::string raw, ReadExtensibleStruct(m, a[4], a[5], kXattrArgsSize));
  uint64_t value_addr;
  uint32_t size, flags;
  memcpy(&value_addr, raw.data(), 8);
  memcpy(&size, raw.data() + 8, 4);
  memcpy(&flags, raw.data() + 12, 4);
  return Setxattr(Int(a[0]), a[1], U32(a[2]), a[3], value_addr, size, flags, m);
}
// fsetxattr(fd, name, value, size, flags): the fd is looked at first.
absl::StatusOr<ParsedCall> ParseFsetxattr(const Args& a, platform::RemoteMemory& m) {
  absl::StatusOr<XattrArgs> args = ReadSetxattrArgs(m, a[1], a[2], a[3], U32(a[4]));
  ASSIGN_OR_RETURN(PathOperand operand, FdWithDeferredError(Int(a[0]), args.status()));
  return SetxattrOperand(std::move(operand), args.ok() ? *std::move(args) : XattrArgs{}, U32(a[4]), AT_EMPTY_PATH);
}

ParsedCall RemovexattrOperand(PathOperand operand, std::string name, uint32_t at_flags) {
  return OnePath(std::move(operand), [=](const protocol::Creds& creds, const ResolvedOperand& op) {
    return protocol::Removexattr{creds, op.dir, op.path, name, WithEmptyPath(at_flags, op)};
  });
}

absl::StatusOr<ParsedCall> Removexattr(int dirfd, uint64_t path_addr, uint32_t at_flags, uint64_t name_addr,
                                       platform::RemoteMemory& m) {
  if (!ValidAtFlags(at_flags)) return Answer(CallResult::Error(EINVAL));
  ASSIGN_OR_RETURN(std::string name, ReadXattrName(m, name_addr));
  ASSIGN_OR_RETURN(PathOperand operand, XattrOperand(dirfd, path_addr, at_flags, m));
  const uint32_t operand_flags = operand.fd_form ? at_flags | AT_EMPTY_PATH : at_flags;
  return RemovexattrOperand(std::move(operand), std::move(name), operand_flags);
}
absl::StatusOr<ParsedCall> ParseRemovexattr(const Args& a, platform::RemoteMemory& m) {
  return Removexattr(AT_FDCWD, a[0], 0, a[1], m);
}
absl::StatusOr<ParsedCall> ParseLremovexattr(const Args& a, platform::RemoteMemory& m) {
  return Removexattr(AT_FDCWD, a[0], AT_SYMLINK_NOFOLLOW, a[1], m);
}
absl::StatusOr<ParsedCall> ParseRemovexattrat(const Args& a, platform::RemoteMemory& m) {
  return Removexattr(Int(a[0]), a[1], U32(a[2]), a[3], m);
}
// fremovexattr(fd, name): the fd is looked at first.
absl::StatusOr<ParsedCall> ParseFremovexattr(const Args& a, platform::RemoteMemory& m) {
  absl::StatusOr<std::string> name = ReadXattrName(m, a[1]);
  ASSIGN_OR_RETURN(PathOperand operand, FdWithDeferredError(Int(a[0]), name.status()));
  return RemovexattrOperand(std::move(operand), name.ok() ? *std::move(name) : "", AT_EMPTY_PATH);
}

// ---- access, faccessat, faccessat2 with W_OK ----

// The table traps these only when mode has W_OK: on the read-only view the
// kernel would answer EROFS. The gofer answers as the writable mount does,
// with the caller's credentials (the real ids unless AT_EACCESS; the broker
// fills them in). The checks are do_faccessat's, before the path is read.
absl::StatusOr<ParsedCall> Access(int dirfd, uint64_t path_addr, uint32_t mode, uint32_t flags,
                                  platform::RemoteMemory& m) {
  if (mode & ~static_cast<uint32_t>(R_OK | W_OK | X_OK)) return Answer(CallResult::Error(EINVAL));
  if (flags & ~static_cast<uint32_t>(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) {
    return Answer(CallResult::Error(EINVAL));
  }
  ASSIGN_OR_RETURN(std::string path, ReadPath(m, path_addr));
  PathOperand operand = Target(dirfd, std::move(path), flags, (flags & AT_SYMLINK_NOFOLLOW) != 0);
  return OnePath(std::move(operand), [=](const protocol::Creds& creds, const ResolvedOperand& op) {
    return protocol::Faccessat{creds, op.dir, op.path, mode, WithEmptyPath(flags, op)};
  });
}
absl::StatusOr<ParsedCall> ParseAccess(const Args& a, platform::RemoteMemory& m) {
  return Access(AT_FDCWD, a[0], U32(a[1]), 0, m);
}
absl::StatusOr<ParsedCall> ParseFaccessat(const Args& a, platform::RemoteMemory& m) {
  return Access(Int(a[0]), a[1], U32(a[2]), 0, m);
}
absl::StatusOr<ParsedCall> ParseFaccessat2(const Args& a, platform::RemoteMemory& m) {
  return Access(Int(a[0]), a[1], U32(a[2]), U32(a[3]), m);
}

// ---- bind ----

// bind(fd, addr, len): only a named AF_UNIX address is host storage. Every
// other family, the unnamed (autobind) and abstract addresses go to the
// kernel: a sockaddr rewritten after this look only reaches the workload's
// read-only view (see broker.h).
absl::StatusOr<ParsedCall> ParseBind(const Args& a, platform::RemoteMemory& m) {
  const uint64_t len = U32(a[2]);
  if (len <= offsetof(sockaddr_un, sun_path) || len > sizeof(sockaddr_storage)) {
    return Answer(CallResult::Continue());  // the kernel's EINVAL, or autobind
  }
  sockaddr_storage storage{};
  RETURN_IF_ERROR(ReadBytes(m, a[1], &storage, len));
  const auto* address = reinterpret_cast<const sockaddr_un*>(&storage);
  if (address->sun_family != AF_UNIX || address->sun_path[0] == '\0') return Answer(CallResult::Continue());
  if (len > sizeof(sockaddr_un)) return Answer(CallResult::Error(EINVAL));
  // The kernel's unix_mkname_bsd: the path ends at the first NUL or at len.
  const size_t max = len - offsetof(sockaddr_un, sun_path);
  std::string path(address->sun_path, strnlen(address->sun_path, max));
  ParsedCall parsed = OnePath({AT_FDCWD, std::move(path)}, [](const protocol::Creds& creds, const ResolvedOperand& op) {
    return protocol::BindUnix{creds, op.dir, op.path};
  });
  std::get<BrokeredCall>(parsed).socket_fd = Int(a[0]);
  return parsed;
}

// ---- file_setattr ----

// Protocol v1 has no request for it: the kernel runs it in the workload's
// view, where host storage is read-only (EROFS). Safe, see broker.h.
absl::StatusOr<ParsedCall> ParseFileSetattr(const Args&, platform::RemoteMemory&) {
  return Answer(CallResult::Continue());
}

}  // namespace

std::vector<BrokerHandler> AttributeHandlers() {
  return {
      {"chmod", ParseChmod},
      {"fchmod", ParseFchmod},
      {"fchmodat", ParseFchmodat},
      {"fchmodat2", ParseFchmodat2},
      {"chown", ParseChown},
      {"fchown", ParseFchown},
      {"lchown", ParseLchown},
      {"fchownat", ParseFchownat},
      {"utime", ParseUtime},
      {"utimes", ParseUtimes},
      {"futimesat", ParseFutimesat},
      {"utimensat", ParseUtimensat},
      {"truncate", ParseTruncate},
      {"setxattr", ParseSetxattr},
      {"lsetxattr", ParseLsetxattr},
      {"setxattrat", ParseSetxattrat},
      {"fsetxattr", ParseFsetxattr},
      {"removexattr", ParseRemovexattr},
      {"lremovexattr", ParseLremovexattr},
      {"removexattrat", ParseRemovexattrat},
      {"fremovexattr", ParseFremovexattr},
      {"access", ParseAccess},
      {"faccessat", ParseFaccessat},
      {"faccessat2", ParseFaccessat2},
      {"bind", ParseBind},
      {"file_setattr", ParseFileSetattr},
  };
}

}  // namespace sentry::broker_internal
