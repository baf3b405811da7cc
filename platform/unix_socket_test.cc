#include "platform/unix_socket.h"

#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gtest/gtest.h"
#include "platform/status_matchers.h"

namespace platform {
namespace {

using ::platform::testing::IsOk;

int CountOpenFds() {
  int count = 0;
  DIR* dir = opendir("/proc/self/fd");
  while (struct dirent* entry = readdir(dir)) count += entry->d_name[0] != '.';
  closedir(dir);
  return count - 1;  // the DIR's own fd
}

TEST(UnixSocketTest, SendAndReceiveOneFd) {
  int pair[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair), 0);
  UniqueFd a(pair[0]), b(pair[1]);
  UniqueFd file(open("/proc/self/status", O_RDONLY | O_CLOEXEC));
  ASSERT_THAT(SendFd(a.get(), file.get(), "/dev/pts/7"), IsOk());
  absl::StatusOr<UniqueFd> received = ReceiveFd(b.get());
  ASSERT_THAT(received, IsOk());
  char buffer[5] = {};
  ASSERT_EQ(read(received->get(), buffer, 4), 4);
  EXPECT_STREQ(buffer, "Name");
  EXPECT_TRUE(fcntl(received->get(), F_GETFD) & FD_CLOEXEC);
}

// Attack: a peer that stuffs several fds into one message must not leave
// any of the extra ones open in the receiver.
TEST(UnixSocketTest, ExtraFdsInOneMessageAreClosed) {
  int pair[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair), 0);
  UniqueFd a(pair[0]), b(pair[1]);
  int fds[3] = {open("/dev/null", O_RDONLY), open("/dev/null", O_RDONLY), open("/dev/null", O_RDONLY)};
  char payload = 'x';
  struct iovec iov = {&payload, 1};
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(fds))] = {};
  struct msghdr message = {};
  message.msg_iov = &iov;
  message.msg_iovlen = 1;
  message.msg_control = control;
  message.msg_controllen = sizeof(control);
  struct cmsghdr* header = CMSG_FIRSTHDR(&message);
  header->cmsg_level = SOL_SOCKET;
  header->cmsg_type = SCM_RIGHTS;
  header->cmsg_len = CMSG_LEN(sizeof(fds));
  memcpy(CMSG_DATA(header), fds, sizeof(fds));
  ASSERT_EQ(sendmsg(a.get(), &message, 0), 1);
  for (int fd : fds) close(fd);
  int before = CountOpenFds();
  absl::StatusOr<UniqueFd> received = ReceiveFd(b.get());
  ASSERT_THAT(received, IsOk());
  EXPECT_EQ(CountOpenFds(), before + 1);  // exactly the one returned
}

TEST(UnixSocketTest, MessageWithoutFdIsAnError) {
  int pair[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair), 0);
  UniqueFd a(pair[0]), b(pair[1]);
  ASSERT_EQ(write(a.get(), "x", 1), 1);
  EXPECT_FALSE(ReceiveFd(b.get()).ok());
  a.reset();
  EXPECT_FALSE(ReceiveFd(b.get()).ok());  // peer closed
}

}  // namespace
}  // namespace platform

namespace platform {
namespace {

// Docker's state dirs (/run/docker/runtime-runsc/moby/<64 hex>/) make socket paths longer than
// sun_path: they are reached through an fd of their directory.
TEST(UnixSocketTest, ConnectsToASocketWhosePathIsLongerThanSunPath) {
  char base[] = "/tmp/runsc-sock-test.XXXXXX";
  ASSERT_NE(mkdtemp(base), nullptr);
  std::string dir = std::string(base) + "/" + std::string(100, 'd');
  ASSERT_EQ(mkdir(dir.c_str(), 0700), 0);
  std::string path = dir + "/control.sock";
  ASSERT_GT(path.size(), sizeof(sockaddr_un::sun_path));
  UniqueFd holder;
  absl::StatusOr<struct sockaddr_un> address = UnixAddress(path, holder);
  ASSERT_THAT(address, IsOk());
  UniqueFd server(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  ASSERT_EQ(bind(server.get(), reinterpret_cast<sockaddr*>(&*address), sizeof(*address)), 0) << strerror(errno);
  ASSERT_EQ(listen(server.get(), 1), 0);
  holder.reset();
  EXPECT_EQ(access(path.c_str(), F_OK), 0);  // the socket is at the long path itself
  absl::StatusOr<UniqueFd> client = ConnectUnix(path);
  EXPECT_THAT(client, IsOk());
  unlink(path.c_str());
  rmdir(dir.c_str());
  rmdir(base);
}

}  // namespace
}  // namespace platform
