// The sentry's end of the gofer protocol (gofer/protocol/PROTOCOL.md): one
// SEQPACKET connection shared by every handler thread.
//
// Design: callers send their request themselves (a SEQPACKET sendmsg is
// atomic, so concurrent senders never interleave) after registering a tag,
// and receive replies themselves (leader/follower): one waiting caller at a
// time is the reader; it hands each reply that is not its own to the caller
// waiting on that tag, and once it has its own it passes the reader role
// to another waiting caller. A lone call thus sends and receives on its own
// thread, with no thread switch in the sentry (on a small VM each costs
// more than the call). Requests are pipelined and may be answered out of
// order, as the protocol allows. A watcher thread (Start) only waits for
// the connection to hang up, so a dead gofer is noticed even when idle.
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
#include "sentry/file_calls.h"

namespace sentry {

class GoferClient : public FileCalls {
 public:
  // Called once, from whichever thread found the connection dead, with why.
  using FailureCallback = std::function<void(const absl::Status& why)>;

  // Takes the connected socket and does the Hello handshake (bounded by
  // `handshake_timeout`). The watcher thread starts with Start(), so that it
  // can be created after the sentry confined itself. Errors: the gofer
  // answered something other than HelloReply{kVersion}, or nothing.
  static absl::StatusOr<std::unique_ptr<GoferClient>> Connect(
      platform::UniqueFd socket, FailureCallback on_failure,
      std::chrono::milliseconds handshake_timeout = std::chrono::seconds(10));

  // Shuts the connection down and joins the watcher. Calls still waiting fail.
  ~GoferClient();
  GoferClient(const GoferClient&) = delete;
  GoferClient& operator=(const GoferClient&) = delete;

  // Starts the watcher thread (it needs poll(2) only). Once only.
  void Start();

  // Sends `request` (its tag is ignored: the client picks one unique among
  // the outstanding requests) with `fds` (as many as FdCount declares) and
  // waits for its reply, which is a Result (a HelloReply or Error never
  // reaches the caller: they kill the connection). Thread-safe.
  // Errors: InvalidArgument when the request does not encode (nothing was
  // sent; the connection lives on); Unavailable once the connection is dead.
  absl::StatusOr<gofer::protocol::Incoming<gofer::protocol::Reply>> Call(
      const gofer::protocol::Request& request, absl::Span<const int> fds) override;

  // The root the gofer donated in the handshake (directfs), once; invalid
  // when it donated none (the strict mode, or a user-namespaced container).
  platform::UniqueFd TakeDonatedRoot() { return std::move(donated_root_); }

  // The reason the connection died, or OK while it lives.
  absl::Status failure() const;

 private:
  // A caller waiting for its reply.
  struct Pending {
    std::optional<absl::StatusOr<gofer::protocol::Incoming<gofer::protocol::Reply>>> reply;
    // This call's own: its reply, or the reader role, wakes only its caller.
    std::condition_variable replied;
    bool waiting = false;  // its caller sleeps on `replied` (may be made the reader)
  };

  GoferClient(platform::UniqueFd socket, FailureCallback on_failure);
  absl::Status Handshake(std::chrono::milliseconds timeout);
  // Registers `pending` under a fresh tag; Unavailable once dead.
  absl::StatusOr<uint32_t> Register(Pending* pending);
  void Unregister(uint32_t tag);
  // Waits for `pending`'s reply, reading replies as the reader whenever
  // nobody else is. Called and returns with `lock` (on mutex_) held.
  void AwaitReply(Pending& pending, std::unique_lock<std::mutex>& lock);
  // Receives one reply and delivers it (Fail on any error). Called by the
  // reader without mutex_.
  void ReadOne();
  // Wakes one waiting caller to become the reader, if any waits. With mutex_ held.
  void PassReaderRole();
  // The watcher thread: fails the connection when it hangs up.
  void Watch();
  // Hands one received reply to its caller, or returns why it cannot.
  absl::Status Deliver(gofer::protocol::Incoming<gofer::protocol::Reply> reply);
  // Marks the connection dead (first reason wins), shuts the socket down,
  // runs the callback once and then fails every pending call.
  void Fail(const absl::Status& why);

  const platform::UniqueFd socket_;
  const FailureCallback on_failure_;
  std::thread watcher_;
  platform::UniqueFd donated_root_;  // set by Handshake

  mutable std::mutex mutex_;  // guards everything below
  std::map<uint32_t, Pending*> pending_;
  // A caller is receiving (the reader). Invariant: while it is false, every
  // caller waiting on its condition variable has been woken (or is woken by
  // PassReaderRole) to take the role: a reply never waits with no reader.
  bool reading_ = false;
  uint32_t next_tag_ = 1;
  absl::Status failure_;
  // Set once Fail's callback has run (or, when closing, at once). Invariant:
  // no call returns the failure before it is set, so the container is being
  // stopped by the time any brokered call sees EIO; Register waits for it.
  bool failure_handled_ = false;
  std::condition_variable failure_handled_cv_;
};

}  // namespace sentry

#endif  // RUNSC_SENTRY_GOFER_CLIENT_H_
