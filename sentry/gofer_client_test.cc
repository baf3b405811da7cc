#include "sentry/gofer_client.h"

#include <errno.h>
#include <sys/socket.h>

#include <atomic>
#include <set>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "platform/status_matchers.h"
#include "sentry/fake_gofer_test_util.h"

namespace sentry {
namespace {

using ::platform::testing::IsOk;
using ::platform::testing::StatusIs;
using ::testing::HasSubstr;
using testing::FakeGofer;
using testing::ResultOf;
namespace protocol = gofer::protocol;

protocol::Request MkdirRequest(uint32_t mode) {
  return protocol::Request{0, protocol::Mkdirat{protocol::Creds{}, protocol::Dir{}, "/dir", mode}};
}

// Counts the failure callback's runs.
struct Failures {
  std::atomic<int> count{0};
  GoferClient::FailureCallback Callback() {
    return [this](const absl::Status&) { ++count; };
  }
};

// A connected client; the fake answered Hello from a queued reply, so the
// test drives the server end by hand (its first request is the Hello).
std::unique_ptr<GoferClient> ConnectByHand(FakeGofer& gofer, Failures& failures) {
  gofer.Send(1, testing::FakeAnswer{protocol::HelloReply{}, {}});
  absl::StatusOr<std::unique_ptr<GoferClient>> client = GoferClient::Connect(gofer.TakeClientEnd(), failures.Callback());
  EXPECT_THAT(client, IsOk());
  absl::StatusOr<protocol::Incoming<protocol::Request>> hello = protocol::ReceiveRequest(gofer.server());
  EXPECT_TRUE(hello.ok() && std::holds_alternative<protocol::Hello>(hello->message.body));
  if (!client.ok()) return nullptr;
  (*client)->Start();
  return std::move(*client);
}

TEST(GoferClientTest, HandshakesThenCalls) {
  FakeGofer gofer;
  gofer.Serve([](const auto&) { return ResultOf(42); });
  Failures failures;
  absl::StatusOr<std::unique_ptr<GoferClient>> client = GoferClient::Connect(gofer.TakeClientEnd(), failures.Callback());
  ASSERT_THAT(client, IsOk());
  (*client)->Start();
  auto reply = (*client)->Call(MkdirRequest(0700), {});
  ASSERT_THAT(reply, IsOk());
  EXPECT_EQ(std::get<protocol::Result>(reply->message.body).value, 42);
  ASSERT_EQ(gofer.requests().size(), 1u);
  EXPECT_NE(gofer.requests()[0].tag, 0u);
  client->reset();
  EXPECT_EQ(failures.count, 0) << "closing the client is not a failure";
}

TEST(GoferClientTest, EightThreadsAtOnceGetTheirOwnRepliesOutOfOrder) {
  FakeGofer gofer;
  Failures failures;
  std::unique_ptr<GoferClient> client = ConnectByHand(gofer, failures);
  ASSERT_NE(client, nullptr);
  constexpr int kThreads = 8;
  std::vector<int64_t> answers(kThreads, -1);
  std::vector<std::thread> callers;
  for (int i = 0; i < kThreads; ++i) {
    callers.emplace_back([&, i] {
      auto reply = client->Call(MkdirRequest(static_cast<uint32_t>(i)), {});
      if (reply.ok()) answers[i] = std::get<protocol::Result>(reply->message.body).value;
    });
  }
  // All eight outstanding at once, answered last first: each reply carries
  // the mode of the request it answers.
  std::vector<protocol::Request> received;
  for (int i = 0; i < kThreads; ++i) {
    auto request = protocol::ReceiveRequest(gofer.server());
    ASSERT_THAT(request, IsOk());
    received.push_back(request->message);
  }
  std::set<uint32_t> tags;
  for (const auto& request : received) tags.insert(request.tag);
  EXPECT_EQ(tags.size(), static_cast<size_t>(kThreads)) << "tags must be unique among outstanding requests";
  for (auto it = received.rbegin(); it != received.rend(); ++it) {
    gofer.Send(it->tag, ResultOf(std::get<protocol::Mkdirat>(it->body).mode));
  }
  for (std::thread& caller : callers) caller.join();
  for (int i = 0; i < kThreads; ++i) EXPECT_EQ(answers[i], i);
  EXPECT_EQ(failures.count, 0);
}

// Leader/follower: callers read replies themselves. A call whose reply
// never comes must not keep the others from theirs, whichever of them is
// reading when it arrives.
TEST(GoferClientTest, ACallWaitingForeverDoesNotHoldUpTheOthers) {
  FakeGofer gofer;
  Failures failures;
  std::unique_ptr<GoferClient> client = ConnectByHand(gofer, failures);
  ASSERT_NE(client, nullptr);
  int64_t slow_answer = -1;
  std::thread slow([&] {
    auto reply = client->Call(MkdirRequest(100), {});
    if (reply.ok()) slow_answer = std::get<protocol::Result>(reply->message.body).value;
  });
  auto slow_request = protocol::ReceiveRequest(gofer.server());
  ASSERT_THAT(slow_request, IsOk());
  // The slow caller is (or soon is) the reader: the others' replies reach
  // them through it, and after each returns the role stays with a waiter.
  for (uint32_t mode = 1; mode <= 5; ++mode) {
    int64_t answer = -1;
    std::thread quick([&] {
      auto reply = client->Call(MkdirRequest(mode), {});
      if (reply.ok()) answer = std::get<protocol::Result>(reply->message.body).value;
    });
    auto request = protocol::ReceiveRequest(gofer.server());
    ASSERT_THAT(request, IsOk());
    gofer.Send(request->message.tag, ResultOf(std::get<protocol::Mkdirat>(request->message.body).mode));
    quick.join();
    EXPECT_EQ(answer, mode);
  }
  gofer.Send(slow_request->message.tag, ResultOf(100));
  slow.join();
  EXPECT_EQ(slow_answer, 100);
  EXPECT_EQ(failures.count, 0);
}

// Without the watcher (Start) a call still gets its reply: the caller reads it.
TEST(GoferClientTest, ALoneCallReadsItsOwnReply) {
  FakeGofer gofer;
  gofer.Serve([](const auto&) { return ResultOf(9); });
  Failures failures;
  auto client = GoferClient::Connect(gofer.TakeClientEnd(), failures.Callback());
  ASSERT_THAT(client, IsOk());
  for (int i = 0; i < 3; ++i) {
    auto reply = (*client)->Call(MkdirRequest(1), {});
    ASSERT_THAT(reply, IsOk());
    EXPECT_EQ(std::get<protocol::Result>(reply->message.body).value, 9);
  }
}

// The watcher notices a gofer that hangs up while no call is outstanding.
TEST(GoferClientTest, AnIdleHangUpIsNoticed) {
  FakeGofer gofer;
  Failures failures;
  std::unique_ptr<GoferClient> client = ConnectByHand(gofer, failures);
  ASSERT_NE(client, nullptr);
  gofer.Close();
  for (int i = 0; i < 500 && failures.count == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(failures.count, 1);
  EXPECT_THAT(client->failure(), StatusIs(absl::StatusCode::kUnavailable, HasSubstr("hung up")));
}

TEST(GoferClientTest, EofFailsOutstandingAndLaterCallsAndCallsBackOnce) {
  FakeGofer gofer;
  Failures failures;
  std::unique_ptr<GoferClient> client = ConnectByHand(gofer, failures);
  ASSERT_NE(client, nullptr);
  absl::Status outstanding;
  std::thread caller([&] { outstanding = client->Call(MkdirRequest(1), {}).status(); });
  ASSERT_THAT(protocol::ReceiveRequest(gofer.server()), IsOk());  // sent, never answered
  gofer.Close();
  caller.join();
  EXPECT_THAT(outstanding, StatusIs(absl::StatusCode::kUnavailable, HasSubstr("dead")));
  EXPECT_THAT(client->Call(MkdirRequest(2), {}).status(), StatusIs(absl::StatusCode::kUnavailable, ::testing::_));
  EXPECT_THAT(client->Call(MkdirRequest(3), {}).status(), StatusIs(absl::StatusCode::kUnavailable, ::testing::_));
  EXPECT_EQ(failures.count, 1);
  EXPECT_FALSE(client->failure().ok());
}

// The server end sends `bytes` as the reply to the one outstanding call.
void ExpectConnectionKilledBy(const std::function<void(FakeGofer&, uint32_t tag)>& misbehave) {
  FakeGofer gofer;
  Failures failures;
  std::unique_ptr<GoferClient> client = ConnectByHand(gofer, failures);
  ASSERT_NE(client, nullptr);
  absl::Status outstanding;
  std::thread caller([&] { outstanding = client->Call(MkdirRequest(1), {}).status(); });
  auto request = protocol::ReceiveRequest(gofer.server());
  ASSERT_THAT(request, IsOk());
  misbehave(gofer, request->message.tag);
  caller.join();
  EXPECT_THAT(outstanding, StatusIs(absl::StatusCode::kUnavailable, ::testing::_));
  EXPECT_THAT(client->Call(MkdirRequest(2), {}).status(), StatusIs(absl::StatusCode::kUnavailable, ::testing::_));
  EXPECT_EQ(failures.count, 1);
}

TEST(GoferClientTest, AMalformedReplyKillsTheConnection) {
  ExpectConnectionKilledBy([](FakeGofer& gofer, uint32_t) {
    const uint8_t garbage[] = {'n', 'o', 't', ' ', 'a', ' ', 'r', 'e', 'p', 'l', 'y'};
    ASSERT_TRUE(protocol::SendDatagram(gofer.server(), garbage, {}).ok());
  });
}

TEST(GoferClientTest, AnErrorReplyKillsTheConnection) {
  ExpectConnectionKilledBy([](FakeGofer& gofer, uint32_t tag) {
    gofer.Send(tag, testing::FakeAnswer{protocol::Error{3, "mkdirat.path: bad"}, {}});
  });
}

TEST(GoferClientTest, AReplyToATagNobodyAskedKillsTheConnection) {
  ExpectConnectionKilledBy([](FakeGofer& gofer, uint32_t tag) { gofer.Send(tag + 1000, ResultOf(0)); });
}

TEST(GoferClientTest, ARequestThatDoesNotEncodeFailsAloneAndSendsNothing) {
  FakeGofer gofer;
  gofer.Serve([](const auto&) { return ResultOf(7); });
  Failures failures;
  auto client = GoferClient::Connect(gofer.TakeClientEnd(), failures.Callback());
  ASSERT_THAT(client, IsOk());
  (*client)->Start();
  protocol::Request too_long{0, protocol::Mkdirat{protocol::Creds{}, protocol::Dir{}, std::string(5000, 'a'), 0}};
  EXPECT_THAT((*client)->Call(too_long, {}).status(), StatusIs(absl::StatusCode::kInvalidArgument, ::testing::_));
  int stray = dup(0);
  EXPECT_THAT((*client)->Call(MkdirRequest(1), {stray}).status(), StatusIs(absl::StatusCode::kInvalidArgument, ::testing::_));
  close(stray);
  auto reply = (*client)->Call(MkdirRequest(1), {});
  ASSERT_THAT(reply, IsOk());
  EXPECT_EQ(gofer.requests().size(), 1u);
  EXPECT_EQ(failures.count, 0);
}

TEST(GoferClientTest, TheHandshakeFailsOnARefusalOrSilence) {
  {
    FakeGofer gofer;
    gofer.Send(1, testing::FakeAnswer{protocol::Error{9, "no common protocol version"}, {}});
    Failures failures;
    EXPECT_THAT(GoferClient::Connect(gofer.TakeClientEnd(), failures.Callback()).status(),
                StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("no common protocol version")));
  }
  {
    FakeGofer gofer;
    Failures failures;
    EXPECT_THAT(GoferClient::Connect(gofer.TakeClientEnd(), failures.Callback(), std::chrono::milliseconds(50)).status(),
                StatusIs(absl::StatusCode::kDeadlineExceeded, ::testing::_));
  }
}

}  // namespace
}  // namespace sentry
