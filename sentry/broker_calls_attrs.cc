// The brokered calls that change a path's attributes (chmod, chown, times,
// size, xattrs), access with W_OK, bind of an AF_UNIX path, and
// file_setattr (continued).
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

// ---- chmod, chown ----

absl::StatusOr<ParsedCall> Chmod(int dirfd, uint64_t path_addr, uint32_t mode, uint32_t flags,
                                 platform::RemoteMemory& m) {
  ASSIGN_OR_RETURN(std::string path, ReadPath(m, path_addr));
  PathOperand operand = Target(dirfd, std::move(path), flags, (flags & AT_SYMLINK_NOFOLLOW) != 0);
  return OnePath(std::move(operand), [=](const protocol::Creds& creds, const ResolvedOperand& op) {
    return protocol::Fchmodat{creds, op.dir, op.path, mode, WithEmptyPath(flags, op)};
  });
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

absl::StatusOr<ParsedCall> Chown(int dirfd, uint64_t path_addr, uint32_t uid, uint32_t gid, uint32_t flags,
                                 platform::RemoteMemory& m) {
  ASSIGN_OR_RETURN(std::string path, ReadPath(m, path_addr));
  PathOperand operand = Target(dirfd, std::move(path), flags, (flags & AT_SYMLINK_NOFOLLOW) != 0);
  return OnePath(std::move(operand), [=](const protocol::Creds& creds, const ResolvedOperand& op) {
    return protocol::Fchownat{creds, op.dir, op.path, uid, gid, WithEmptyPath(flags, op)};
  });
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

absl::StatusOr<ParsedCall> Utimens(int dirfd, std::string path, const Times& times, uint32_t flags) {
  if (times.values[1] == kUtimeOmit && times.values[3] == kUtimeOmit) {
    return Answer(CallResult::Value(0));  // Linux: nothing to do, the path is not even looked at
  }
  PathOperand operand = Target(dirfd, std::move(path), flags, (flags & AT_SYMLINK_NOFOLLOW) != 0);
  return OnePath(std::move(operand), [=](const protocol::Creds& creds, const ResolvedOperand& op) {
    const int64_t* t = times.values;
    return protocol::Utimensat{creds, op.dir, op.path, t[0], t[1], t[2], t[3], WithEmptyPath(flags, op)};
  });
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

absl::StatusOr<ParsedCall> ParseUtime(const Args& a, platform::RemoteMemory& m) {
  ASSIGN_OR_RETURN(std::string path, ReadPath(m, a[0]));
  Times times;
  if (a[1] != 0) {
    int64_t raw[2];  // struct utimbuf {actime, modtime}
    RETURN_IF_ERROR(ReadBytes(m, a[1], raw, sizeof(raw)));
    times = Times{{raw[0], 0, raw[1], 0}};
  }
  return Utimens(AT_FDCWD, std::move(path), times, 0);
}
absl::StatusOr<ParsedCall> ParseUtimes(const Args& a, platform::RemoteMemory& m) {
  ASSIGN_OR_RETURN(std::string path, ReadPath(m, a[0]));
  ASSIGN_OR_RETURN(Times times, ReadTimevals(m, a[1]));
  return Utimens(AT_FDCWD, std::move(path), times, 0);
}
absl::StatusOr<ParsedCall> ParseFutimesat(const Args& a, platform::RemoteMemory& m) {
  ASSIGN_OR_RETURN(std::string path, ReadPath(m, a[1]));
  ASSIGN_OR_RETURN(Times times, ReadTimevals(m, a[2]));
  return Utimens(Int(a[0]), std::move(path), times, 0);
}
absl::StatusOr<ParsedCall> ParseUtimensat(const Args& a, platform::RemoteMemory& m) {
  Times times;
  if (a[2] != 0) RETURN_IF_ERROR(ReadBytes(m, a[2], times.values, sizeof(times.values)));
  if (times.values[1] == kUtimeOmit && times.values[3] == kUtimeOmit) return Answer(CallResult::Value(0));
  ASSIGN_OR_RETURN(std::string path, ReadPath(m, a[1]));
  return Utimens(Int(a[0]), std::move(path), times, U32(a[3]));
}

// ---- truncate ----

absl::StatusOr<ParsedCall> ParseTruncate(const Args& a, platform::RemoteMemory& m) {
  ASSIGN_OR_RETURN(std::string path, ReadPath(m, a[0]));
  const int64_t length = static_cast<int64_t>(a[1]);
  if (length < 0) return Answer(CallResult::Error(EINVAL));
  return OnePath({AT_FDCWD, std::move(path)}, [=](const protocol::Creds& creds, const ResolvedOperand& op) {
    return protocol::Truncate{creds, op.dir, op.path, length};
  });
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

absl::StatusOr<ParsedCall> Setxattr(int dirfd, uint64_t path_addr, uint32_t at_flags, uint64_t name_addr,
                                    uint64_t value_addr, uint64_t size, uint32_t flags, platform::RemoteMemory& m) {
  ASSIGN_OR_RETURN(std::string name, ReadXattrName(m, name_addr));
  if (size > protocol::kMaxXattrValueSize) return Answer(CallResult::Error(E2BIG));
  std::string value(size, '\0');
  if (size > 0) RETURN_IF_ERROR(ReadBytes(m, value_addr, value.data(), size));
  ASSIGN_OR_RETURN(std::string path, ReadPath(m, path_addr));
  PathOperand operand = Target(dirfd, std::move(path), at_flags, (at_flags & AT_SYMLINK_NOFOLLOW) != 0);
  return OnePath(std::move(operand), [=](const protocol::Creds& creds, const ResolvedOperand& op) {
    return protocol::Setxattr{creds, op.dir, op.path, name, value, flags, WithEmptyPath(at_flags, op)};
  });
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

absl::StatusOr<ParsedCall> Removexattr(int dirfd, uint64_t path_addr, uint32_t at_flags, uint64_t name_addr,
                                       platform::RemoteMemory& m) {
  ASSIGN_OR_RETURN(std::string name, ReadXattrName(m, name_addr));
  ASSIGN_OR_RETURN(std::string path, ReadPath(m, path_addr));
  PathOperand operand = Target(dirfd, std::move(path), at_flags, (at_flags & AT_SYMLINK_NOFOLLOW) != 0);
  return OnePath(std::move(operand), [=](const protocol::Creds& creds, const ResolvedOperand& op) {
    return protocol::Removexattr{creds, op.dir, op.path, name, WithEmptyPath(at_flags, op)};
  });
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
      {"fchmodat", ParseFchmodat},
      {"fchmodat2", ParseFchmodat2},
      {"chown", ParseChown},
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
      {"removexattr", ParseRemovexattr},
      {"lremovexattr", ParseLremovexattr},
      {"removexattrat", ParseRemovexattrat},
      {"access", ParseAccess},
      {"faccessat", ParseFaccessat},
      {"faccessat2", ParseFaccessat2},
      {"bind", ParseBind},
      {"file_setattr", ParseFileSetattr},
  };
}

}  // namespace sentry::broker_internal
