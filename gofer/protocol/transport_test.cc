#include "gofer/protocol/transport.h"

#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <vector>

#include "gmock/gmock.h"
#include "gofer/protocol/test_messages.h"
#include "gtest/gtest.h"
#include "platform/status_matchers.h"

namespace gofer::protocol {
namespace {

using ::platform::UniqueFd;
using ::platform::testing::IsOk;
using ::platform::testing::StatusIs;
using ::testing::HasSubstr;

size_t OpenFdCount() {
  size_t count = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) ++count;
  return count;
}

class TransportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    int fds[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds), 0) << strerror(errno);
    client_.reset(fds[0]);
    server_.reset(fds[1]);
  }

  // Sends raw bytes with `fds` in one SCM_RIGHTS message, bypassing the
  // sender's checks (as a hostile client would).
  void SendRaw(const std::vector<uint8_t>& bytes, const std::vector<int>& fds) {
    struct iovec iov = {const_cast<uint8_t*>(bytes.data()), bytes.size()};
    std::vector<char> control(CMSG_SPACE(sizeof(int) * fds.size()));
    struct msghdr message = {};
    message.msg_iov = &iov;
    message.msg_iovlen = 1;
    if (!fds.empty()) {
      message.msg_control = control.data();
      message.msg_controllen = control.size();
      struct cmsghdr* header = CMSG_FIRSTHDR(&message);
      header->cmsg_level = SOL_SOCKET;
      header->cmsg_type = SCM_RIGHTS;
      header->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
      memcpy(CMSG_DATA(header), fds.data(), sizeof(int) * fds.size());
    }
    ASSERT_GE(sendmsg(client_.get(), &message, MSG_NOSIGNAL), 0) << strerror(errno);
  }

  UniqueFd OpenDir() { return UniqueFd(open("/", O_PATH | O_DIRECTORY | O_CLOEXEC)); }

  UniqueFd client_;
  UniqueFd server_;
};

void ExpectSameFile(int a, int b) {
  struct stat sa, sb;
  ASSERT_EQ(fstat(a, &sa), 0);
  ASSERT_EQ(fstat(b, &sb), 0);
  EXPECT_EQ(sa.st_dev, sb.st_dev);
  EXPECT_EQ(sa.st_ino, sb.st_ino);
}

