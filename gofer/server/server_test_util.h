// Test helpers: a real Server on a socketpair, serving a temp directory as
// its root, and a client speaking the protocol codec.
#ifndef RUNSC_GOFER_SERVER_SERVER_TEST_UTIL_H_
#define RUNSC_GOFER_SERVER_SERVER_TEST_UTIL_H_

#include <fcntl.h>
#include <ftw.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "gofer/protocol/transport.h"
#include "gofer/protocol/wire.h"
#include "gofer/server/server.h"
#include "gtest/gtest.h"
#include "platform/unique_fd.h"

namespace gofer::testing {

// A temp directory, removed (recursively) on destruction.
class TempDir {
 public:
  TempDir() {
    char name[] = "/tmp/gofer_test.XXXXXX";
    path_ = mkdtemp(name);
    chmod(path_.c_str(), 0755);
  }
  ~TempDir() {
    nftw(path_.c_str(), [](const char* p, const struct stat*, int, struct FTW*) { return remove(p); }, 16,
         FTW_DEPTH | FTW_PHYS);
  }
  const std::string& path() const { return path_; }
  // The host path of a container path ("/a/b" -> "<tmp>/a/b").
  std::string Host(const std::string& container_path) const { return path_ + container_path; }

 private:
  std::string path_;
};

// Root's credentials: every capability, umask 0.
inline protocol::Creds RootCreds() { return protocol::Creds{0, 0, 0, ~0ULL, {}}; }
// An unprivileged caller.
inline protocol::Creds UserCreds(uint32_t id = 1000, uint64_t caps = 0) {
  return protocol::Creds{id, id, 022, caps, {}};
}
inline uint64_t Cap(int cap) { return 1ULL << cap; }

// What a request got back.
struct Got {
  int64_t value = 0;
  platform::UniqueFd fd;
};

// A Server serving `root` on one end of a socketpair, in a thread.
class ServerHarness {
 public:
  explicit ServerHarness(const TempDir& root, ServerOptions options = {}) {
    root_fd_.reset(open(root.path().c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    int pair[2];
    EXPECT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair), 0);
    client_.reset(pair[0]);
    server_end_.reset(pair[1]);
    options.root_fd = root_fd_.get();
    server_ = std::make_unique<Server>(std::move(options));
    thread_ = std::thread([this] { status_ = server_->Serve(server_end_.get()); });
  }
  ~ServerHarness() { Finish().IgnoreError(); }

  int client() const { return client_.get(); }

  // Closes the client end and waits for Serve; returns its status.
  absl::Status Finish() {
    client_.reset();
    if (thread_.joinable()) thread_.join();
    return status_;
  }

  // Sends Hello and expects HelloReply 1.
  void Greet() {
    ASSERT_TRUE(protocol::SendRequest(client(), {next_tag_++, protocol::Hello{1, 1}}, {}).ok());
    absl::StatusOr<protocol::Incoming<protocol::Reply>> reply = protocol::ReceiveReply(client());
    ASSERT_TRUE(reply.ok()) << reply.status();
    ASSERT_TRUE(std::holds_alternative<protocol::HelloReply>(reply->message.body));
  }

  // Sends one request and returns its Result (value -1000 and a test
  // failure when the reply is not a Result with the same tag).
  Got Do(protocol::RequestBody body, std::vector<int> fds = {}) {
    uint32_t tag = next_tag_++;
    absl::Status sent = protocol::SendRequest(client(), {tag, std::move(body)}, fds);
    if (!sent.ok()) {
      ADD_FAILURE() << sent;
      return Got{-1000, {}};
    }
    absl::StatusOr<protocol::Incoming<protocol::Reply>> reply = protocol::ReceiveReply(client());
    if (!reply.ok()) {
      ADD_FAILURE() << reply.status();
      return Got{-1000, {}};
    }
    const auto* result = std::get_if<protocol::Result>(&reply->message.body);
    EXPECT_EQ(reply->message.tag, tag);
    if (result == nullptr) {
      ADD_FAILURE() << "not a Result";
      return Got{-1000, {}};
    }
    Got got{result->value, {}};
    if (!reply->fds.empty()) got.fd = std::move(reply->fds[0]);
    return got;
  }

 private:
  platform::UniqueFd root_fd_, client_, server_end_;
  std::unique_ptr<Server> server_;
  std::thread thread_;
  absl::Status status_;
  uint32_t next_tag_ = 1;
};

}  // namespace gofer::testing

#endif  // RUNSC_GOFER_SERVER_SERVER_TEST_UTIL_H_
