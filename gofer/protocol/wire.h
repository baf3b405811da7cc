// The gofer protocol's messages and their wire codec (PROTOCOL.md, version 1).
//
// Decoding treats the bytes as hostile: every length is checked before use,
// nothing throws, and every error is an absl::Status naming the field
// ("openat.path: length 70000 exceeds 4095"). Encoding applies the same
// checks, so a message that encodes is a message the peer will accept.
// The codec never sees fds: a message declares how many it carries
// (FdCount) and the transport (transport.h) moves and counts them.
#ifndef RUNSC_GOFER_PROTOCOL_WIRE_H_
#define RUNSC_GOFER_PROTOCOL_WIRE_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace gofer::protocol {

// ---- framing and limits (PROTOCOL.md, "Framing" and "Limits") ----
inline constexpr uint32_t kMagic = 0x52464f47;  // "GOFR" in little-endian order.
inline constexpr uint16_t kVersion = 1;
inline constexpr size_t kHeaderSize = 16;
inline constexpr size_t kMaxMessageSize = 80 * 1024;
inline constexpr size_t kMaxPathLength = 4095;
inline constexpr size_t kMaxUnixPathLength = 108;
inline constexpr size_t kMaxXattrNameLength = 255;
inline constexpr size_t kMaxXattrValueSize = 65536;
inline constexpr size_t kMaxGroups = 1024;
inline constexpr size_t kMaxFdsPerMessage = 2;
inline constexpr size_t kMaxErrorMessageLength = 1024;

// Message types: requests 0x0001-0x7fff, replies 0x8000-0xffff.
enum class MessageType : uint16_t {
  kHello = 0x0001,
  kOpenat = 0x0002,
  kMkdirat = 0x0003,
  kMknodat = 0x0004,
  kUnlinkat = 0x0005,
  kRenameat2 = 0x0006,
  kLinkat = 0x0007,
  kSymlinkat = 0x0008,
  kFchmodat = 0x0009,
  kFchownat = 0x000a,
  kUtimensat = 0x000b,
  kTruncate = 0x000c,
  kSetxattr = 0x000d,
  kRemovexattr = 0x000e,
  kBindUnix = 0x000f,
  kFaccessat = 0x0010,
  kHelloReply = 0x8001,
  kResult = 0x8002,
  kError = 0x8003,
};

// The lowercase name used in error messages ("openat"), or "unknown".
const char* MessageName(MessageType type);

// The fixed 16-byte header.
struct Header {
  uint32_t magic = kMagic;
  uint16_t version = kVersion;
  uint16_t type = 0;
  uint32_t tag = 0;
  uint32_t payload_length = 0;
};

// ---- payload building blocks ----

// The calling thread's credentials; the gofer acts with them.
struct Creds {
  uint32_t fsuid = 0;
  uint32_t fsgid = 0;
  uint32_t umask = 022;  // <= 0777
  uint64_t cap_effective = 0;
  std::vector<uint32_t> groups;  // at most kMaxGroups
  bool operator==(const Creds&) const = default;
};

// Where a path starts. kRoot: the path is absolute, no fd. kFd: one fd (the
// caller's dirfd or cwd) travels with the message, `path` is that
// directory's absolute container path and the accompanying path is relative.
struct Dir {
  enum class Kind : uint8_t { kRoot = 0, kFd = 1 };
  Kind kind = Kind::kRoot;
  std::string path;  // kFd only
  bool operator==(const Dir&) const = default;
};

// ---- requests ----
struct Hello {
  uint16_t min_version = kVersion;
  uint16_t max_version = kVersion;
  bool operator==(const Hello&) const = default;
};
struct Openat {
  Creds creds;
  Dir dir;
  std::string path;
  uint64_t flags = 0;
  uint32_t mode = 0;
  uint64_t resolve = 0;
  bool operator==(const Openat&) const = default;
};
struct Mkdirat {
  Creds creds;
  Dir dir;
  std::string path;
  uint32_t mode = 0;
  bool operator==(const Mkdirat&) const = default;
};
struct Mknodat {
  Creds creds;
  Dir dir;
  std::string path;
  uint32_t mode = 0;
  uint64_t dev = 0;
  bool operator==(const Mknodat&) const = default;
};
struct Unlinkat {
  Creds creds;
  Dir dir;
  std::string path;
  uint32_t flags = 0;
  bool operator==(const Unlinkat&) const = default;
};
struct Renameat2 {
  Creds creds;
  Dir old_dir;
  std::string old_path;
  Dir new_dir;
  std::string new_path;
  uint32_t flags = 0;
  bool operator==(const Renameat2&) const = default;
};
struct Linkat {
  Creds creds;
  Dir old_dir;
  std::string old_path;
  Dir new_dir;
  std::string new_path;
  uint32_t flags = 0;
  bool operator==(const Linkat&) const = default;
};
struct Symlinkat {
  Creds creds;
  std::string target;  // stored verbatim, never resolved by the gofer
  Dir dir;
  std::string path;
  bool operator==(const Symlinkat&) const = default;
};
struct Fchmodat {
  Creds creds;
  Dir dir;
  std::string path;
  uint32_t mode = 0;
  uint32_t flags = 0;
  bool operator==(const Fchmodat&) const = default;
};
struct Fchownat {
  Creds creds;
  Dir dir;
  std::string path;
  uint32_t uid = 0;  // 0xffffffff keeps
  uint32_t gid = 0;
  uint32_t flags = 0;
  bool operator==(const Fchownat&) const = default;
};
struct Utimensat {
  Creds creds;
  Dir dir;
  std::string path;
  int64_t atime_sec = 0;
  int64_t atime_nsec = 0;  // or UTIME_NOW / UTIME_OMIT
  int64_t mtime_sec = 0;
  int64_t mtime_nsec = 0;
  uint32_t flags = 0;
  bool operator==(const Utimensat&) const = default;
};
struct Truncate {
  Creds creds;
  Dir dir;
  std::string path;
  int64_t length = 0;
  // The caller's soft RLIMIT_FSIZE (UINT64_MAX: none): a longer length is
  // EFBIG, and the sentry raises SIGXFSZ, as the kernel does.
  uint64_t fsize_limit = UINT64_MAX;
  bool operator==(const Truncate&) const = default;
};
struct Setxattr {
  Creds creds;
  Dir dir;
  std::string path;
  std::string name;
  std::string value;  // binary, at most kMaxXattrValueSize
  uint32_t flags = 0;
  uint32_t at_flags = 0;
  bool operator==(const Setxattr&) const = default;
};
struct Removexattr {
  Creds creds;
  Dir dir;
  std::string path;
  std::string name;
  uint32_t at_flags = 0;
  bool operator==(const Removexattr&) const = default;
};
// Carries the caller's socket as the last fd; `path` is its exact sun_path.
struct BindUnix {
  Creds creds;
  Dir dir;
  std::string path;
  bool operator==(const BindUnix&) const = default;
};

