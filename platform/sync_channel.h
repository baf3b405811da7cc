// Framed JSON messages over a stream socket: how runsc create talks to the
// container init and to the sentry while they start.
#ifndef RUNSC_PLATFORM_SYNC_CHANNEL_H_
#define RUNSC_PLATFORM_SYNC_CHANNEL_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace platform {

// Largest message accepted; a bigger length prefix is refused (a peer
// cannot make us allocate without bound).
inline constexpr uint32_t kMaxSyncMessage = 16 << 20;

// Writes a 4-byte little-endian length then the JSON text.
absl::Status SendMessage(int fd, const nlohmann::json& message);

// Reads one framed message. Unavailable ("peer closed the channel") on EOF
// before any byte of the frame.
absl::StatusOr<nlohmann::json> ReceiveMessage(int fd);

}  // namespace platform

#endif  // RUNSC_PLATFORM_SYNC_CHANNEL_H_
