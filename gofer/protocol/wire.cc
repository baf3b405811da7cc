#include "gofer/protocol/wire.h"

#include <concepts>
#include <string_view>
#include <type_traits>
#include <utility>

#include "fmt/format.h"
#include "gofer/protocol/byte_io.h"
#include "platform/status_macros.h"

namespace gofer::protocol {
namespace {

// ---- each message's type, and its layout written once for both directions ----

template <typename T>
constexpr MessageType kTypeOf = MessageType::kHello;
template <> constexpr MessageType kTypeOf<Openat> = MessageType::kOpenat;
template <> constexpr MessageType kTypeOf<Mkdirat> = MessageType::kMkdirat;
template <> constexpr MessageType kTypeOf<Mknodat> = MessageType::kMknodat;
template <> constexpr MessageType kTypeOf<Unlinkat> = MessageType::kUnlinkat;
template <> constexpr MessageType kTypeOf<Renameat2> = MessageType::kRenameat2;
template <> constexpr MessageType kTypeOf<Linkat> = MessageType::kLinkat;
template <> constexpr MessageType kTypeOf<Symlinkat> = MessageType::kSymlinkat;
template <> constexpr MessageType kTypeOf<Fchmodat> = MessageType::kFchmodat;
template <> constexpr MessageType kTypeOf<Fchownat> = MessageType::kFchownat;
template <> constexpr MessageType kTypeOf<Utimensat> = MessageType::kUtimensat;
template <> constexpr MessageType kTypeOf<Truncate> = MessageType::kTruncate;
template <> constexpr MessageType kTypeOf<Setxattr> = MessageType::kSetxattr;
template <> constexpr MessageType kTypeOf<Removexattr> = MessageType::kRemovexattr;
template <> constexpr MessageType kTypeOf<BindUnix> = MessageType::kBindUnix;
template <> constexpr MessageType kTypeOf<Faccessat> = MessageType::kFaccessat;
template <> constexpr MessageType kTypeOf<HelloReply> = MessageType::kHelloReply;
template <> constexpr MessageType kTypeOf<Result> = MessageType::kResult;
template <> constexpr MessageType kTypeOf<Error> = MessageType::kError;

// M is T or const T: Reader fills a T, Writer reads a const T.
template <typename M, typename T>
concept Is = std::same_as<std::remove_const_t<M>, T>;

std::string Sub(std::string_view name, std::string_view field) {
  return fmt::format("{}.{}", name, field);
}

template <typename Io, typename D>
absl::Status DirField(Io& io, std::string_view name, D& dir) {
  uint8_t kind = static_cast<uint8_t>(dir.kind);
  RETURN_IF_ERROR(io.U8(Sub(name, "kind"), kind));
  RETURN_IF_ERROR(io.Check(kind <= 1, Sub(name, "kind"), fmt::format("unknown kind {}", kind)));
  if constexpr (!std::is_const_v<D>) dir.kind = static_cast<Dir::Kind>(kind);
  if (dir.kind == Dir::Kind::kRoot) return absl::OkStatus();
  RETURN_IF_ERROR(io.String(Sub(name, "path"), dir.path, kMaxPathLength));
  return io.Check(!dir.path.empty() && dir.path[0] == '/', Sub(name, "path"), "is not absolute");
}

// A path that goes with `dir`: absolute for a root dir, relative for an fd.
template <typename Io, typename S>
absl::Status PathField(Io& io, std::string_view name, const Dir& dir, S& path,
                       size_t max_length = kMaxPathLength) {
  RETURN_IF_ERROR(io.String(name, path, max_length));
  bool absolute = !path.empty() && path[0] == '/';
  if (dir.kind == Dir::Kind::kRoot) return io.Check(absolute, name, "is not absolute (dir is root)");
  return io.Check(!absolute, name, "is absolute (dir is an fd)");
}

template <typename Io, typename C>
absl::Status CredsField(Io& io, C& creds) {
  RETURN_IF_ERROR(io.U32("creds.fsuid", creds.fsuid));
  RETURN_IF_ERROR(io.U32("creds.fsgid", creds.fsgid));
  RETURN_IF_ERROR(io.U32("creds.umask", creds.umask));
  RETURN_IF_ERROR(io.Check(creds.umask <= 0777, "creds.umask", fmt::format("{:#o} exceeds 0777", creds.umask)));
  RETURN_IF_ERROR(io.U64("creds.cap_effective", creds.cap_effective));
  return io.U32List("creds.groups", creds.groups, kMaxGroups);
}

// A Dir and the path that goes with it.
template <typename Io, typename M>
absl::Status DirAndPath(Io& io, M& m) {
  RETURN_IF_ERROR(CredsField(io, m.creds));
  RETURN_IF_ERROR(DirField(io, "dir", m.dir));
  return PathField(io, "path", m.dir, m.path);
}

template <typename Io, typename M>
absl::Status TwoPaths(Io& io, M& m) {
  RETURN_IF_ERROR(CredsField(io, m.creds));
  RETURN_IF_ERROR(DirField(io, "old_dir", m.old_dir));
  RETURN_IF_ERROR(PathField(io, "old_path", m.old_dir, m.old_path));
  RETURN_IF_ERROR(DirField(io, "new_dir", m.new_dir));
  RETURN_IF_ERROR(PathField(io, "new_path", m.new_dir, m.new_path));
  return io.U32("flags", m.flags);
}

template <typename Io, Is<Hello> M>
absl::Status Fields(Io& io, M& m) {
  RETURN_IF_ERROR(io.U16("min_version", m.min_version));
  RETURN_IF_ERROR(io.U16("max_version", m.max_version));
  RETURN_IF_ERROR(io.Check(m.min_version >= 1, "min_version", "is 0"));
  return io.Check(m.min_version <= m.max_version, "max_version", "is below min_version");
}

template <typename Io, Is<Openat> M>
absl::Status Fields(Io& io, M& m) {
  RETURN_IF_ERROR(DirAndPath(io, m));
  RETURN_IF_ERROR(io.U64("flags", m.flags));
  RETURN_IF_ERROR(io.U32("mode", m.mode));
  return io.U64("resolve", m.resolve);
}

template <typename Io, Is<Mkdirat> M>
absl::Status Fields(Io& io, M& m) {
  RETURN_IF_ERROR(DirAndPath(io, m));
  return io.U32("mode", m.mode);
}

template <typename Io, Is<Mknodat> M>
absl::Status Fields(Io& io, M& m) {
  RETURN_IF_ERROR(DirAndPath(io, m));
  RETURN_IF_ERROR(io.U32("mode", m.mode));
  return io.U64("dev", m.dev);
}

template <typename Io, Is<Unlinkat> M>
absl::Status Fields(Io& io, M& m) {
  RETURN_IF_ERROR(DirAndPath(io, m));
  return io.U32("flags", m.flags);
}

template <typename Io, Is<Renameat2> M>
absl::Status Fields(Io& io, M& m) {
  return TwoPaths(io, m);
}

template <typename Io, Is<Linkat> M>
absl::Status Fields(Io& io, M& m) {
  return TwoPaths(io, m);
}

template <typename Io, Is<Symlinkat> M>
absl::Status Fields(Io& io, M& m) {
  RETURN_IF_ERROR(CredsField(io, m.creds));
  RETURN_IF_ERROR(io.String("target", m.target, kMaxPathLength));
  RETURN_IF_ERROR(DirField(io, "dir", m.dir));
  return PathField(io, "path", m.dir, m.path);
}

template <typename Io, Is<Fchmodat> M>
absl::Status Fields(Io& io, M& m) {
  RETURN_IF_ERROR(DirAndPath(io, m));
  RETURN_IF_ERROR(io.U32("mode", m.mode));
  return io.U32("flags", m.flags);
}

template <typename Io, Is<Fchownat> M>
absl::Status Fields(Io& io, M& m) {
  RETURN_IF_ERROR(DirAndPath(io, m));
  RETURN_IF_ERROR(io.U32("uid", m.uid));
  RETURN_IF_ERROR(io.U32("gid", m.gid));
  return io.U32("flags", m.flags);
}

template <typename Io, Is<Utimensat> M>
absl::Status Fields(Io& io, M& m) {
  RETURN_IF_ERROR(DirAndPath(io, m));
  RETURN_IF_ERROR(io.I64("atime_sec", m.atime_sec));
  RETURN_IF_ERROR(io.I64("atime_nsec", m.atime_nsec));
  RETURN_IF_ERROR(io.I64("mtime_sec", m.mtime_sec));
  RETURN_IF_ERROR(io.I64("mtime_nsec", m.mtime_nsec));
  return io.U32("flags", m.flags);
}

template <typename Io, Is<Truncate> M>
absl::Status Fields(Io& io, M& m) {
  RETURN_IF_ERROR(DirAndPath(io, m));
  RETURN_IF_ERROR(io.I64("length", m.length));
  return io.U64("fsize_limit", m.fsize_limit);
}

template <typename Io, Is<Setxattr> M>
absl::Status Fields(Io& io, M& m) {
  RETURN_IF_ERROR(DirAndPath(io, m));
  RETURN_IF_ERROR(io.String("name", m.name, kMaxXattrNameLength));
  RETURN_IF_ERROR(io.String("value", m.value, kMaxXattrValueSize, /*allow_nul=*/true));
  RETURN_IF_ERROR(io.U32("flags", m.flags));
  return io.U32("at_flags", m.at_flags);
}

template <typename Io, Is<Removexattr> M>
absl::Status Fields(Io& io, M& m) {
  RETURN_IF_ERROR(DirAndPath(io, m));
  RETURN_IF_ERROR(io.String("name", m.name, kMaxXattrNameLength));
  return io.U32("at_flags", m.at_flags);
}

template <typename Io, Is<BindUnix> M>
absl::Status Fields(Io& io, M& m) {
  RETURN_IF_ERROR(CredsField(io, m.creds));
  RETURN_IF_ERROR(DirField(io, "dir", m.dir));
  RETURN_IF_ERROR(PathField(io, "path", m.dir, m.path, kMaxUnixPathLength));
  return io.Check(!m.path.empty(), "path", "is empty");
}

template <typename Io, Is<Faccessat> M>
absl::Status Fields(Io& io, M& m) {
  RETURN_IF_ERROR(DirAndPath(io, m));
  RETURN_IF_ERROR(io.U32("mode", m.mode));
  RETURN_IF_ERROR(io.U32("flags", m.flags));
  RETURN_IF_ERROR(io.U32("uid", m.uid));
  RETURN_IF_ERROR(io.U32("gid", m.gid));
  return io.U64("cap_permitted", m.cap_permitted);
}

template <typename Io, Is<HelloReply> M>
absl::Status Fields(Io& io, M& m) {
  RETURN_IF_ERROR(io.U16("version", m.version));
  RETURN_IF_ERROR(io.Check(m.version >= 1, "version", "is 0"));
  RETURN_IF_ERROR(io.U8("root_fd_count", m.root_fd_count));
  return io.Check(m.root_fd_count <= 1, "root_fd_count", fmt::format("{} exceeds 1", m.root_fd_count));
}

template <typename Io, Is<Result> M>
absl::Status Fields(Io& io, M& m) {
  RETURN_IF_ERROR(io.I64("value", m.value));
  RETURN_IF_ERROR(io.U8("fd_count", m.fd_count));
  RETURN_IF_ERROR(io.Check(m.fd_count <= 1, "fd_count", fmt::format("{} exceeds 1", m.fd_count)));
  return io.Check(m.fd_count == 0 || m.value >= 0, "fd_count", "is 1 with an error value");
}

template <typename Io, Is<Error> M>
absl::Status Fields(Io& io, M& m) {
  RETURN_IF_ERROR(io.U32("code", m.code));
  RETURN_IF_ERROR(io.Check(m.code >= 1 && m.code <= 16, "code", fmt::format("{} is not an error code", m.code)));
  return io.String("message", m.message, kMaxErrorMessageLength, /*allow_nul=*/true);
}

size_t DirFds(const Dir& dir) { return dir.kind == Dir::Kind::kFd ? 1 : 0; }

bool IsRequestType(uint16_t type) { return type >= 0x0001 && type <= 0x7fff; }

template <typename Body>
absl::StatusOr<std::vector<uint8_t>> EncodeBody(uint32_t tag, const Body& body) {
  std::vector<uint8_t> out(kHeaderSize);
  absl::Status status = std::visit(
      [&](const auto& message) {
        using T = std::decay_t<decltype(message)>;
        Writer writer(out, MessageName(kTypeOf<T>));
        return Fields(writer, message);
      },
      body);
  RETURN_IF_ERROR(status);
  MessageType type = std::visit([](const auto& m) { return kTypeOf<std::decay_t<decltype(m)>>; }, body);
  if (out.size() > kMaxMessageSize) {
    return absl::InvalidArgumentError(fmt::format("{}: message of {} bytes exceeds {}", MessageName(type),
                                                  out.size(), kMaxMessageSize));
  }
  PutLittle(out.data(), kMagic, 4);
  PutLittle(out.data() + 4, kVersion, 2);
  PutLittle(out.data() + 6, static_cast<uint16_t>(type), 2);
  PutLittle(out.data() + 8, tag, 4);
  PutLittle(out.data() + 12, out.size() - kHeaderSize, 4);
  return out;
}

// Decodes the payload as the variant alternative whose type is `type`.
template <typename Body, size_t I = 0>
absl::StatusOr<Body> DecodeBody(uint16_t type, absl::Span<const uint8_t> payload) {
  if constexpr (I == std::variant_size_v<Body>) {
    return absl::InvalidArgumentError(fmt::format("header.type: unknown message type {:#06x}", type));
  } else {
    using T = std::variant_alternative_t<I, Body>;
    if (static_cast<uint16_t>(kTypeOf<T>) != type) return DecodeBody<Body, I + 1>(type, payload);
    T message;
    Reader reader(payload, MessageName(kTypeOf<T>));
    RETURN_IF_ERROR(Fields(reader, message));
    RETURN_IF_ERROR(reader.Finish());
    return Body(std::move(message));
  }
}

}  // namespace

const char* MessageName(MessageType type) {
  switch (type) {
    case MessageType::kHello: return "hello";
    case MessageType::kOpenat: return "openat";
    case MessageType::kMkdirat: return "mkdirat";
    case MessageType::kMknodat: return "mknodat";
    case MessageType::kUnlinkat: return "unlinkat";
    case MessageType::kRenameat2: return "renameat2";
    case MessageType::kLinkat: return "linkat";
    case MessageType::kSymlinkat: return "symlinkat";
    case MessageType::kFchmodat: return "fchmodat";
    case MessageType::kFchownat: return "fchownat";
    case MessageType::kUtimensat: return "utimensat";
    case MessageType::kTruncate: return "truncate";
    case MessageType::kSetxattr: return "setxattr";
    case MessageType::kRemovexattr: return "removexattr";
    case MessageType::kBindUnix: return "bind_unix";
    case MessageType::kFaccessat: return "faccessat";
    case MessageType::kHelloReply: return "hello_reply";
    case MessageType::kResult: return "result";
    case MessageType::kError: return "error";
  }
  return "unknown";
}

MessageType TypeOf(const RequestBody& body) {
  return std::visit([](const auto& m) { return kTypeOf<std::decay_t<decltype(m)>>; }, body);
}

MessageType TypeOf(const ReplyBody& body) {
  return std::visit([](const auto& m) { return kTypeOf<std::decay_t<decltype(m)>>; }, body);
}

size_t FdCount(const Request& request) {
  return std::visit(
      [](const auto& m) -> size_t {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, Hello>) {
          return 0;
        } else if constexpr (std::is_same_v<T, Renameat2> || std::is_same_v<T, Linkat>) {
          return DirFds(m.old_dir) + DirFds(m.new_dir);
        } else if constexpr (std::is_same_v<T, BindUnix>) {
          return DirFds(m.dir) + 1;
        } else {
          return DirFds(m.dir);
        }
      },
      request.body);
}

