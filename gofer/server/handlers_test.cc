// Every brokered call against a real kernel: a Server on a socketpair
// serving a temp directory as the container root (gofer_server_tests).
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/openat2.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <fstream>

#include "gofer/server/server_test_util.h"
#include "gtest/gtest.h"

namespace gofer::testing {
namespace {

using protocol::Dir;

Dir Root() { return Dir{}; }
Dir At(const std::string& path) { return Dir{Dir::Kind::kFd, path}; }

struct stat Lstat(const std::string& path) {
  struct stat st = {};
  EXPECT_EQ(lstat(path.c_str(), &st), 0) << path;
  return st;
}

void WriteFile(const std::string& path, const std::string& content, mode_t mode = 0644) {
  std::ofstream(path) << content;
  chmod(path.c_str(), mode);
}

class HandlersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    mkdir(root_.Host("/pub").c_str(), 0777);
    chmod(root_.Host("/pub").c_str(), 01777);
    mkdir(root_.Host("/priv").c_str(), 0755);  // root-owned
    WriteFile(root_.Host("/priv/file"), "hello");
    server_.Greet();
  }
  // An fd of a container directory, as the sentry would send it.
  platform::UniqueFd DirFd(const std::string& path) {
    return platform::UniqueFd(open(root_.Host(path).c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  }

  TempDir root_;
  ServerHarness server_{root_};
};

TEST_F(HandlersTest, OpenCreatesWithCallerOwnerAndUmask) {
  protocol::Creds caller = UserCreds();
  caller.umask = 027;
  Got got = server_.Do(protocol::Openat{caller, Root(), "/pub/new", O_WRONLY | O_CREAT, 0666, 0});
  ASSERT_EQ(got.value, 0);
  ASSERT_TRUE(got.fd.valid());
  ASSERT_EQ(write(got.fd.get(), "data", 4), 4);
  struct stat st = Lstat(root_.Host("/pub/new"));
  EXPECT_EQ(st.st_uid, 1000u);
  EXPECT_EQ(st.st_gid, 1000u);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  EXPECT_EQ(st.st_size, 4);
  EXPECT_NE(fcntl(got.fd.get(), F_GETFD) & FD_CLOEXEC, 0);
}

// Issue 15: four opens of a FIFO without a reader blocked every serving
// thread, and device nodes were opened outside the container's device
// cgroup. The gofer opens neither: it hands them back to the kernel.
TEST_F(HandlersTest, FifosAndDevicesAreLeftToTheKernelWithoutBlocking) {
  ASSERT_EQ(mkfifo(root_.Host("/pub/fifo").c_str(), 0666), 0);
  ASSERT_EQ(symlink("/pub/fifo", root_.Host("/pub/to-fifo").c_str()), 0);
  for (uint64_t flags : {O_WRONLY, O_RDONLY | O_TRUNC, O_RDWR, O_WRONLY | O_CREAT}) {
    for (int i = 0; i < 5; ++i) {  // more than the serving threads
      EXPECT_EQ(server_.Do(protocol::Openat{UserCreds(), Root(), "/pub/to-fifo", flags, 0600, 0}).value,
                protocol::Result::kLeaveToKernel);
    }
  }
  ASSERT_EQ(mknod(root_.Host("/pub/null").c_str(), S_IFCHR | 0666, makedev(1, 3)), 0);
  ASSERT_EQ(mknod(root_.Host("/pub/loop").c_str(), S_IFBLK | 0666, makedev(7, 0)), 0);
  for (const char* node : {"/pub/null", "/pub/loop"}) {
    Got got = server_.Do(protocol::Openat{RootCreds(), Root(), node, O_RDWR, 0, 0});
    EXPECT_EQ(got.value, protocol::Result::kLeaveToKernel) << node;
    EXPECT_FALSE(got.fd.valid());
  }
  // O_NOFOLLOW on the link itself is the kernel's ELOOP, as natively.
  EXPECT_EQ(server_.Do(protocol::Openat{UserCreds(), Root(), "/pub/to-fifo", O_WRONLY | O_NOFOLLOW, 0, 0}).value,
            -ELOOP);
}

TEST_F(HandlersTest, OpenOfARegularFileKeepsTheCallersBlockingMode) {
  Got blocking = server_.Do(protocol::Openat{UserCreds(), Root(), "/pub/b", O_WRONLY | O_CREAT, 0600, 0});
  ASSERT_TRUE(blocking.fd.valid());
  EXPECT_EQ(fcntl(blocking.fd.get(), F_GETFL) & O_NONBLOCK, 0);
  Got nonblocking = server_.Do(protocol::Openat{UserCreds(), Root(), "/pub/b", O_WRONLY | O_NONBLOCK, 0, 0});
  ASSERT_TRUE(nonblocking.fd.valid());
  EXPECT_NE(fcntl(nonblocking.fd.get(), F_GETFL) & O_NONBLOCK, 0);
}

TEST_F(HandlersTest, OpenFromDirFdAndExclusive) {
  platform::UniqueFd dir = DirFd("/pub");
  Got got = server_.Do(protocol::Openat{UserCreds(), At("/pub"), "x", O_RDWR | O_CREAT | O_EXCL, 0600, 0},
                       {dir.get()});
  EXPECT_EQ(got.value, 0);
  Got again = server_.Do(
      protocol::Openat{UserCreds(), At("/pub"), "x", O_RDWR | O_CREAT | O_EXCL, 0600, 0}, {dir.get()});
  EXPECT_EQ(again.value, -EEXIST);
  EXPECT_FALSE(again.fd.valid());
  EXPECT_EQ(server_.Do(protocol::Openat{UserCreds(), At("/pub"), "", O_WRONLY, 0, 0}, {dir.get()}).value, -ENOENT);
}

TEST_F(HandlersTest, OpenTmpfile) {
  Got got = server_.Do(protocol::Openat{UserCreds(), Root(), "/pub", O_TMPFILE | O_RDWR, 0600, 0});
  ASSERT_EQ(got.value, 0);
  struct stat st = {};
  ASSERT_EQ(fstat(got.fd.get(), &st), 0);
  EXPECT_EQ(st.st_nlink, 0u);
  EXPECT_EQ(st.st_uid, 1000u);
}

TEST_F(HandlersTest, OpenHonoursCallerResolveFlags) {
  symlink("/priv/file", root_.Host("/pub/link").c_str());
  Got got = server_.Do(protocol::Openat{RootCreds(), Root(), "/pub/link", O_WRONLY, 0, RESOLVE_NO_SYMLINKS});
  EXPECT_EQ(got.value, -ELOOP);
  platform::UniqueFd dir = DirFd("/pub");
  got = server_.Do(protocol::Openat{RootCreds(), At("/pub"), "../priv/file", O_WRONLY, 0, RESOLVE_BENEATH},
                   {dir.get()});
  EXPECT_EQ(got.value, -EXDEV);
}

TEST_F(HandlersTest, PermissionsAreTheCallers) {
  EXPECT_EQ(server_.Do(protocol::Openat{UserCreds(), Root(), "/priv/f", O_WRONLY | O_CREAT, 0644, 0}).value,
            -EACCES);
  EXPECT_EQ(server_.Do(protocol::Fchmodat{UserCreds(), Root(), "/priv/file", 0777, 0}).value, -EPERM);
  EXPECT_EQ(Lstat(root_.Host("/priv/file")).st_mode & 07777, 0644u);
  // The caller's own capabilities are honoured.
  protocol::Creds capable = UserCreds(1000, Cap(CAP_DAC_OVERRIDE) | Cap(CAP_FOWNER));
  EXPECT_EQ(server_.Do(protocol::Openat{capable, Root(), "/priv/f", O_WRONLY | O_CREAT, 0644, 0}).value, 0);
  EXPECT_EQ(Lstat(root_.Host("/priv/f")).st_uid, 1000u);
  EXPECT_EQ(server_.Do(protocol::Fchmodat{capable, Root(), "/priv/file", 0600, 0}).value, 0);
  EXPECT_EQ(Lstat(root_.Host("/priv/file")).st_mode & 07777, 0600u);
}

// access(2) with W_OK: the answer of a writable mount, with the caller's
// credentials; the real ids (and caps only for a real root) without AT_EACCESS.
TEST_F(HandlersTest, FaccessatChecksWriteAccessWithTheRightCredentials) {
  const protocol::Creds user = UserCreds();
  auto access = [&](const protocol::Creds& creds, const std::string& path, uint32_t flags, uint32_t uid,
                    uint64_t permitted) {
    return server_.Do(protocol::Faccessat{creds, Root(), path, W_OK, flags, uid, creds.fsgid, permitted}).value;
  };
  EXPECT_EQ(access(user, "/priv", AT_EACCESS, 1000, 0), -EACCES);
  EXPECT_EQ(access(user, "/pub", AT_EACCESS, 1000, 0), 0);
  EXPECT_EQ(access(user, "/missing", AT_EACCESS, 1000, 0), -ENOENT);
  const protocol::Creds capable = UserCreds(0, Cap(CAP_DAC_OVERRIDE));
  EXPECT_EQ(access(capable, "/priv", AT_EACCESS, 1000, 0), 0);
  // Without AT_EACCESS: real uid 1000 checks as 1000 with no caps at all...
  EXPECT_EQ(access(capable, "/priv", 0, 1000, Cap(CAP_DAC_OVERRIDE)), -EACCES);
  // ...and a real root with its permitted caps, whatever its effective ones.
  EXPECT_EQ(access(user, "/priv", 0, 0, Cap(CAP_DAC_OVERRIDE)), 0);
  EXPECT_EQ(server_.Do(protocol::Faccessat{user, Root(), "/pub", 8 | W_OK, AT_EACCESS, 1000, 1000, 0}).value, -EINVAL);
  EXPECT_EQ(server_.Do(protocol::Faccessat{user, Root(), "/pub", W_OK, 0x1, 1000, 1000, 0}).value, -EINVAL);
}

TEST_F(HandlersTest, MkdirRmdirUnlinkAndSpecialNames) {
  EXPECT_EQ(server_.Do(protocol::Mkdirat{UserCreds(), Root(), "/pub/d/", 0777}).value, 0);
  EXPECT_EQ(Lstat(root_.Host("/pub/d")).st_mode & 07777, 0755u);  // umask 022
  EXPECT_EQ(server_.Do(protocol::Mkdirat{UserCreds(), Root(), "/pub/d", 0777}).value, -EEXIST);
  EXPECT_EQ(server_.Do(protocol::Mkdirat{RootCreds(), Root(), "/", 0777}).value, -EEXIST);
  EXPECT_EQ(server_.Do(protocol::Mkdirat{RootCreds(), Root(), "/pub/d/..", 0777}).value, -EEXIST);
  platform::UniqueFd pub = DirFd("/pub");
  EXPECT_EQ(server_.Do(protocol::Mkdirat{RootCreds(), At("/pub"), "", 0777}, {pub.get()}).value, -ENOENT);
  EXPECT_EQ(server_.Do(protocol::Unlinkat{RootCreds(), Root(), "/pub/d/.", AT_REMOVEDIR}).value, -EINVAL);
  EXPECT_EQ(server_.Do(protocol::Unlinkat{RootCreds(), Root(), "/pub/d/..", AT_REMOVEDIR}).value, -ENOTEMPTY);
  EXPECT_EQ(server_.Do(protocol::Unlinkat{RootCreds(), Root(), "/", AT_REMOVEDIR}).value, -EBUSY);
  EXPECT_EQ(server_.Do(protocol::Unlinkat{RootCreds(), Root(), "/", 0}).value, -EISDIR);
  EXPECT_EQ(server_.Do(protocol::Unlinkat{RootCreds(), Root(), "/priv/file/", 0}).value, -ENOTDIR);
  EXPECT_EQ(server_.Do(protocol::Unlinkat{UserCreds(), Root(), "/pub/d/", AT_REMOVEDIR}).value, 0);
  EXPECT_EQ(server_.Do(protocol::Unlinkat{UserCreds(), Root(), "/priv/file", 0}).value, -EACCES);
  EXPECT_EQ(server_.Do(protocol::Unlinkat{RootCreds(), Root(), "/priv/file", 0}).value, 0);
  EXPECT_NE(access(root_.Host("/priv/file").c_str(), F_OK), 0);
}

TEST_F(HandlersTest, Rename) {
  WriteFile(root_.Host("/pub/a"), "a");
  WriteFile(root_.Host("/pub/b"), "b");
  platform::UniqueFd pub = DirFd("/pub");
  EXPECT_EQ(server_.Do(protocol::Renameat2{RootCreds(), At("/pub"), "a", Root(), "/pub/b", RENAME_NOREPLACE},
                       {pub.get()})
                .value,
            -EEXIST);
  EXPECT_EQ(server_.Do(protocol::Renameat2{RootCreds(), At("/pub"), "a", At("/pub"), "b", RENAME_EXCHANGE},
                       {pub.get(), pub.get()})
                .value,
            0);
  std::string content;
  std::getline(std::ifstream(root_.Host("/pub/a")), content);
  EXPECT_EQ(content, "b");
  EXPECT_EQ(server_.Do(protocol::Renameat2{RootCreds(), Root(), "/pub/a", Root(), "/pub/c", 0}).value, 0);
  EXPECT_EQ(access(root_.Host("/pub/c").c_str(), F_OK), 0);
  EXPECT_EQ(server_.Do(protocol::Renameat2{RootCreds(), Root(), "/pub/c", Root(), "/", 0}).value, -EBUSY);
}

TEST_F(HandlersTest, LinkAndSymlink) {
  EXPECT_EQ(server_.Do(protocol::Linkat{RootCreds(), Root(), "/priv/file", Root(), "/pub/hard", 0}).value, 0);
  EXPECT_EQ(Lstat(root_.Host("/pub/hard")).st_ino, Lstat(root_.Host("/priv/file")).st_ino);
  EXPECT_EQ(server_.Do(protocol::Symlinkat{UserCreds(), "../../etc/shadow", Root(), "/pub/sym"}).value, 0);
  char target[64] = {};
  ASSERT_GT(readlink(root_.Host("/pub/sym").c_str(), target, sizeof(target) - 1), 0);
  EXPECT_STREQ(target, "../../etc/shadow");
  EXPECT_EQ(Lstat(root_.Host("/pub/sym")).st_uid, 1000u);
  // AT_EMPTY_PATH: the start fd itself is linked (needs CAP_DAC_READ_SEARCH).
  platform::UniqueFd file(open(root_.Host("/priv/file").c_str(), O_PATH | O_CLOEXEC));
  EXPECT_EQ(server_.Do(protocol::Linkat{RootCreds(), At("/priv/file"), "", Root(), "/pub/hard2", AT_EMPTY_PATH},
                       {file.get()})
                .value,
            0);
  EXPECT_EQ(Lstat(root_.Host("/pub/hard2")).st_ino, Lstat(root_.Host("/priv/file")).st_ino);
}

TEST_F(HandlersTest, ChownFollowsUnlessNofollow) {
  symlink("/priv/file", root_.Host("/pub/link").c_str());
  EXPECT_EQ(server_.Do(protocol::Fchownat{RootCreds(), Root(), "/pub/link", 1234, 5678, 0}).value, 0);
  EXPECT_EQ(Lstat(root_.Host("/priv/file")).st_uid, 1234u);
  EXPECT_EQ(Lstat(root_.Host("/priv/file")).st_gid, 5678u);
  EXPECT_EQ(server_.Do(protocol::Fchownat{RootCreds(), Root(), "/pub/link", 42, 0xffffffff, AT_SYMLINK_NOFOLLOW})
                .value,
            0);
  EXPECT_EQ(Lstat(root_.Host("/pub/link")).st_uid, 42u);
  EXPECT_EQ(Lstat(root_.Host("/priv/file")).st_uid, 1234u);
  EXPECT_EQ(server_.Do(protocol::Fchownat{UserCreds(), Root(), "/pub/link", 1000, 1000, 0}).value, -EPERM);
  EXPECT_EQ(server_.Do(protocol::Fchmodat{RootCreds(), Root(), "/pub/link", 0600, AT_SYMLINK_NOFOLLOW}).value,
            -EOPNOTSUPP);
}

TEST_F(HandlersTest, Utimensat) {
  symlink("/priv/file", root_.Host("/pub/link").c_str());
  EXPECT_EQ(server_.Do(protocol::Utimensat{RootCreds(), Root(), "/pub/link", 1000, 0, 2000, 5, 0}).value, 0);
  EXPECT_EQ(Lstat(root_.Host("/priv/file")).st_mtim.tv_sec, 2000);
  EXPECT_EQ(Lstat(root_.Host("/priv/file")).st_atim.tv_sec, 1000);
  EXPECT_EQ(server_.Do(protocol::Utimensat{RootCreds(), Root(), "/pub/link", 0, UTIME_OMIT, 3000, 0,
                                           AT_SYMLINK_NOFOLLOW})
                .value,
            0);
  EXPECT_EQ(Lstat(root_.Host("/pub/link")).st_mtim.tv_sec, 3000);
  EXPECT_EQ(Lstat(root_.Host("/priv/file")).st_mtim.tv_sec, 2000);
  EXPECT_EQ(server_.Do(protocol::Utimensat{UserCreds(), Root(), "/priv/file", 1, 0, 1, 0, 0}).value, -EPERM);
}

TEST_F(HandlersTest, Truncate) {
  EXPECT_EQ(server_.Do(protocol::Truncate{RootCreds(), Root(), "/priv/file", 2}).value, 0);
  EXPECT_EQ(Lstat(root_.Host("/priv/file")).st_size, 2);
  EXPECT_EQ(server_.Do(protocol::Truncate{UserCreds(), Root(), "/priv/file", 0}).value, -EACCES);
  EXPECT_EQ(server_.Do(protocol::Truncate{RootCreds(), Root(), "/priv", 0}).value, -EISDIR);
  EXPECT_EQ(server_.Do(protocol::Truncate{RootCreds(), Root(), "/priv/file", -1}).value, -EINVAL);
  ASSERT_EQ(mkfifo(root_.Host("/pub/fifo").c_str(), 0666), 0);
  EXPECT_EQ(server_.Do(protocol::Truncate{RootCreds(), Root(), "/pub/fifo", 0}).value, -EINVAL);
}

// The caller's RLIMIT_FSIZE (fsize_limit): beyond it EFBIG and the size is
// unchanged; the checks before it (the walk, the permission) come first.
TEST_F(HandlersTest, TruncateKeepsTheCallersFileSizeLimit) {
  EXPECT_EQ(server_.Do(protocol::Truncate{RootCreds(), Root(), "/priv/file", 8192, 4096}).value, -EFBIG);
  EXPECT_EQ(Lstat(root_.Host("/priv/file")).st_size, 5);  // "hello"
  EXPECT_EQ(server_.Do(protocol::Truncate{RootCreds(), Root(), "/priv/file", 4096, 4096}).value, 0);
  EXPECT_EQ(Lstat(root_.Host("/priv/file")).st_size, 4096);
  EXPECT_EQ(server_.Do(protocol::Truncate{RootCreds(), Root(), "/priv/missing", 8192, 4096}).value, -ENOENT);
  EXPECT_EQ(server_.Do(protocol::Truncate{UserCreds(), Root(), "/priv/file", 8192, 4096}).value, -EACCES);
}

// The fd forms (fchmod, fsetxattr... on a file the workload holds): the
// client's fd with its own path and "" + AT_EMPTY_PATH. The gofer acts on
// that very inode, and answers ESTALE when its walk reaches another one.
TEST_F(HandlersTest, FdFormsActOnTheClientsFileItself) {
  platform::UniqueFd file(open(root_.Host("/priv/file").c_str(), O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(file.valid());
  auto fd_form = [&](protocol::RequestBody body) { return server_.Do(std::move(body), {file.get()}).value; };
  EXPECT_EQ(fd_form(protocol::Fchmodat{RootCreds(), At("/priv/file"), "", 0640, AT_EMPTY_PATH}), 0);
  EXPECT_EQ(Lstat(root_.Host("/priv/file")).st_mode & 07777, 0640u);
  EXPECT_EQ(fd_form(protocol::Fchownat{RootCreds(), At("/priv/file"), "", 1000, 1000, AT_EMPTY_PATH}), 0);
  EXPECT_EQ(Lstat(root_.Host("/priv/file")).st_uid, 1000u);
  EXPECT_EQ(fd_form(protocol::Setxattr{RootCreds(), At("/priv/file"), "", "user.fd", "v", 0, AT_EMPTY_PATH}), 0);
  char value[8] = {};
  EXPECT_EQ(getxattr(root_.Host("/priv/file").c_str(), "user.fd", value, sizeof(value)), 1);
  EXPECT_EQ(fd_form(protocol::Removexattr{RootCreds(), At("/priv/file"), "", "user.fd", AT_EMPTY_PATH}), 0);
  EXPECT_EQ(fd_form(protocol::Removexattr{RootCreds(), At("/priv/file"), "", "user.fd", AT_EMPTY_PATH}), -ENODATA);
  // Attack: the client names another file than the fd's: nothing is changed.
  WriteFile(root_.Host("/pub/other"), "x", 0644);
  EXPECT_EQ(fd_form(protocol::Fchmodat{RootCreds(), At("/pub/other"), "", 0600, AT_EMPTY_PATH}), -ESTALE);
  EXPECT_EQ(fd_form(protocol::Setxattr{RootCreds(), At("/pub/other"), "", "user.fd", "v", 0, AT_EMPTY_PATH}),
            -ESTALE);
  EXPECT_EQ(Lstat(root_.Host("/pub/other")).st_mode & 07777, 0644u);
  // ...nor through a file outside the gofer's root (an fd from the host).
  platform::UniqueFd outside(open("/proc/self/exe", O_RDONLY | O_CLOEXEC));
  EXPECT_EQ(server_.Do(protocol::Fchmodat{RootCreds(), At("/priv/file"), "", 0600, AT_EMPTY_PATH}, {outside.get()})
                .value,
            -ESTALE);
}

TEST_F(HandlersTest, Xattrs) {
  std::string value("\x00\xff", 2);
  EXPECT_EQ(server_.Do(protocol::Setxattr{RootCreds(), Root(), "/priv/file", "user.test", value, XATTR_CREATE, 0})
                .value,
            0);
  char buffer[8] = {};
  EXPECT_EQ(getxattr(root_.Host("/priv/file").c_str(), "user.test", buffer, sizeof(buffer)), 2);
  EXPECT_EQ(std::string(buffer, 2), value);
  EXPECT_EQ(server_.Do(protocol::Setxattr{RootCreds(), Root(), "/priv/file", "user.test", value, XATTR_CREATE, 0})
                .value,
            -EEXIST);
  EXPECT_EQ(server_.Do(protocol::Setxattr{UserCreds(), Root(), "/priv/file", "user.x", value, 0, 0}).value, -EACCES);
  EXPECT_EQ(server_.Do(protocol::Setxattr{RootCreds(), Root(), "/priv/file", "user.x", value, 0, 0x4000}).value,
            -EINVAL);
  EXPECT_EQ(server_.Do(protocol::Removexattr{RootCreds(), Root(), "/priv/file", "user.test", 0}).value, 0);
  EXPECT_LT(getxattr(root_.Host("/priv/file").c_str(), "user.test", buffer, sizeof(buffer)), 0);
  EXPECT_EQ(server_.Do(protocol::Removexattr{RootCreds(), Root(), "/priv/file", "user.test", 0}).value, -ENODATA);
}

TEST_F(HandlersTest, MknodRefusesDevicesButNotFifos) {
  EXPECT_EQ(server_.Do(protocol::Mknodat{RootCreds(), Root(), "/pub/null", S_IFCHR | 0666, makedev(1, 3)}).value,
            -EPERM);
  EXPECT_EQ(server_.Do(protocol::Mknodat{RootCreds(), Root(), "/pub/sda", S_IFBLK | 0666, makedev(8, 0)}).value,
            -EPERM);
  EXPECT_EQ(server_.Do(protocol::Mknodat{UserCreds(), Root(), "/pub/fifo", S_IFIFO | 0666, 0}).value, 0);
  EXPECT_TRUE(S_ISFIFO(Lstat(root_.Host("/pub/fifo")).st_mode));
  EXPECT_EQ(server_.Do(protocol::Mknodat{UserCreds(), Root(), "/pub/reg", S_IFREG | 0666, 0}).value, 0);
}

TEST(HandlersPolicyTest, MknodAllowsWhatTheDeviceRulesAllow) {
  TempDir root;
  chmod(root.path().c_str(), 0777);  // so that only CAP_MKNOD decides
  ServerOptions options;
  options.devices = {*platform::ParseDeviceCgroupRule(false, "a"), *platform::ParseDeviceCgroupRule(true, "c 1:3 rwm")};
  ServerHarness server(root, options);
  server.Greet();
  EXPECT_EQ(server.Do(protocol::Mknodat{RootCreds(), Root(), "/null", S_IFCHR | 0666, makedev(1, 3)}).value, 0);
  EXPECT_EQ(server.Do(protocol::Mknodat{RootCreds(), Root(), "/zero", S_IFCHR | 0666, makedev(1, 5)}).value, -EPERM);
  // The caller still needs CAP_MKNOD.
  EXPECT_EQ(server.Do(protocol::Mknodat{UserCreds(), Root(), "/null2", S_IFCHR | 0666, makedev(1, 3)}).value,
            -EPERM);
}

TEST_F(HandlersTest, BindUnixBindsTheCallersSocket) {
  platform::UniqueFd sock(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  platform::UniqueFd pub = DirFd("/pub");
  EXPECT_EQ(server_.Do(protocol::BindUnix{UserCreds(), At("/pub"), "app.sock"}, {pub.get(), sock.get()}).value, 0);
  struct stat st = Lstat(root_.Host("/pub/app.sock"));
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_uid, 1000u);
  EXPECT_EQ(st.st_mode & 0777, 0755u);
  // The caller's own socket is bound: it listens and is reachable.
  ASSERT_EQ(listen(sock.get(), 1), 0);
  struct sockaddr_un address = {};
  address.sun_family = AF_UNIX;
  std::string host = root_.Host("/pub/app.sock");
  ASSERT_LT(host.size(), sizeof(address.sun_path));
  memcpy(address.sun_path, host.data(), host.size());
  platform::UniqueFd peer(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  EXPECT_EQ(connect(peer.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  // Not an AF_UNIX socket; a root-owned directory.
  platform::UniqueFd inet(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  EXPECT_EQ(server_.Do(protocol::BindUnix{UserCreds(), Root(), "/pub/x.sock"}, {inet.get()}).value, -EINVAL);
  platform::UniqueFd other(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  EXPECT_EQ(server_.Do(protocol::BindUnix{UserCreds(), Root(), "/priv/x.sock"}, {other.get()}).value, -EACCES);
}

}  // namespace
}  // namespace gofer::testing
