// The sentry's end of the gofer protocol (gofer/protocol/PROTOCOL.md): one
// SEQPACKET connection shared by every handler thread.
//
// Design: callers send their request themselves (a SEQPACKET sendmsg is
// atomic, so concurrent senders never interleave) after registering a tag;
// one reader thread receives every reply and hands it to the caller waiting
// on its tag. Requests are therefore pipelined and may be answered out of
// order, as the protocol allows.
//
// Fail closed (DESIGN.md): when the gofer is gone (EOF), or sends a reply
// that does not decode, an Error, or a reply with a tag nobody waits for,
// the connection is dead for good: every outstanding and every later Call
// fails with Unavailable and the failure callback runs once (the sentry then
// stops the container).
#ifndef RUNSC_SENTRY_GOFER_CLIENT_H_
#define RUNSC_SENTRY_GOFER_CLIENT_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "gofer/protocol/transport.h"
#include "gofer/protocol/wire.h"
#include "platform/unique_fd.h"

namespace sentry {

class GoferClient {
 public:
  // Called once, from whichever thread found the connection dead, with why.
  using FailureCallback = std::function<void(const absl::Status& why)>;

  // Takes the connected socket and does the Hello handshake (bounded by
  // `handshake_timeout`). The reader thread starts with Start(), so that it
  // can be created after the sentry confined itself. Errors: the gofer
  // answered something other than HelloReply{kVersion}, or nothing.
  static absl::StatusOr<std::unique_ptr<GoferClient>> Connect(
      platform::UniqueFd socket, FailureCallback on_failure,
      std::chrono::milliseconds handshake_timeout = std::chrono::seconds(10));

  // Shuts the connection down and joins the reader. Calls still waiting fail.
  ~GoferClient();
  GoferClient(const GoferClient&) = delete;
  GoferClient& operator=(const GoferClient&) = delete;

  // Starts the reader thread. Once only.
  void Start();

  // Sends `request` (its tag is ignored: the client picks one unique among
  // the outstanding requests) with `fds` (as many as FdCount declares) and
  // waits for its reply, which is a Result (a HelloReply or Error never
  // reaches the caller: they kill the connection). Thread-safe.
  // Errors: InvalidArgument when the request does not encode (nothing was
  // sent; the connection lives on); Unavailable once the connection is dead.
  absl::StatusOr<gofer::protocol::Incoming<gofer::protocol::Reply>> Call(
      const gofer::protocol::Request& request, absl::Span<const int> fds);

  // The reason the connection died, or OK while it lives.
  absl::Status failure() const;

 private:
  // A caller waiting for its reply.
  struct Pending {
    std::optional<absl::StatusOr<gofer::protocol::Incoming<gofer::protocol::Reply>>> reply;
    std::condition_variable replied;  // this call's own: a reply wakes only its caller
  };

  GoferClient(platform::UniqueFd socket, FailureCallback on_failure);
  absl::Status Handshake(std::chrono::milliseconds timeout);
  // Registers `pending` under a fresh tag; Unavailable once dead.
  absl::StatusOr<uint32_t> Register(Pending* pending);
  void Unregister(uint32_t tag);
  // The reader thread: delivers replies until the connection dies.
  void ReadReplies();
  // Hands one received reply to its caller, or returns why it cannot.
  absl::Status Deliver(gofer::protocol::Incoming<gofer::protocol::Reply> reply);
  // Marks the connection dead (first reason wins), shuts the socket down,
  // runs the callback once and then fails every pending call.
  void Fail(const absl::Status& why);

  const platform::UniqueFd socket_;
  const FailureCallback on_failure_;
  std::thread reader_;

  mutable std::mutex mutex_;  // guards everything below
  std::map<uint32_t, Pending*> pending_;
  uint32_t next_tag_ = 1;
  absl::Status failure_;
};

}  // namespace sentry

#endif  // RUNSC_SENTRY_GOFER_CLIENT_H_