size_t FdCount(const Reply& reply) {
  if (const auto* result = std::get_if<Result>(&reply.body)) return result->fd_count;
  if (const auto* hello = std::get_if<HelloReply>(&reply.body)) return hello->root_fd_count;
  return 0;
}

absl::StatusOr<std::vector<uint8_t>> Encode(const Request& request) {
  return EncodeBody(request.tag, request.body);
}

absl::StatusOr<std::vector<uint8_t>> Encode(const Reply& reply) { return EncodeBody(reply.tag, reply.body); }

absl::StatusOr<Header> DecodeHeader(absl::Span<const uint8_t> datagram) {
  if (datagram.size() < kHeaderSize) {
    return absl::InvalidArgumentError(
        fmt::format("header: message of {} bytes is shorter than the {}-byte header", datagram.size(), kHeaderSize));
  }
  if (datagram.size() > kMaxMessageSize) {
    return absl::InvalidArgumentError(
        fmt::format("header: message of {} bytes exceeds {}", datagram.size(), kMaxMessageSize));
  }
  Header header;
  header.magic = static_cast<uint32_t>(GetLittle(datagram.data(), 4));
  header.version = static_cast<uint16_t>(GetLittle(datagram.data() + 4, 2));
  header.type = static_cast<uint16_t>(GetLittle(datagram.data() + 6, 2));
  header.tag = static_cast<uint32_t>(GetLittle(datagram.data() + 8, 4));
  header.payload_length = static_cast<uint32_t>(GetLittle(datagram.data() + 12, 4));
  if (header.magic != kMagic) {
    return absl::InvalidArgumentError(fmt::format("header.magic: {:#010x} is not {:#010x}", header.magic, kMagic));
  }
  if (header.version != kVersion) {
    return absl::InvalidArgumentError(
        fmt::format("header.version: {} is not the supported version {}", header.version, kVersion));
  }
  if (header.payload_length != datagram.size() - kHeaderSize) {
    return absl::InvalidArgumentError(fmt::format("header.payload_length: {} but the message has {} payload bytes",
                                                  header.payload_length, datagram.size() - kHeaderSize));
  }
  return header;
}

