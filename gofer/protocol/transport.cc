#include "gofer/protocol/transport.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <memory>
#include <utility>

#include "fmt/format.h"
#include "platform/errors.h"
#include "platform/status_macros.h"

namespace gofer::protocol {
namespace {

// Room for one SCM_RIGHTS message of kMaxFdsPerMessage fds.
constexpr size_t kControlSize = CMSG_SPACE(sizeof(int) * kMaxFdsPerMessage);

// Takes ownership of every fd in the control data, in order. Returns false
// if there was a control message other than SCM_RIGHTS (its fds, if any
// kind carried them, are still taken so they get closed).
bool TakeFds(struct msghdr& message, std::vector<platform::UniqueFd>& fds) {
  bool only_rights = true;
  for (struct cmsghdr* header = CMSG_FIRSTHDR(&message); header != nullptr;
       header = CMSG_NXTHDR(&message, header)) {
    if (header->cmsg_level != SOL_SOCKET || header->cmsg_type != SCM_RIGHTS) {
      only_rights = false;
      continue;
    }
    if (header->cmsg_len < CMSG_LEN(0)) continue;
    size_t count = (header->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < count; ++i) {
      int fd;
      memcpy(&fd, CMSG_DATA(header) + i * sizeof(int), sizeof(int));
      fds.emplace_back(fd);
    }
  }
  return only_rights;
}

template <typename Message>
absl::Status SendMessage(int socket, const Message& message, absl::Span<const int> fds) {
  if (fds.size() != FdCount(message)) {
    return absl::InvalidArgumentError(fmt::format("{}: {} fds given, the message declares {}",
                                                  MessageName(TypeOf(message.body)), fds.size(),
                                                  FdCount(message)));
  }
  ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, Encode(message));
  return SendDatagram(socket, bytes, fds);
}

template <typename Message>
absl::StatusOr<Incoming<Message>> CheckFds(absl::StatusOr<Message> message,
                                           std::vector<platform::UniqueFd> fds) {
  // On every error path `fds` is destroyed here, closing what arrived.
  RETURN_IF_ERROR(message.status());
  if (fds.size() != FdCount(*message)) {
    return absl::InvalidArgumentError(fmt::format("{}: {} fds arrived, the message declares {}",
                                                  MessageName(TypeOf(message->body)), fds.size(),
                                                  FdCount(*message)));
  }
  return Incoming<Message>{*std::move(message), std::move(fds)};
}

}  // namespace

absl::Status SendDatagram(int socket, absl::Span<const uint8_t> bytes, absl::Span<const int> fds) {
  if (bytes.size() > kMaxMessageSize) {
    return absl::InvalidArgumentError(fmt::format("message of {} bytes exceeds {}", bytes.size(), kMaxMessageSize));
  }
  if (fds.size() > kMaxFdsPerMessage) {
    return absl::InvalidArgumentError(fmt::format("{} fds exceed {} per message", fds.size(), kMaxFdsPerMessage));
  }
  struct iovec iov = {const_cast<uint8_t*>(bytes.data()), bytes.size()};
  alignas(struct cmsghdr) char control[kControlSize] = {};
  struct msghdr message = {};
  message.msg_iov = &iov;
  message.msg_iovlen = 1;
  if (!fds.empty()) {
    message.msg_control = control;
    message.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
    struct cmsghdr* header = CMSG_FIRSTHDR(&message);
    header->cmsg_level = SOL_SOCKET;
    header->cmsg_type = SCM_RIGHTS;
    header->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
    memcpy(CMSG_DATA(header), fds.data(), sizeof(int) * fds.size());
  }
  while (sendmsg(socket, &message, MSG_NOSIGNAL) < 0) {
    if (errno != EINTR) return platform::LastError("sending a gofer message");
  }
  return absl::OkStatus();
}

absl::StatusOr<Datagram> ReceiveDatagram(int socket, size_t max_fds) {
  // One receive buffer per thread, reused: a message is copied out at its
  // own size instead of a fresh kMaxMessageSize vector zeroed per message.
  thread_local std::unique_ptr<uint8_t[]> buffer(new uint8_t[kMaxMessageSize]);
  Datagram datagram;
  struct iovec iov = {buffer.get(), kMaxMessageSize};
  alignas(struct cmsghdr) char control[kControlSize] = {};
  struct msghdr message = {};
  message.msg_iov = &iov;
  message.msg_iovlen = 1;
  message.msg_control = control;
  message.msg_controllen = sizeof(control);
  ssize_t got;
  while ((got = recvmsg(socket, &message, MSG_CMSG_CLOEXEC)) < 0) {
    if (errno != EINTR) return platform::LastError("receiving a gofer message");
  }
  // Own the fds first, so every return below closes them.
  bool only_rights = TakeFds(message, datagram.fds);
  if (message.msg_flags & MSG_TRUNC) {
    return absl::InvalidArgumentError(fmt::format("message exceeds {} bytes (truncated)", kMaxMessageSize));
  }
  if (message.msg_flags & MSG_CTRUNC) {
    return absl::InvalidArgumentError(fmt::format("control data truncated: more than {} fds", kMaxFdsPerMessage));
  }
  if (!only_rights) return absl::InvalidArgumentError("unexpected control message (not SCM_RIGHTS)");
  if (datagram.fds.size() > max_fds) {
    return absl::InvalidArgumentError(fmt::format("{} fds exceed {} per message", datagram.fds.size(), max_fds));
  }
  if (got == 0 && datagram.fds.empty()) return absl::UnavailableError("the peer closed the connection");
  datagram.bytes.assign(buffer.get(), buffer.get() + got);
  return datagram;
}

absl::Status SendRequest(int socket, const Request& request, absl::Span<const int> fds) {
  return SendMessage(socket, request, fds);
}

absl::Status SendReply(int socket, const Reply& reply, absl::Span<const int> fds) {
  return SendMessage(socket, reply, fds);
}

absl::StatusOr<Incoming<Request>> DecodeIncomingRequest(absl::Span<const uint8_t> bytes,
                                                        std::vector<platform::UniqueFd> fds) {
  return CheckFds(DecodeRequest(bytes), std::move(fds));
}

absl::StatusOr<Incoming<Reply>> DecodeIncomingReply(absl::Span<const uint8_t> bytes,
                                                    std::vector<platform::UniqueFd> fds) {
  return CheckFds(DecodeReply(bytes), std::move(fds));
}

absl::StatusOr<Incoming<Request>> ReceiveRequest(int socket) {
  ASSIGN_OR_RETURN(Datagram datagram, ReceiveDatagram(socket));
  return DecodeIncomingRequest(datagram.bytes, std::move(datagram.fds));
}

absl::StatusOr<Incoming<Reply>> ReceiveReply(int socket) {
  ASSIGN_OR_RETURN(Datagram datagram, ReceiveDatagram(socket));
  return DecodeIncomingReply(datagram.bytes, std::move(datagram.fds));
}

}  // namespace gofer::protocol
