// libFuzzer target: the decoders must never crash, hang or leak on any
// input, and whatever decodes must re-encode to the same bytes.
//   gofer_wire_fuzz -max_total_time=600 gofer/protocol/corpus
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "gofer/protocol/wire.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::Span<const uint8_t> bytes(data, size);
  (void)gofer::protocol::PeekTag(bytes);
  if (auto request = gofer::protocol::DecodeRequest(bytes); request.ok()) {
    auto again = gofer::protocol::Encode(*request);
    if (!again.ok() || *again != std::vector<uint8_t>(data, data + size)) abort();
  }
  if (auto reply = gofer::protocol::DecodeReply(bytes); reply.ok()) {
    auto again = gofer::protocol::Encode(*reply);
    if (!again.ok() || *again != std::vector<uint8_t>(data, data + size)) abort();
  }
  return 0;
}
