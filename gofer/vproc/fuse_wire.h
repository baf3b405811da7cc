// The raw /dev/fuse protocol, as much of it as the read-only vproc filesystem
// needs: bounds-checked decoding of one request (one read(2) of /dev/fuse is
// exactly one request) and encoding of replies.
//
// Why the raw protocol and not libfuse3: the filesystem is nine static
// read-only files, so the protocol subset is small (INIT, LOOKUP, GETATTR,
// OPEN, READ, RELEASE, READDIR, STATFS, FORGET); with our own loop we choose
// the threads (one) and the exact syscalls (read/write on the fd: nothing
// libfuse's loop, signal handlers or fusermount helper would add to the
// gofer's seccomp allowlist), and we add no runtime dependency to the binary.
//
// Invariant: every length comes from the reader of /dev/fuse and is treated
// as unchecked. DecodeRequest never reads outside `bytes`; a request whose
// header cannot be read has no answer, one whose body is malformed gets EIO.
#ifndef RUNSC_GOFER_VPROC_FUSE_WIRE_H_
#define RUNSC_GOFER_VPROC_FUSE_WIRE_H_

#include <linux/fuse.h>

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace gofer::vproc {

// The protocol version we speak (the kernel negotiates down to the lower).
inline constexpr uint32_t kFuseMajor = 7;
inline constexpr uint32_t kFuseMinor = 31;
// Size of the buffer for one read(2) of /dev/fuse. The kernel refuses reads
// smaller than FUSE_MIN_READ_BUFFER (8192) or than a max_write request.
inline constexpr size_t kReadBufferSize = 64 * 1024;

struct InitIn {
  uint32_t major = 0, minor = 0, max_readahead = 0, flags = 0;
};
struct LookupIn {
  std::string name;  // without its NUL
};
struct GetattrIn {
  bool on_open_file = false;  // FUSE_GETATTR_FH: the kernel asks for an open file (lseek SEEK_END)
};
struct OpenIn {
  uint32_t flags = 0;  // open(2) flags
};
struct ReadIn {  // READ and READDIR
  uint64_t fh = 0, offset = 0;
  uint32_t size = 0;
};
struct ReleaseIn {  // RELEASE, RELEASEDIR
  uint64_t fh = 0;
};
struct FlushIn {
  uint64_t fh = 0;
};
struct ForgetIn {  // FORGET and BATCH_FORGET (entries are validated, then dropped)
  uint32_t count = 1;
};
struct InterruptIn {
  uint64_t unique = 0;
};
struct EmptyIn {};  // STATFS, DESTROY, OPENDIR's flags are not needed
struct UnknownIn {};  // an opcode we do not serve: reply ENOSYS

using RequestBody = std::variant<InitIn, LookupIn, GetattrIn, OpenIn, ReadIn, ReleaseIn, FlushIn, ForgetIn,
                                 InterruptIn, EmptyIn, UnknownIn>;

// One decoded request.
struct Request {
  uint32_t opcode = 0;
  uint64_t unique = 0;
  uint64_t nodeid = 0;
  uint32_t uid = 0, gid = 0, pid = 0;
  RequestBody body;
};

// Decodes one request. InvalidArgument when the header's len disagrees with
// the bytes read or a known opcode's body is too short or malformed (then
// PeekUnique tells whether an EIO reply can be addressed).
absl::StatusOr<Request> DecodeRequest(absl::Span<const uint8_t> bytes);

// The request's unique id if the header's first fields can be read and the
// opcode is one that expects a reply (FORGET, BATCH_FORGET and INTERRUPT
// do not, nor does unique 0).
std::optional<uint64_t> PeekUnique(absl::Span<const uint8_t> bytes);

// True if `opcode` is answered (everything but FORGET, BATCH_FORGET, INTERRUPT).
bool ExpectsReply(uint32_t opcode);

// A reply: fuse_out_header{len, -errno, unique} followed by `payload`.
std::vector<uint8_t> EncodeReply(uint64_t unique, absl::Span<const uint8_t> payload);
// An error reply; `error` is a positive errno.
std::vector<uint8_t> EncodeError(uint64_t unique, int error);

// A reply whose payload is one struct from linux/fuse.h.
template <typename T>
std::vector<uint8_t> EncodeStruct(uint64_t unique, const T& out) {
  return EncodeReply(unique, absl::Span<const uint8_t>(reinterpret_cast<const uint8_t*>(&out), sizeof(out)));
}

// Appends one fuse_dirent (8-byte aligned) to `out`; `next_offset` is the
// offset a READDIR continuing after this entry passes back.
void AppendDirent(std::vector<uint8_t>& out, uint64_t ino, uint64_t next_offset, uint32_t type,
                  const std::string& name);

}  // namespace gofer::vproc

#endif  // RUNSC_GOFER_VPROC_FUSE_WIRE_H_
