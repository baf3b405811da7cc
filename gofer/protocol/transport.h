// Sending and receiving protocol messages with their fds over a
// SOCK_SEQPACKET unix socket (PROTOCOL.md, "Transport"): one message per
// datagram, fds as one SCM_RIGHTS control message in the same datagram.
//
// Invariant: a receive that fails never leaves a received fd open.
#ifndef RUNSC_GOFER_PROTOCOL_TRANSPORT_H_
#define RUNSC_GOFER_PROTOCOL_TRANSPORT_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "gofer/protocol/wire.h"
#include "platform/unique_fd.h"

namespace gofer::protocol {

// One datagram as received: its bytes and the fds that came with it
// (CLOEXEC), in order.
struct Datagram {
  std::vector<uint8_t> bytes;
  std::vector<platform::UniqueFd> fds;
};

// Sends `bytes` (at most kMaxMessageSize) and `fds` (at most
// kMaxFdsPerMessage) as one datagram. Retries EINTR; never raises SIGPIPE.
absl::Status SendDatagram(int socket, absl::Span<const uint8_t> bytes, absl::Span<const int> fds);

// Receives one datagram. Errors (every fd that arrived is closed first):
// Unavailable when the peer has closed the connection; InvalidArgument when
// the datagram was truncated (MSG_TRUNC: over kMaxMessageSize), its control
// data was truncated (MSG_CTRUNC: too many fds), it carried another kind
// of control message, or more than `max_fds` fds.
absl::StatusOr<Datagram> ReceiveDatagram(int socket, size_t max_fds = kMaxFdsPerMessage);

// A decoded message and exactly the fds it declares (FdCount).
template <typename Message>
struct Incoming {
  Message message;
  std::vector<platform::UniqueFd> fds;
};

// Encodes and sends; `fds.size()` must equal FdCount(message).
absl::Status SendRequest(int socket, const Request& request, absl::Span<const int> fds);
absl::Status SendReply(int socket, const Reply& reply, absl::Span<const int> fds);

// Decodes a received datagram; a decode error, or an fd count other than the
// message declares, is InvalidArgument and closes `fds`. A server answers
// such an error with ErrorReply(PeekTag(bytes), status) and closes the
// connection.
absl::StatusOr<Incoming<Request>> DecodeIncomingRequest(absl::Span<const uint8_t> bytes,
                                                        std::vector<platform::UniqueFd> fds);
absl::StatusOr<Incoming<Reply>> DecodeIncomingReply(absl::Span<const uint8_t> bytes,
                                                    std::vector<platform::UniqueFd> fds);

// ReceiveDatagram then DecodeIncoming*.
absl::StatusOr<Incoming<Request>> ReceiveRequest(int socket);
absl::StatusOr<Incoming<Reply>> ReceiveReply(int socket);

}  // namespace gofer::protocol

#endif  // RUNSC_GOFER_PROTOCOL_TRANSPORT_H_