TEST_F(TransportTest, RequestWithADirFdArrivesCloexec) {
  UniqueFd dir = OpenDir();
  Request request = testing::SampleRequests()[1];  // openat, fd dir
  ASSERT_THAT(SendRequest(client_.get(), request, {dir.get()}), IsOk());
  auto incoming = ReceiveRequest(server_.get());
  ASSERT_THAT(incoming, IsOk());
  EXPECT_EQ(incoming->message, request);
  ASSERT_EQ(incoming->fds.size(), 1u);
  ExpectSameFile(incoming->fds[0].get(), dir.get());
  EXPECT_EQ(fcntl(incoming->fds[0].get(), F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
}

TEST_F(TransportTest, RenameCarriesTwoDirFdsInOrder) {
  UniqueFd root = OpenDir();
  UniqueFd tmp(open("/tmp", O_PATH | O_DIRECTORY | O_CLOEXEC));
  Request request{7, Renameat2{testing::SampleCreds(), testing::FdDir("/"), "a", testing::FdDir("/tmp"), "b", 0}};
  ASSERT_THAT(SendRequest(client_.get(), request, {root.get(), tmp.get()}), IsOk());
  auto incoming = ReceiveRequest(server_.get());
  ASSERT_THAT(incoming, IsOk());
  ASSERT_EQ(incoming->fds.size(), 2u);
  ExpectSameFile(incoming->fds[0].get(), root.get());
  ExpectSameFile(incoming->fds[1].get(), tmp.get());
}

TEST_F(TransportTest, ResultCarriesTheOpenedFd) {
  UniqueFd file(open("/proc/self/exe", O_RDONLY | O_CLOEXEC));
  ASSERT_THAT(SendReply(server_.get(), Reply{2, Result{0, 1}}, {file.get()}), IsOk());
  auto incoming = ReceiveReply(client_.get());
  ASSERT_THAT(incoming, IsOk());
  EXPECT_EQ(incoming->message, (Reply{2, Result{0, 1}}));
  ASSERT_EQ(incoming->fds.size(), 1u);
  ExpectSameFile(incoming->fds[0].get(), file.get());
}

TEST_F(TransportTest, SenderChecksTheFdCount) {
  UniqueFd dir = OpenDir();
  EXPECT_THAT(SendRequest(client_.get(), testing::SampleRequests()[1], {}),
              StatusIs(absl::StatusCode::kInvalidArgument, "openat: 0 fds given, the message declares 1"));
  EXPECT_THAT(SendRequest(client_.get(), testing::SampleRequests()[2], {dir.get()}),
              StatusIs(absl::StatusCode::kInvalidArgument, "mkdirat: 1 fds given, the message declares 0"));
}

// A message declaring one fd but carrying two: error, both closed.
TEST_F(TransportTest, ExtraFdsAreClosedAndRefused) {
  UniqueFd a = OpenDir();
  UniqueFd b = OpenDir();
  auto bytes = Encode(testing::SampleRequests()[1]);
  ASSERT_THAT(bytes, IsOk());
  size_t before = OpenFdCount();
  SendRaw(*bytes, {a.get(), b.get()});
  EXPECT_THAT(ReceiveRequest(server_.get()),
              StatusIs(absl::StatusCode::kInvalidArgument, "openat: 2 fds arrived, the message declares 1"));
  EXPECT_EQ(OpenFdCount(), before);
}

// More fds than any message may carry: the control data is truncated, the
// kernel drops the excess, the receiver closes the rest.
TEST_F(TransportTest, TooManyFdsAreClosedAndRefused) {
  UniqueFd a = OpenDir();
  auto bytes = Encode(testing::SampleRequests()[1]);
  ASSERT_THAT(bytes, IsOk());
  size_t before = OpenFdCount();
  SendRaw(*bytes, {a.get(), a.get(), a.get(), a.get()});
  EXPECT_THAT(ReceiveRequest(server_.get()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("control data truncated")));
  EXPECT_EQ(OpenFdCount(), before);
}

TEST_F(TransportTest, OversizedDatagramIsRefusedAndItsFdsClosed) {
  UniqueFd a = OpenDir();
  std::vector<uint8_t> bytes(kMaxMessageSize + 1, 'x');
  size_t before = OpenFdCount();
  SendRaw(bytes, {a.get()});
  EXPECT_THAT(ReceiveDatagram(server_.get()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("truncated")));
  EXPECT_EQ(OpenFdCount(), before);
  // The connection still frames correctly afterwards (one datagram per read).
  ASSERT_THAT(SendRequest(client_.get(), testing::SampleRequests()[0], {}), IsOk());
  EXPECT_THAT(ReceiveRequest(server_.get()), IsOk());
}

TEST_F(TransportTest, MalformedBytesWithAnFdCloseIt) {
  UniqueFd a = OpenDir();
  size_t before = OpenFdCount();
  SendRaw({'G', 'O', 'F', 'R', 1, 0, 2, 0, 5, 0, 0, 0, 0, 0, 0, 0}, {a.get()});
  auto datagram = ReceiveDatagram(server_.get());
  ASSERT_THAT(datagram, IsOk());
  EXPECT_EQ(PeekTag(datagram->bytes), 5u);
  auto incoming = DecodeIncomingRequest(datagram->bytes, std::move(datagram->fds));
  EXPECT_THAT(incoming, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("openat.creds.fsuid: truncated")));
  EXPECT_EQ(OpenFdCount(), before);
}

TEST_F(TransportTest, PeerCloseIsUnavailable) {
  client_.reset();
  EXPECT_THAT(ReceiveRequest(server_.get()), StatusIs(absl::StatusCode::kUnavailable, HasSubstr("closed")));
}

}  // namespace
}  // namespace gofer::protocol
