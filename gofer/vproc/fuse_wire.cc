// Decoding of /dev/fuse requests and encoding of replies (see fuse_wire.h).
#include "gofer/vproc/fuse_wire.h"

#include <string.h>

#include <cstddef>

namespace gofer::vproc {
namespace {

// Copies a struct from the front of `body` (zero-filled if `body` is shorter
// than T but at least `min_size`); nullopt if shorter than `min_size`.
template <typename T>
std::optional<T> ReadStruct(absl::Span<const uint8_t> body, size_t min_size = sizeof(T)) {
  if (body.size() < min_size) return std::nullopt;
  T out;
  memset(&out, 0, sizeof(out));
  memcpy(&out, body.data(), body.size() < sizeof(T) ? body.size() : sizeof(T));
  return out;
}

absl::Status Malformed(uint32_t opcode, const char* what) {
  return absl::InvalidArgumentError(std::string("fuse opcode ") + std::to_string(opcode) + ": " + what);
}

// A name: NUL-terminated within `body`, non-empty, at most NAME_MAX bytes.
absl::StatusOr<std::string> ReadName(uint32_t opcode, absl::Span<const uint8_t> body) {
  const void* nul = memchr(body.data(), '\0', body.size());
  if (nul == nullptr) return Malformed(opcode, "name without NUL");
  size_t length = static_cast<const uint8_t*>(nul) - body.data();
  if (length == 0 || length > 255) return Malformed(opcode, "bad name length");
  return std::string(reinterpret_cast<const char*>(body.data()), length);
}

absl::StatusOr<RequestBody> DecodeBody(uint32_t opcode, absl::Span<const uint8_t> body) {
  switch (opcode) {
    case FUSE_INIT: {
      // fuse_init_in grew flags2 and unused[] in 7.36: the first 16 bytes suffice.
      auto in = ReadStruct<fuse_init_in>(body, 16);
      if (!in) return Malformed(opcode, "short init");
      return InitIn{in->major, in->minor, in->max_readahead, in->flags};
    }
    case FUSE_LOOKUP: {
      auto name = ReadName(opcode, body);
      if (!name.ok()) return name.status();
      return LookupIn{*std::move(name)};
    }
    case FUSE_GETATTR: {
      auto in = ReadStruct<fuse_getattr_in>(body);
      if (!in) return Malformed(opcode, "short getattr");
      return GetattrIn{(in->getattr_flags & FUSE_GETATTR_FH) != 0};
    }
    case FUSE_OPEN:
    case FUSE_OPENDIR: {
      auto in = ReadStruct<fuse_open_in>(body);
      if (!in) return Malformed(opcode, "short open");
      return OpenIn{in->flags};
    }
    case FUSE_READ:
    case FUSE_READDIR: {
      // fuse_read_in before 7.9 was 24 bytes (fh, offset, size, padding).
      auto in = ReadStruct<fuse_read_in>(body, 24);
      if (!in) return Malformed(opcode, "short read");
      return ReadIn{in->fh, in->offset, in->size};
    }
    case FUSE_RELEASE:
    case FUSE_RELEASEDIR: {
      auto in = ReadStruct<fuse_release_in>(body);
      if (!in) return Malformed(opcode, "short release");
      return ReleaseIn{in->fh};
    }
    case FUSE_FLUSH: {
      auto in = ReadStruct<fuse_flush_in>(body);
      if (!in) return Malformed(opcode, "short flush");
      return FlushIn{in->fh};
    }
    case FUSE_FORGET:
      if (!ReadStruct<fuse_forget_in>(body)) return Malformed(opcode, "short forget");
      return ForgetIn{1};
    case FUSE_BATCH_FORGET: {
      auto in = ReadStruct<fuse_batch_forget_in>(body);
      if (!in) return Malformed(opcode, "short batch forget");
      // count entries of 16 bytes follow; compare without multiplying (overflow).
      size_t room = (body.size() - sizeof(fuse_batch_forget_in)) / sizeof(fuse_forget_one);
      if (in->count > room) return Malformed(opcode, "batch forget count past the request");
      return ForgetIn{in->count};
    }
    case FUSE_INTERRUPT: {
      auto in = ReadStruct<fuse_interrupt_in>(body);
      if (!in) return Malformed(opcode, "short interrupt");
      return InterruptIn{in->unique};
    }
    case FUSE_STATFS:
    case FUSE_DESTROY:
      return EmptyIn{};
    default:
      return UnknownIn{};
  }
}

}  // namespace

bool ExpectsReply(uint32_t opcode) {
  return opcode != FUSE_FORGET && opcode != FUSE_BATCH_FORGET && opcode != FUSE_INTERRUPT;
}

std::optional<uint64_t> PeekUnique(absl::Span<const uint8_t> bytes) {
  constexpr size_t kNeeded = offsetof(fuse_in_header, unique) + sizeof(uint64_t);
  if (bytes.size() < kNeeded) return std::nullopt;
  uint32_t opcode;
  uint64_t unique;
  memcpy(&opcode, bytes.data() + offsetof(fuse_in_header, opcode), sizeof(opcode));
  memcpy(&unique, bytes.data() + offsetof(fuse_in_header, unique), sizeof(unique));
  if (unique == 0 || !ExpectsReply(opcode)) return std::nullopt;
  return unique;
}

absl::StatusOr<Request> DecodeRequest(absl::Span<const uint8_t> bytes) {
  if (bytes.size() < sizeof(fuse_in_header)) return absl::InvalidArgumentError("fuse request shorter than its header");
  fuse_in_header header;
  memcpy(&header, bytes.data(), sizeof(header));
  if (header.len != bytes.size()) return absl::InvalidArgumentError("fuse request length disagrees with the read");
  // Extensions (security context, supplementary groups) trail the body; we
  // negotiate none, so the kernel sends none: drop them after a bounds check.
  size_t extensions = static_cast<size_t>(header.total_extlen) * 8;
  size_t body_size = bytes.size() - sizeof(header);
  if (extensions > body_size) return absl::InvalidArgumentError("fuse extensions past the request");
  absl::Span<const uint8_t> body = bytes.subspan(sizeof(header), body_size - extensions);
  absl::StatusOr<RequestBody> decoded = DecodeBody(header.opcode, body);
  if (!decoded.ok()) return decoded.status();
  Request request;
  request.opcode = header.opcode;
  request.unique = header.unique;
  request.nodeid = header.nodeid;
  request.uid = header.uid;
  request.gid = header.gid;
  request.pid = header.pid;
  request.body = *std::move(decoded);
  return request;
}

std::vector<uint8_t> EncodeReply(uint64_t unique, absl::Span<const uint8_t> payload) {
  fuse_out_header header{};
  header.len = static_cast<uint32_t>(sizeof(header) + payload.size());
  header.error = 0;
  header.unique = unique;
  std::vector<uint8_t> out(sizeof(header) + payload.size());
  memcpy(out.data(), &header, sizeof(header));
  if (!payload.empty()) memcpy(out.data() + sizeof(header), payload.data(), payload.size());
  return out;
}

std::vector<uint8_t> EncodeError(uint64_t unique, int error) {
  fuse_out_header header{};
  header.len = sizeof(header);
  header.error = -error;
  header.unique = unique;
  std::vector<uint8_t> out(sizeof(header));
  memcpy(out.data(), &header, sizeof(header));
  return out;
}

void AppendDirent(std::vector<uint8_t>& out, uint64_t ino, uint64_t next_offset, uint32_t type,
                  const std::string& name) {
  fuse_dirent dirent{};
  dirent.ino = ino;
  dirent.off = next_offset;
  dirent.namelen = static_cast<uint32_t>(name.size());
  dirent.type = type;
  const size_t start = out.size();
  out.resize(start + FUSE_DIRENT_SIZE(&dirent), 0);
  memcpy(out.data() + start, &dirent, FUSE_NAME_OFFSET);
  memcpy(out.data() + start + FUSE_NAME_OFFSET, name.data(), name.size());
}

}  // namespace gofer::vproc
