// libFuzzer target: the /dev/fuse request decoder must never crash, hang or
// read out of bounds on any input; whatever fails with a readable unique id
// is answerable, and encoding that error reply must be well-formed.
//   gofer_fuse_wire_fuzz -max_total_time=60 gofer/vproc/corpus
#include <cstdint>
#include <cstdlib>

#include "gofer/vproc/fuse_wire.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::Span<const uint8_t> bytes(data, size);
  auto request = gofer::vproc::DecodeRequest(bytes);
  if (!request.ok()) {
    if (auto unique = gofer::vproc::PeekUnique(bytes)) {
      auto reply = gofer::vproc::EncodeError(*unique, 5);
      if (reply.size() != sizeof(fuse_out_header)) abort();
    }
    return 0;
  }
  if (request->unique != 0 && size < sizeof(fuse_in_header)) abort();
  if (auto* lookup = std::get_if<gofer::vproc::LookupIn>(&request->body)) {
    if (lookup->name.empty() || lookup->name.size() > 255) abort();
  }
  return 0;
}
