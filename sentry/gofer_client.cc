#include "sentry/gofer_client.h"

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>

#include <utility>

#include "fmt/format.h"
#include "platform/status_macros.h"
#include "spdlog/spdlog.h"

namespace sentry {
namespace {

namespace protocol = gofer::protocol;

constexpr uint32_t kHelloTag = 1;

absl::Status WaitReadable(int socket, std::chrono::milliseconds timeout) {
  pollfd poller{socket, POLLIN, 0};
  int ready;
  while ((ready = poll(&poller, 1, static_cast<int>(timeout.count()))) < 0 && errno == EINTR) {
  }
  if (ready == 0) return absl::DeadlineExceededError("the gofer did not answer the handshake in time");
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<GoferClient>> GoferClient::Connect(platform::UniqueFd socket,
                                                                  FailureCallback on_failure,
                                                                  std::chrono::milliseconds handshake_timeout) {
  if (!socket.valid()) return absl::InvalidArgumentError("gofer: no socket");
  std::unique_ptr<GoferClient> client(new GoferClient(std::move(socket), std::move(on_failure)));
  RETURN_IF_ERROR_CTX(client->Handshake(handshake_timeout), "gofer handshake");
  return client;
}

GoferClient::GoferClient(platform::UniqueFd socket, FailureCallback on_failure)
    : socket_(std::move(socket)), on_failure_(std::move(on_failure)) {}

GoferClient::~GoferClient() {
  {
    // Closing is not a failure: the callback does not run.
    std::lock_guard<std::mutex> lock(mutex_);
    if (failure_.ok()) failure_ = absl::CancelledError("the gofer connection was closed");
    failure_handled_ = true;  // no callback runs for a close
    failure_handled_cv_.notify_all();
    for (auto& [tag, pending] : pending_) {
      pending->reply = failure_;
      pending->replied.notify_one();
    }
    pending_.clear();
  }
  // Wakes the reader and the watcher (recvmsg returns 0, poll POLLHUP)
  // without closing the fd under them.
  shutdown(socket_.get(), SHUT_RDWR);
  if (watcher_.joinable()) watcher_.join();
}

absl::Status GoferClient::Handshake(std::chrono::milliseconds timeout) {
  protocol::Request hello{kHelloTag, protocol::Hello{protocol::kVersion, protocol::kVersion}};
  RETURN_IF_ERROR(protocol::SendRequest(socket_.get(), hello, {}));
  RETURN_IF_ERROR(WaitReadable(socket_.get(), timeout));
  ASSIGN_OR_RETURN(protocol::Incoming<protocol::Reply> reply, protocol::ReceiveReply(socket_.get()));
  if (const auto* error = std::get_if<protocol::Error>(&reply.message.body)) {
    return absl::FailedPreconditionError(fmt::format("the gofer refused: {}", error->message));
  }
  const auto* answer = std::get_if<protocol::HelloReply>(&reply.message.body);
  if (answer == nullptr || reply.message.tag != kHelloTag || answer->version != protocol::kVersion) {
    return absl::FailedPreconditionError("the gofer did not answer Hello with HelloReply{1}");
  }
  if (answer->root_fd_count == 1 && !reply.fds.empty()) donated_root_ = std::move(reply.fds[0]);
  return absl::OkStatus();
}

void GoferClient::Start() {
  if (!watcher_.joinable()) watcher_ = std::thread(&GoferClient::Watch, this);
}

void GoferClient::Watch() {
  // No POLLIN: replies are the callers' to read, and their arrival does not
  // wake this thread. POLLHUP (and POLLERR) come regardless.
  pollfd poller{socket_.get(), 0, 0};
  while (poll(&poller, 1, -1) < 0 && errno == EINTR) {
  }
  Fail(absl::UnavailableError("the gofer hung up"));  // a no-op once closed or failed
}

absl::Status GoferClient::failure() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return failure_;
}

absl::StatusOr<uint32_t> GoferClient::Register(Pending* pending) {
  std::unique_lock<std::mutex> lock(mutex_);
  if (!failure_.ok()) {
    // Another thread's Fail may still be running the callback: not before it has.
    failure_handled_cv_.wait(lock, [this] { return failure_handled_; });
    return failure_;
  }
  // Tags wrap around; 0 is reserved and a tag still outstanding is skipped.
  while (next_tag_ == 0 || pending_.count(next_tag_) > 0) ++next_tag_;
  uint32_t tag = next_tag_++;
  pending_[tag] = pending;
  return tag;
}

void GoferClient::Unregister(uint32_t tag) {
  std::lock_guard<std::mutex> lock(mutex_);
  pending_.erase(tag);
}

absl::StatusOr<protocol::Incoming<protocol::Reply>> GoferClient::Call(const protocol::Request& request,
                                                                      absl::Span<const int> fds) {
  Pending pending;
  ASSIGN_OR_RETURN(uint32_t tag, Register(&pending));
  protocol::Request tagged = request;
  tagged.tag = tag;
  absl::StatusOr<std::vector<uint8_t>> bytes = protocol::Encode(tagged);
  if (bytes.ok() && fds.size() != protocol::FdCount(tagged)) {
    bytes = absl::InvalidArgumentError(fmt::format("{} fds given, the request declares {}", fds.size(),
                                                   protocol::FdCount(tagged)));
  }
  if (!bytes.ok()) {
    Unregister(tag);
    return bytes.status();  // nothing was sent: the connection is fine
  }
  if (absl::Status sent = protocol::SendDatagram(socket_.get(), *bytes, fds); !sent.ok()) {
    Fail(platform::Annotate(sent, "sending to the gofer"));
  }
  std::unique_lock<std::mutex> lock(mutex_);
  AwaitReply(pending, lock);
  return std::move(*pending.reply);
}

void GoferClient::AwaitReply(Pending& pending, std::unique_lock<std::mutex>& lock) {
  while (!pending.reply.has_value()) {
    if (reading_) {
      pending.waiting = true;
      pending.replied.wait(lock);
      pending.waiting = false;
      continue;
    }
    reading_ = true;
    lock.unlock();
    ReadOne();
    lock.lock();
    reading_ = false;
  }
  // Our reply is here (delivered by us or another reader): if we were the
  // reader, or the reader left while we were being woken, someone still
  // waiting must read on.
  if (!reading_) PassReaderRole();
}

void GoferClient::ReadOne() {
  absl::StatusOr<protocol::Incoming<protocol::Reply>> reply = protocol::ReceiveReply(socket_.get());
  absl::Status status = reply.ok() ? Deliver(*std::move(reply)) : reply.status();
  if (!status.ok()) Fail(status);
}

void GoferClient::PassReaderRole() {
  for (auto& [tag, pending] : pending_) {
    if (pending->waiting) {
      pending->replied.notify_one();
      return;
    }
  }
}

absl::Status GoferClient::Deliver(protocol::Incoming<protocol::Reply> reply) {
  if (const auto* error = std::get_if<protocol::Error>(&reply.message.body)) {
    return absl::InternalError(fmt::format("the gofer sent Error {} (tag {}): {}", error->code, reply.message.tag,
                                           error->message));
  }
  if (!std::holds_alternative<protocol::Result>(reply.message.body)) {
    return absl::InternalError("the gofer sent a second HelloReply");
  }
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = pending_.find(reply.message.tag);
  if (it == pending_.end()) {
    return absl::InternalError(fmt::format("the gofer answered tag {}, which nobody asked", reply.message.tag));
  }
  it->second->reply = std::move(reply);
  it->second->replied.notify_one();
  pending_.erase(it);
  return absl::OkStatus();
}

void GoferClient::Fail(const absl::Status& why) {
  {
    // From here on Register refuses: no call is added to pending_.
    std::lock_guard<std::mutex> lock(mutex_);
    if (!failure_.ok()) return;
    failure_ = absl::UnavailableError(fmt::format("the gofer connection is dead: {}", std::string(why.message())));
  }
  spdlog::error("sentry: {}", std::string(why.message()));
  shutdown(socket_.get(), SHUT_RDWR);
  // Before the waiting calls are answered: the container is being stopped
  // by the time any of them returns EIO.
  if (on_failure_) on_failure_(why);
  std::lock_guard<std::mutex> lock(mutex_);
  failure_handled_ = true;
  failure_handled_cv_.notify_all();
  for (auto& [tag, pending] : pending_) {
    pending->reply = failure_;
    pending->replied.notify_one();
  }
  pending_.clear();
}

}  // namespace sentry