absl::StatusOr<Request> DecodeRequest(absl::Span<const uint8_t> datagram) {
  ASSIGN_OR_RETURN(Header header, DecodeHeader(datagram));
  if (!IsRequestType(header.type)) {
    return absl::InvalidArgumentError(fmt::format("header.type: {:#06x} is not a request", header.type));
  }
  ASSIGN_OR_RETURN(RequestBody body, DecodeBody<RequestBody>(header.type, datagram.subspan(kHeaderSize)));
  return Request{header.tag, std::move(body)};
}

absl::StatusOr<Reply> DecodeReply(absl::Span<const uint8_t> datagram) {
  ASSIGN_OR_RETURN(Header header, DecodeHeader(datagram));
  if (IsRequestType(header.type)) {
    return absl::InvalidArgumentError(fmt::format("header.type: {:#06x} is not a reply", header.type));
  }
  ASSIGN_OR_RETURN(ReplyBody body, DecodeBody<ReplyBody>(header.type, datagram.subspan(kHeaderSize)));
  return Reply{header.tag, std::move(body)};
}

uint32_t PeekTag(absl::Span<const uint8_t> datagram) {
  if (datagram.size() < kHeaderSize || GetLittle(datagram.data(), 4) != kMagic) return 0;
  return static_cast<uint32_t>(GetLittle(datagram.data() + 8, 4));
}

Reply ErrorReply(uint32_t tag, const absl::Status& status) {
  Error error;
  uint32_t code = static_cast<uint32_t>(status.code());
  error.code = (code >= 1 && code <= 16) ? code : static_cast<uint32_t>(absl::StatusCode::kInternal);
  std::string_view message(status.message().data(), status.message().size());
  error.message = std::string(message.substr(0, kMaxErrorMessageLength));
  return Reply{tag, std::move(error)};
}

}  // namespace gofer::protocol
