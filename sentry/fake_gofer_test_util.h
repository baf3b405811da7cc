// Test-only: the gofer's end of a SEQPACKET socketpair, driven by the test.
#ifndef RUNSC_SENTRY_FAKE_GOFER_TEST_UTIL_H_
#define RUNSC_SENTRY_FAKE_GOFER_TEST_UTIL_H_

#include <poll.h>
#include <sys/socket.h>

#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "gofer/protocol/transport.h"
#include "gofer/protocol/wire.h"
#include "gtest/gtest.h"
#include "platform/unique_fd.h"
#include "sentry/gofer_client.h"

namespace sentry::testing {

namespace protocol = gofer::protocol;

// What the fake answers a request with: a reply (tag filled in) and fds.
struct FakeAnswer {
  protocol::ReplyBody body = protocol::Result{0, 0};
  std::vector<platform::UniqueFd> fds;
};

inline FakeAnswer ResultOf(int64_t value) { return FakeAnswer{protocol::Result{value, 0}, {}}; }

// The gofer side. Serve() answers every request on a thread with `answer`
// (Hello with HelloReply) and records the requests.
class FakeGofer {
 public:
  using AnswerFn = std::function<std::optional<FakeAnswer>(const protocol::Incoming<protocol::Request>&)>;

  FakeGofer() {
    int fds[2];
    EXPECT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds), 0);
    client_end_.reset(fds[0]);
    server_.reset(fds[1]);
  }
  ~FakeGofer() {
    Close();
    if (thread_.joinable()) thread_.join();
  }

  // The sentry's end, for GoferClient::Connect.
  platform::UniqueFd TakeClientEnd() { return std::move(client_end_); }
  int server() const { return server_.get(); }

  // Answers requests with `answer` (nullopt: no reply) until the client
  // hangs up or Close().
  void Serve(AnswerFn answer) {
    thread_ = std::thread([this, answer] {
      while (true) {
        absl::StatusOr<protocol::Incoming<protocol::Request>> request = protocol::ReceiveRequest(server_.get());
        if (!request.ok()) return;
        if (std::holds_alternative<protocol::Hello>(request->message.body)) {
          Send(request->message.tag, FakeAnswer{protocol::HelloReply{}, {}});
          continue;
        }
        std::optional<FakeAnswer> reply = answer(*request);
        {
          std::lock_guard<std::mutex> lock(mutex_);
          requests_.push_back(request->message);
          request_fds_.push_back(request->fds.size());
        }
        if (reply.has_value()) Send(request->message.tag, std::move(*reply));
      }
    });
  }

  // Sends `answer` for `tag`.
  void Send(uint32_t tag, FakeAnswer answer) {
    std::vector<int> fds;
    for (const platform::UniqueFd& fd : answer.fds) fds.push_back(fd.get());
    EXPECT_TRUE(protocol::SendReply(server_.get(), protocol::Reply{tag, std::move(answer.body)}, fds).ok());
  }

  // Hangs up: the client sees EOF.
  void Close() { shutdown(server_.get(), SHUT_RDWR); }

  std::vector<protocol::Request> requests() {
    std::lock_guard<std::mutex> lock(mutex_);
    return requests_;
  }
  std::vector<size_t> request_fds() {
    std::lock_guard<std::mutex> lock(mutex_);
    return request_fds_;
  }

 private:
  platform::UniqueFd client_end_;
  platform::UniqueFd server_;
  std::thread thread_;
  std::mutex mutex_;
  std::vector<protocol::Request> requests_;
  std::vector<size_t> request_fds_;
};

}  // namespace sentry::testing

#endif  // RUNSC_SENTRY_FAKE_GOFER_TEST_UTIL_H_
