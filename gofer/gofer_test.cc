// RunGofer end to end: a fake container init (its own mount namespace,
// pivot_root'ed into a tmpfs, optionally its own user namespace), the gofer
// in a child process joining it, confining itself and serving a client
// (gofer_server_tests). Every brokered call goes through the gofer's real
// seccomp allowlist: a missing syscall kills the gofer (SIGSYS).
#include "gofer/gofer.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "fmt/format.h"
#include "gofer/server/server_test_util.h"
#include "gtest/gtest.h"
#include "platform/sync_channel.h"
#include "platform/userns.h"

namespace gofer::testing {
namespace {

using protocol::Dir;

// Writes one byte / waits for one byte on a pipe.
void Signal(int fd) { (void)!write(fd, "x", 1); }
bool Wait(int fd) {
  char c;
  return read(fd, &c, 1) == 1;
}

// The fake init: a tmpfs root with /data and /proc, pivot_root'ed, then
// sleeps until killed. With `userns`, in a new user namespace whose maps
// the parent writes.
[[noreturn]] void FakeInit(bool userns, int go_fd, int ready_fd) {
  int flags = CLONE_NEWNS | (userns ? CLONE_NEWUSER : 0);
  if (unshare(flags) != 0) _exit(10);
  if (userns) {
    Signal(ready_fd);  // the parent writes the id maps now
    if (!Wait(go_fd) || setresgid(0, 0, 0) != 0 || setresuid(0, 0, 0) != 0) _exit(11);
  }
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) _exit(12);
  char dir[] = "/tmp/gofer_init.XXXXXX";
  if (mkdtemp(dir) == nullptr || mount("tmpfs", dir, "tmpfs", 0, "mode=755") != 0) _exit(13);
  if (chdir(dir) != 0 || mkdir("data", 0777) != 0 || chmod("data", 0777) != 0 || mkdir("proc", 0555) != 0) _exit(14);
  if (!userns && mount("proc", "proc", "proc", 0, nullptr) != 0) _exit(15);
  if (syscall(SYS_pivot_root, ".", ".") != 0 || umount2(".", MNT_DETACH) != 0 || chdir("/") != 0) _exit(16);
  rmdir(dir);  // best effort: the mount point in the host's /tmp
  Signal(ready_fd);
  while (true) pause();
}

std::string ExitStatus(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, WNOHANG);
  return fmt::format("wait status {:#x}", status);
}

class RunGoferTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    int go[2], ready[2];
    ASSERT_EQ(pipe2(go, O_CLOEXEC), 0);
    ASSERT_EQ(pipe2(ready, O_CLOEXEC), 0);
    init_ = fork();
    ASSERT_GE(init_, 0);
    if (init_ == 0) FakeInit(GetParam(), go[0], ready[1]);
    close(go[0]);
    close(ready[1]);
    if (GetParam()) {
      ASSERT_TRUE(Wait(ready[0]));
      ASSERT_TRUE(platform::WriteIdMappings(init_, {{0, 100000, 65536}}, {{0, 100000, 65536}}).ok());
      Signal(go[1]);
    }
    close(go[1]);
    ASSERT_TRUE(Wait(ready[0])) << "the fake init failed: " << ExitStatus(init_);
    close(ready[0]);
    StartGofer();
  }

  void StartGofer() {
    int seq[2], sync[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, seq), 0);
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sync), 0);
    int pidfd = static_cast<int>(syscall(SYS_pidfd_open, init_, 0));
    ASSERT_GE(pidfd, 0);
    gofer_ = fork();
    ASSERT_GE(gofer_, 0);
    if (gofer_ == 0) {
      close(seq[0]);
      close(sync[0]);
      GoferOptions options;
      options.container_id = "test";
      options.init_pidfd = pidfd;
      options.sentry_socket = seq[1];
      options.ready_fd = sync[1];
      options.devices = {*platform::ParseDeviceCgroupRule(true, "c 1:3 rwm")};
      _exit(RunGofer(options));
    }
    close(pidfd);
    close(seq[1]);
    close(sync[1]);
    client_.reset(seq[0]);
    platform::UniqueFd sync_fd(sync[0]);
    absl::StatusOr<nlohmann::json> ready = platform::ReceiveMessage(sync_fd.get());
    ASSERT_TRUE(ready.ok()) << ready.status();
    ASSERT_EQ(ready->value("ok", false), true) << ready->dump();
  }

  void TearDown() override {
    client_.reset();
    if (gofer_ > 0) {
      int status = 0;
      waitpid(gofer_, &status, 0);
      EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "gofer wait status " << status;
    }
    if (init_ > 0) {
      kill(init_, SIGKILL);
      waitpid(init_, nullptr, 0);
    }
  }

  int64_t Do(protocol::RequestBody body, std::vector<int> fds = {}) {
    EXPECT_TRUE(protocol::SendRequest(client_.get(), {tag_++, std::move(body)}, fds).ok());
    absl::StatusOr<protocol::Incoming<protocol::Reply>> reply = protocol::ReceiveReply(client_.get());
    if (!reply.ok()) {
      ADD_FAILURE() << reply.status() << " (the gofer died?)";
      return -1000;
    }
    const auto* result = std::get_if<protocol::Result>(&reply->message.body);
    return result != nullptr ? result->value : -1000;
  }

  // A path in the init's root, from the host.
  std::string Host(const std::string& path) { return fmt::format("/proc/{}/root{}", init_, path); }

  // The wire (host) id of container id `id`.
  uint32_t Wire(uint32_t id) { return GetParam() ? 100000 + id : id; }

  pid_t init_ = -1, gofer_ = -1;
  platform::UniqueFd client_;
  uint32_t tag_ = 1;
};

