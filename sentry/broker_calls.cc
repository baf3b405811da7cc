#include "sentry/broker_calls.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/limits.h>
#include <linux/openat2.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/xattr.h>

#include <cstdio>
#include <cstring>
#include <unordered_map>
#include <utility>

#include "fmt/format.h"
#include "platform/status_macros.h"
#include "sentry/broker_caller.h"
#include "sentry/broker_calls_internal.h"

namespace sentry {
namespace {

namespace protocol = gofer::protocol;
using platform::CallResult;
using namespace broker_internal;

// What Linux accepts in open(2)'s flags (VALID_OPEN_FLAGS); other bits are
// dropped by open/openat, but openat2 (what the gofer runs) refuses them.
constexpr uint64_t kLargeFile = 0100000;  // the kernel's O_LARGEFILE on x86_64
constexpr uint64_t kValidOpenFlags = O_ACCMODE | O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_APPEND | O_NONBLOCK |
                                     O_SYNC | O_DSYNC | FASYNC | O_DIRECT | kLargeFile | O_DIRECTORY | O_NOFOLLOW |
                                     O_NOATIME | O_CLOEXEC | O_PATH | O_TMPFILE;
constexpr uint64_t kWriteOpenFlags = O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | (O_TMPFILE & ~O_DIRECTORY);
constexpr uint64_t kCreateFlags = O_CREAT | (O_TMPFILE & ~O_DIRECTORY);
constexpr size_t kOpenHowSize = 24;    // OPEN_HOW_SIZE_VER0

// ---- open, openat, creat, openat2 ----

ParsedCall Open(int dirfd, std::string path, uint64_t flags, uint32_t mode, uint64_t resolve) {
  ParsedCall parsed = OnePath({dirfd, std::move(path)}, [=](const protocol::Creds& creds, const ResolvedOperand& op) {
    return protocol::Openat{creds, op.dir, op.path, flags, mode, resolve};
  });
  std::get<BrokeredCall>(parsed).cloexec = (flags & O_CLOEXEC) != 0;
  return parsed;
}

// build_open_flags's checks of the flags, made before the path is read:
// O_CREAT with O_DIRECTORY, and O_TMPFILE without O_DIRECTORY, with O_CREAT
// or without write access, are EINVAL.
int OpenFlagsError(uint64_t flags) {
  if ((flags & O_DIRECTORY) && (flags & O_CREAT)) return EINVAL;
  if (flags & (O_TMPFILE & ~O_DIRECTORY)) {
    if ((flags & (O_TMPFILE | O_CREAT)) != O_TMPFILE) return EINVAL;
    if ((flags & O_ACCMODE) == O_RDONLY) return EINVAL;
  }
  return 0;
}

// open/openat/creat flags as Linux builds them (build_open_how): unknown
// bits dropped, the mode kept only when creating. O_PATH beats everything:
// such an open cannot write, whatever else is set, so the kernel may run it.
absl::StatusOr<ParsedCall> LegacyOpen(int dirfd, uint64_t path_addr, uint64_t flags, uint64_t mode,
                                      platform::RemoteMemory& memory) {
  flags &= kValidOpenFlags;
  if (flags & O_PATH) return Answer(CallResult::Continue());
  if (int err = OpenFlagsError(flags); err != 0) return Answer(CallResult::Error(err));
  ASSIGN_OR_RETURN(std::string path, ReadPath(memory, path_addr));
  return Open(dirfd, std::move(path), flags, (flags & kCreateFlags) ? U32(mode) & 07777 : 0, 0);
}

absl::StatusOr<ParsedCall> ParseOpen(const Args& a, platform::RemoteMemory& m) {
  return LegacyOpen(AT_FDCWD, a[0], a[1], a[2], m);
}
absl::StatusOr<ParsedCall> ParseOpenat(const Args& a, platform::RemoteMemory& m) {
  return LegacyOpen(Int(a[0]), a[1], a[2], a[3], m);
}
absl::StatusOr<ParsedCall> ParseCreat(const Args& a, platform::RemoteMemory& m) {
  return LegacyOpen(AT_FDCWD, a[0], O_CREAT | O_WRONLY | O_TRUNC, a[1], m);
}

// openat2: every call traps (its flags are memory). One that cannot write
// (no write, create, truncate or O_TMPFILE flag, or O_PATH) is left to the
// kernel: whatever the struct says when the kernel reads it again, the call
// only reaches the workload's read-only view (see broker.h).
// Linux's build_open_how checks, in its order: the errno openat2 gives for
// `how` before it reads the path, or 0. The gofer cannot tell openat2 with
// resolve 0 from openat (which drops unknown bits), so these are ours.
int Openat2HowError(uint64_t flags, uint64_t mode, uint64_t resolve) {
  constexpr uint64_t kValidResolve = RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS |
                                     RESOLVE_BENEATH | RESOLVE_IN_ROOT | RESOLVE_CACHED;
  if ((flags & ~kValidOpenFlags) || (resolve & ~kValidResolve)) return EINVAL;
  if (flags & kCreateFlags) {
    if (mode & ~static_cast<uint64_t>(07777)) return EINVAL;
  } else if (mode != 0) {
    return EINVAL;
  }
  if (int err = OpenFlagsError(flags); err != 0) return err;
  if ((resolve & RESOLVE_BENEATH) && (resolve & RESOLVE_IN_ROOT)) return EINVAL;
  if ((resolve & RESOLVE_CACHED) && (flags & (O_TRUNC | kCreateFlags))) return EAGAIN;
  return 0;
}

absl::StatusOr<ParsedCall> ParseOpenat2(const Args& a, platform::RemoteMemory& m) {
  ASSIGN_OR_RETURN(std::string how, ReadExtensibleStruct(m, a[2], a[3], kOpenHowSize));
  uint64_t flags, mode, resolve;
  memcpy(&flags, how.data(), 8);
  memcpy(&mode, how.data() + 8, 8);
  memcpy(&resolve, how.data() + 16, 8);
  if (!(flags & kWriteOpenFlags) || (flags & O_PATH)) return Answer(CallResult::Continue());
  if (int err = Openat2HowError(flags, mode, resolve); err != 0) return Answer(CallResult::Error(err));
  ASSIGN_OR_RETURN(std::string path, ReadPath(m, a[1]));
  return Open(Int(a[0]), std::move(path), flags, static_cast<uint32_t>(mode), resolve);
}

// ---- mkdir, mknod, unlink, rmdir ----

absl::StatusOr<ParsedCall> Mkdir(int dirfd, uint64_t path_addr, uint32_t mode, platform::RemoteMemory& m) {
  ASSIGN_OR_RETURN(std::string path, ReadPath(m, path_addr));
  return OnePath({dirfd, std::move(path)}, [=](const protocol::Creds& creds, const ResolvedOperand& op) {
    return protocol::Mkdirat{creds, op.dir, op.path, mode};
  });
}
absl::StatusOr<ParsedCall> ParseMkdir(const Args& a, platform::RemoteMemory& m) { return Mkdir(AT_FDCWD, a[0], U32(a[1]), m); }
absl::StatusOr<ParsedCall> ParseMkdirat(const Args& a, platform::RemoteMemory& m) {
  return Mkdir(Int(a[0]), a[1], U32(a[2]), m);
}

absl::StatusOr<ParsedCall> Mknod(int dirfd, uint64_t path_addr, uint32_t mode, uint32_t dev, platform::RemoteMemory& m) {
  ASSIGN_OR_RETURN(std::string path, ReadPath(m, path_addr));
  return OnePath({dirfd, std::move(path)}, [=](const protocol::Creds& creds, const ResolvedOperand& op) {
    return protocol::Mknodat{creds, op.dir, op.path, mode, dev};
  });
}
absl::StatusOr<ParsedCall> ParseMknod(const Args& a, platform::RemoteMemory& m) {
  return Mknod(AT_FDCWD, a[0], U32(a[1]), U32(a[2]), m);
}
absl::StatusOr<ParsedCall> ParseMknodat(const Args& a, platform::RemoteMemory& m) {
  return Mknod(Int(a[0]), a[1], U32(a[2]), U32(a[3]), m);
}

absl::StatusOr<ParsedCall> Unlink(int dirfd, uint64_t path_addr, uint32_t flags, platform::RemoteMemory& m) {
  if (flags & ~static_cast<uint32_t>(AT_REMOVEDIR)) return Answer(CallResult::Error(EINVAL));
  ASSIGN_OR_RETURN(std::string path, ReadPath(m, path_addr));
  return OnePath({dirfd, std::move(path)}, [=](const protocol::Creds& creds, const ResolvedOperand& op) {
    return protocol::Unlinkat{creds, op.dir, op.path, flags};
  });
}
absl::StatusOr<ParsedCall> ParseUnlink(const Args& a, platform::RemoteMemory& m) { return Unlink(AT_FDCWD, a[0], 0, m); }
absl::StatusOr<ParsedCall> ParseRmdir(const Args& a, platform::RemoteMemory& m) {
  return Unlink(AT_FDCWD, a[0], AT_REMOVEDIR, m);
}
absl::StatusOr<ParsedCall> ParseUnlinkat(const Args& a, platform::RemoteMemory& m) {
  return Unlink(Int(a[0]), a[1], U32(a[2]), m);
}

// ---- rename, link, symlink ----

// A call on two paths (old, new). An empty old path (without AT_EMPTY_PATH)
// is ENOENT before the new one is read, as Linux looks the old one up first.
template <typename Make>
absl::StatusOr<ParsedCall> TwoPaths(PathOperand old_operand, uint64_t new_addr, int new_dirfd, Make make,
                                    platform::RemoteMemory& m) {
  if (old_operand.path.empty() && !old_operand.empty_path) return Answer(CallResult::Error(ENOENT));
  ASSIGN_OR_RETURN(std::string new_path, ReadPath(m, new_addr));
  BrokeredCall call;
  call.operands = {std::move(old_operand), PathOperand{new_dirfd, std::move(new_path)}};
  call.make = [make](const protocol::Creds& creds, const std::vector<ResolvedOperand>& ops) {
    return protocol::RequestBody(make(creds, ops[0], ops[1]));
  };
  return ParsedCall(std::move(call));
}

// do_renameat2 checks the flags before either name.
absl::StatusOr<ParsedCall> Rename(int old_dirfd, uint64_t old_addr, int new_dirfd, uint64_t new_addr, uint32_t flags,
                                  platform::RemoteMemory& m) {
  if (flags & ~static_cast<uint32_t>(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT)) {
    return Answer(CallResult::Error(EINVAL));
  }
  if ((flags & (RENAME_NOREPLACE | RENAME_WHITEOUT)) && (flags & RENAME_EXCHANGE)) {
    return Answer(CallResult::Error(EINVAL));
  }
  ASSIGN_OR_RETURN(std::string old_path, ReadPath(m, old_addr));
  auto make = [flags](const protocol::Creds& creds, const ResolvedOperand& from, const ResolvedOperand& to) {
    return protocol::Renameat2{creds, from.dir, from.path, to.dir, to.path, flags};
  };
  return TwoPaths({old_dirfd, std::move(old_path)}, new_addr, new_dirfd, make, m);
}
absl::StatusOr<ParsedCall> ParseRename(const Args& a, platform::RemoteMemory& m) {
  return Rename(AT_FDCWD, a[0], AT_FDCWD, a[1], 0, m);
}
absl::StatusOr<ParsedCall> ParseRenameat(const Args& a, platform::RemoteMemory& m) {
  return Rename(Int(a[0]), a[1], Int(a[2]), a[3], 0, m);
}
absl::StatusOr<ParsedCall> ParseRenameat2(const Args& a, platform::RemoteMemory& m) {
  return Rename(Int(a[0]), a[1], Int(a[2]), a[3], U32(a[4]), m);
}

// do_linkat checks the flags before either name.
absl::StatusOr<ParsedCall> Link(int old_dirfd, uint64_t old_addr, int new_dirfd, uint64_t new_addr, uint32_t flags,
                                platform::RemoteMemory& m) {
  if (flags & ~static_cast<uint32_t>(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH)) return Answer(CallResult::Error(EINVAL));
  ASSIGN_OR_RETURN(std::string old_path, ReadPath(m, old_addr));
  PathOperand from{old_dirfd, std::move(old_path), (flags & AT_EMPTY_PATH) != 0, false};
  auto make = [flags](const protocol::Creds& creds, const ResolvedOperand& from, const ResolvedOperand& to) {
    return protocol::Linkat{creds, from.dir, from.path, to.dir, to.path, flags};
  };
  return TwoPaths(std::move(from), new_addr, new_dirfd, make, m);
}
absl::StatusOr<ParsedCall> ParseLink(const Args& a, platform::RemoteMemory& m) {
  return Link(AT_FDCWD, a[0], AT_FDCWD, a[1], 0, m);
}
absl::StatusOr<ParsedCall> ParseLinkat(const Args& a, platform::RemoteMemory& m) {
  return Link(Int(a[0]), a[1], Int(a[2]), a[3], U32(a[4]), m);
}

absl::StatusOr<ParsedCall> Symlink(uint64_t target_addr, int dirfd, uint64_t path_addr, platform::RemoteMemory& m) {
  ASSIGN_OR_RETURN(std::string target, ReadPath(m, target_addr));
  if (target.empty()) return Answer(CallResult::Error(ENOENT));  // before the new name, as Linux
  ASSIGN_OR_RETURN(std::string path, ReadPath(m, path_addr));
  return OnePath({dirfd, std::move(path)}, [target](const protocol::Creds& creds, const ResolvedOperand& op) {
    return protocol::Symlinkat{creds, target, op.dir, op.path};
  });
}
absl::StatusOr<ParsedCall> ParseSymlink(const Args& a, platform::RemoteMemory& m) {
  return Symlink(a[0], AT_FDCWD, a[1], m);
}
absl::StatusOr<ParsedCall> ParseSymlinkat(const Args& a, platform::RemoteMemory& m) {
  return Symlink(a[0], Int(a[1]), a[2], m);
}

}  // namespace

namespace broker_internal {

// A RemoteMemory failure as the workload's errno (gone calls stay gone).
absl::Status MemoryFailure(const absl::Status& status) {
  if (platform::IsCallGone(status)) return status;
  return WorkloadError(platform::WorkloadErrno(status), std::string(status.message()));
}

// A NUL-terminated path: ENAMETOOLONG past kMaxPathLength bytes, as Linux.
absl::StatusOr<std::string> ReadPath(platform::RemoteMemory& memory, uint64_t addr) {
  absl::StatusOr<std::string> path = memory.ReadCString(addr, protocol::kMaxPathLength + 1);
  if (!path.ok()) return MemoryFailure(path.status());
  return path;
}

absl::Status ReadBytes(platform::RemoteMemory& memory, uint64_t addr, void* out, size_t len) {
  absl::Status read = memory.Read(addr, out, len);
  return read.ok() ? read : MemoryFailure(read);
}

// An extensible struct (copy_struct_from_user): at least `known` bytes, at
// most a page, and any bytes past what we know must be zero.
absl::StatusOr<std::string> ReadExtensibleStruct(platform::RemoteMemory& memory, uint64_t addr, uint64_t size,
                                                 size_t known) {
  constexpr size_t kPageSize = 4096;  // copy_struct_from_user's limit
  if (size < known) return WorkloadError(EINVAL, "struct too small");
  if (size > kPageSize) return WorkloadError(E2BIG, "struct too large");
  std::string bytes(size, '\0');
  RETURN_IF_ERROR(ReadBytes(memory, addr, bytes.data(), bytes.size()));
  if (bytes.find_first_not_of('\0', known) != std::string::npos) return WorkloadError(E2BIG, "unknown struct fields");
  return bytes;
}

}  // namespace broker_internal

namespace {

// Every broker handler, by name. Built once and never changed: the table's
// rows point into it.
const std::unordered_map<std::string_view, BrokerHandler>& Handlers() {
  static const auto* const handlers = [] {
    std::vector<BrokerHandler> all = {
        {"open", ParseOpen},         {"openat", ParseOpenat},       {"creat", ParseCreat},
        {"openat2", ParseOpenat2},   {"mkdir", ParseMkdir},         {"mkdirat", ParseMkdirat},
        {"mknod", ParseMknod},       {"mknodat", ParseMknodat},     {"unlink", ParseUnlink},
        {"rmdir", ParseRmdir},       {"unlinkat", ParseUnlinkat},   {"rename", ParseRename},
        {"renameat", ParseRenameat}, {"renameat2", ParseRenameat2}, {"link", ParseLink},
        {"linkat", ParseLinkat},     {"symlink", ParseSymlink},     {"symlinkat", ParseSymlinkat},
    };
    for (const BrokerHandler& handler : broker_internal::AttributeHandlers()) all.push_back(handler);
    auto* by_name = new std::unordered_map<std::string_view, BrokerHandler>;
    for (const BrokerHandler& handler : all) by_name->emplace(handler.name, handler);
    return by_name;
  }();
  return *handlers;
}

}  // namespace

const BrokerHandler* FindBrokerHandler(std::string_view name) {
  auto it = Handlers().find(name);
  return it == Handlers().end() ? nullptr : &it->second;
}

absl::StatusOr<ParsedCall> ParseBrokeredCall(const std::string& name, const platform::TrappedCall& call,
                                             platform::RemoteMemory& memory) {
  const BrokerHandler* handler = FindBrokerHandler(name);
  if (handler == nullptr) return absl::InternalError(fmt::format("no broker handler for {}", name));
  return handler->parse(call.args, memory);
}

}  // namespace sentry