// access/faccessat/faccessat2 with W_OK. `creds` are the effective ones
// (AT_EACCESS); uid, gid and cap_permitted give the real-id check its
// credentials (PROTOCOL.md, "Requests in detail").
struct Faccessat {
  Creds creds;
  Dir dir;
  std::string path;
  uint32_t mode = 0;
  uint32_t flags = 0;
  uint32_t uid = 0;  // the caller's real ids
  uint32_t gid = 0;
  uint64_t cap_permitted = 0;
  bool operator==(const Faccessat&) const = default;
};

using RequestBody = std::variant<Hello, Openat, Mkdirat, Mknodat, Unlinkat, Renameat2, Linkat,
                                 Symlinkat, Fchmodat, Fchownat, Utimensat, Truncate, Setxattr,
                                 Removexattr, BindUnix, Faccessat>;

// A request and the tag its reply will echo.
struct Request {
  uint32_t tag = 0;
  RequestBody body;
  bool operator==(const Request&) const = default;
};

// ---- replies ----
// root_fd_count 1: the gofer donates its root (directfs, PROTOCOL.md,
// "directfs"): an O_PATH fd of its read-write copy of the container's tree.
struct HelloReply {
  uint16_t version = kVersion;
  uint8_t root_fd_count = 0;  // 0 or 1
  bool operator==(const HelloReply&) const = default;
};
// A call's answer: its result, or -errno. fd_count 1 (Openat only) only
// with value >= 0.
struct Result {
  // For Openat only: the target is a FIFO or a device node, which the gofer
  // never opens for the workload; the sentry lets the kernel open it in the
  // caller's own view (PROTOCOL.md, "Requests in detail").
  static constexpr int64_t kLeaveToKernel = -0x10000;  // outside -errno's range
  int64_t value = 0;
  uint8_t fd_count = 0;
  bool operator==(const Result&) const = default;
};
// A protocol error; its sender closes the connection right after it.
struct Error {
  uint32_t code = 3;  // an absl::StatusCode, 1-16
  std::string message;
  bool operator==(const Error&) const = default;
};

using ReplyBody = std::variant<HelloReply, Result, Error>;

// A reply and the tag of the request it answers (0: header unreadable).
struct Reply {
  uint32_t tag = 0;
  ReplyBody body;
  bool operator==(const Reply&) const = default;
};

// ---- the codec ----

// The type of a body.
MessageType TypeOf(const RequestBody& body);
MessageType TypeOf(const ReplyBody& body);

// How many fds travel with the message, in field order (PROTOCOL.md).
size_t FdCount(const Request& request);
size_t FdCount(const Reply& reply);

// Encodes a whole datagram (header + payload). Fails on a message that
// breaks a limit, naming the field.
absl::StatusOr<std::vector<uint8_t>> Encode(const Request& request);
absl::StatusOr<std::vector<uint8_t>> Encode(const Reply& reply);

// Checks magic, version, size and that payload_length matches the datagram.
// Does not check the type.
absl::StatusOr<Header> DecodeHeader(absl::Span<const uint8_t> datagram);

// Decodes one datagram. Any error is InvalidArgument and names the field.
absl::StatusOr<Request> DecodeRequest(absl::Span<const uint8_t> datagram);
absl::StatusOr<Reply> DecodeReply(absl::Span<const uint8_t> datagram);

// The tag of a datagram whose header is readable (magic and size), else 0:
// what an Error about a malformed message echoes.
uint32_t PeekTag(absl::Span<const uint8_t> datagram);

// The Error reply for a protocol error (message cut to the limit).
Reply ErrorReply(uint32_t tag, const absl::Status& status);

}  // namespace gofer::protocol

#endif  // RUNSC_GOFER_PROTOCOL_WIRE_H_