TEST_P(RunGoferTest, ServesEveryCallUnderItsOwnFilter) {
  ASSERT_TRUE(protocol::SendRequest(client_.get(), {tag_++, protocol::Hello{1, 1}}, {}).ok());
  ASSERT_TRUE(protocol::ReceiveReply(client_.get()).ok());
  protocol::Creds root{Wire(0), Wire(0), 022, ~0ULL, {}};
  protocol::Creds user{Wire(1000), Wire(1000), 022, 0, {}};
  Dir at_root;
  EXPECT_EQ(Do(protocol::Openat{user, at_root, "/data/f", O_WRONLY | O_CREAT, 0666, 0}), 0);
  struct stat st = {};
  ASSERT_EQ(stat(Host("/data/f").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, Wire(1000));
  EXPECT_EQ(Do(protocol::Mkdirat{user, at_root, "/data/d", 0755}), 0);
  EXPECT_EQ(Do(protocol::Fchmodat{user, at_root, "/data/f", 0600, 0}), 0);
  EXPECT_EQ(Do(protocol::Fchownat{root, at_root, "/data/d", 1000, 1000, 0}), 0);
  EXPECT_EQ(Do(protocol::Utimensat{user, at_root, "/data/f", 1, 0, 2, 0, 0}), 0);
  EXPECT_EQ(Do(protocol::Truncate{user, at_root, "/data/f", 10}), 0);
  EXPECT_EQ(Do(protocol::Setxattr{user, at_root, "/data/f", "user.a", "v", 0, 0}), 0);
  EXPECT_EQ(Do(protocol::Removexattr{user, at_root, "/data/f", "user.a", 0}), 0);
  EXPECT_EQ(Do(protocol::Symlinkat{user, "f", at_root, "/data/s"}), 0);
  EXPECT_EQ(Do(protocol::Linkat{user, at_root, "/data/f", at_root, "/data/h", 0}), 0);
  EXPECT_EQ(Do(protocol::Renameat2{user, at_root, "/data/h", at_root, "/data/h2", 0}), 0);
  EXPECT_EQ(Do(protocol::Unlinkat{user, at_root, "/data/h2", 0}), 0);
  EXPECT_EQ(Do(protocol::Mknodat{user, at_root, "/data/p", S_IFIFO | 0600, 0}), 0);
  EXPECT_EQ(Do(protocol::Mknodat{root, at_root, "/data/zero", S_IFCHR | 0600, makedev(1, 5)}), -EPERM);
  platform::UniqueFd sock(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  EXPECT_EQ(Do(protocol::BindUnix{user, at_root, "/data/sock"}, {sock.get()}), 0);
  // The gofer has no /proc (the init's view does, without a userns).
  EXPECT_EQ(Do(protocol::Openat{root, at_root, "/proc/self/root/x", O_WRONLY | O_CREAT, 0600, 0}), -ENOENT);
  // An unmapped id in the userns case.
  if (GetParam()) {
    EXPECT_EQ(Do(protocol::Mkdirat{protocol::Creds{5, 5, 0, 0, {}}, at_root, "/data/n", 0755}), -EPERM);
  }
  ASSERT_EQ(stat(Host("/data/d").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, Wire(1000));
}

INSTANTIATE_TEST_SUITE_P(UserNamespace, RunGoferTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) { return info.param ? "UserNs" : "HostIds"; });

}  // namespace
}  // namespace gofer::testing
