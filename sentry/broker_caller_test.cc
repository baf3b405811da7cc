#include "sentry/broker_caller.h"

#include <errno.h>
#include <grp.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fmt/format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "platform/status_matchers.h"
#include "sentry/caller_test_util.h"

namespace sentry {
namespace {

using ::platform::testing::IsOk;
using testing::WaitingChild;

constexpr char kStatus[] =
    "Name:\tsh\nUmask:\t0027\nState:\tS (sleeping)\nTgid:\t4100\nNgid:\t0\nPid:\t4101\nPPid:\t1\n"
    "Uid:\t1000\t1001\t1002\t1003\nGid:\t2000\t2001\t2002\t2003\nFDSize:\t64\nGroups:\t10 20 30 \n"
    "NStgid:\t4100\t7\nNSpid:\t4101\t9\nNSpgid:\t4100\t7\nCapInh:\t0000000000000000\n"
    "CapPrm:\t00000000a80425fb\nCapEff:\t00000000a80425fb\n";

TEST(ParseProcStatusTest, TakesTheFsIdsGroupsCapsUmaskAndContainerPids) {
  absl::StatusOr<CallerInfo> info = ParseProcStatus(kStatus);
  ASSERT_THAT(info, IsOk());
  EXPECT_EQ(info->creds.fsuid, 1003u);
  EXPECT_EQ(info->creds.fsgid, 2003u);
  EXPECT_EQ(info->creds.umask, 0027u);
  EXPECT_EQ(info->creds.cap_effective, 0xa80425fbu);
  EXPECT_THAT(info->creds.groups, ::testing::ElementsAre(10u, 20u, 30u));
  EXPECT_EQ(info->tgid, 4100);
  EXPECT_EQ(info->pids.tgid, 7);
  EXPECT_EQ(info->pids.tid, 9);
}

TEST(ParseProcStatusTest, TooManyGroupsIsEpermNeverAPartialList) {
  std::string groups = "Groups:\t";
  for (int i = 0; i < 1025; ++i) groups += fmt::format("{} ", i);
  std::string text = std::string(kStatus) + groups + "\n";
  text.replace(text.find("Groups:\t10 20 30 \n"), 18, "");
  absl::StatusOr<CallerInfo> info = ParseProcStatus(text);
  ASSERT_FALSE(info.ok());
  EXPECT_EQ(AnswerErrno(info.status()), EPERM);
}

TEST(ParseProcStatusTest, OurOwnStatusParses) {
  absl::StatusOr<CallerInfo> info = ReadCallerInfo(static_cast<pid_t>(syscall(SYS_gettid)));
  ASSERT_THAT(info, IsOk());
  EXPECT_EQ(info->creds.fsuid, geteuid());
  EXPECT_EQ(info->tgid, getpid());
}

// A directory any uid may enter, removed afterwards.
struct OpenTempDir {
  OpenTempDir() {
    char templ[] = "/tmp/broker-caller-XXXXXX";
    path = mkdtemp(templ);
    chmod(path.c_str(), 0777);
  }
  ~OpenTempDir() { (void)!system(fmt::format("rm -rf {}", path).c_str()); }
  std::string path;
};

// A uid-1000 child in `dir` holding fd 5 = a file, fd 6 = `dir`.
std::string BecomeUser1000In(const std::string& dir) {
  if (chdir(dir.c_str()) != 0) return "chdir";
  int file = open((dir + "/file").c_str(), O_CREAT | O_WRONLY, 0600);
  if (file < 0 || dup2(file, 5) != 5) return "file";
  int directory = open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (directory < 0 || dup2(directory, 6) != 6) return "dir";
  if (setgroups(0, nullptr) != 0 || setgid(1000) != 0 || setuid(1000) != 0) return "setuid";
  return "";
}

TEST(OpenCallerDirTest, OpensTheCwdAndDirfdsOfANonRootCaller) {
  OpenTempDir dir;
  WaitingChild child([&] { return BecomeUser1000In(dir.path); });
  ASSERT_EQ(child.report(), "ok");
  absl::StatusOr<CallerDir> cwd = OpenCallerDir(child.pid(), {DirRef::Kind::kCwd, -1});
  ASSERT_THAT(cwd, IsOk());
  EXPECT_EQ(cwd->path, dir.path);
  absl::StatusOr<CallerDir> dirfd = OpenCallerDir(child.pid(), {DirRef::Kind::kFd, 6});
  ASSERT_THAT(dirfd, IsOk());
  EXPECT_EQ(dirfd->path, dir.path);
  // The fd is the very directory (the gofer compares st_dev/st_ino with it).
  struct stat ours, theirs;
  ASSERT_EQ(stat(dir.path.c_str(), &ours), 0);
  ASSERT_EQ(fstat(dirfd->fd.get(), &theirs), 0);
  EXPECT_EQ(ours.st_ino, theirs.st_ino);
  EXPECT_EQ(fcntl(dirfd->fd.get(), F_GETFL) & O_PATH, O_PATH);
  absl::StatusOr<CallerDir> root = OpenCallerDir(child.pid(), {DirRef::Kind::kRoot, -1});
  ASSERT_THAT(root, IsOk());
  EXPECT_EQ(root->path, "/");
}

TEST(OpenCallerDirTest, AFileIsEnotdirAMissingFdEbadfADeletedCwdEnoent) {
  OpenTempDir dir;
  const std::string gone = dir.path + "/gone";
  ASSERT_EQ(mkdir(gone.c_str(), 0777), 0);
  WaitingChild child([&] {
    std::string failure = BecomeUser1000In(dir.path);
    return failure.empty() && chdir(gone.c_str()) != 0 ? "chdir gone" : failure;
  });
  ASSERT_EQ(child.report(), "ok");
  EXPECT_EQ(AnswerErrno(OpenCallerDir(child.pid(), {DirRef::Kind::kFd, 5}).status()), ENOTDIR);
  EXPECT_EQ(AnswerErrno(OpenCallerDir(child.pid(), {DirRef::Kind::kFd, 77}).status()), EBADF);
  ASSERT_EQ(rmdir(gone.c_str()), 0);
  EXPECT_EQ(AnswerErrno(OpenCallerDir(child.pid(), {DirRef::Kind::kCwd, -1}).status()), ENOENT);
}

// The claim the protocol's dir_path rests on: the path of a directory of a
// pivot_root'ed process, read from outside its mount namespace, is relative
// to its (the container's) root.
TEST(OpenCallerDirTest, PathsOfAPivotRootedCallerAreContainerPaths) {
  OpenTempDir dir;
  const std::string root = dir.path + "/rootfs";
  ASSERT_EQ(mkdir(root.c_str(), 0755), 0);
  ASSERT_EQ(mkdir((root + "/work").c_str(), 0755), 0);
  ASSERT_EQ(mkdir((root + "/work/sub").c_str(), 0755), 0);
  WaitingChild child([&]() -> std::string {
    if (unshare(CLONE_NEWNS) != 0) return "unshare";
    if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) return "private";
    if (mount(root.c_str(), root.c_str(), nullptr, MS_BIND, nullptr) != 0) return "bind";
    if (chdir(root.c_str()) != 0 || syscall(SYS_pivot_root, ".", ".") != 0) return "pivot_root";
    if (umount2(".", MNT_DETACH) != 0) return "umount old root";
    if (chdir("/work/sub") != 0) return "chdir";
    return "";
  });
  ASSERT_EQ(child.report(), "ok");
  absl::StatusOr<CallerDir> cwd = OpenCallerDir(child.pid(), {DirRef::Kind::kCwd, -1});
  ASSERT_THAT(cwd, IsOk());
  EXPECT_EQ(cwd->path, "/work/sub");
  absl::StatusOr<CallerDir> own_root = OpenCallerDir(child.pid(), {DirRef::Kind::kRoot, -1});
  ASSERT_THAT(own_root, IsOk());
  EXPECT_EQ(own_root->path, "/");
  // And its root is not ours: the broker's chroot check tells them apart.
  absl::StatusOr<DirIdentity> theirs = RootIdentity(child.pid());
  absl::StatusOr<DirIdentity> ours = RootIdentity(getpid());
  ASSERT_THAT(theirs, IsOk());
  ASSERT_THAT(ours, IsOk());
  EXPECT_FALSE(*theirs == *ours);
}

TEST(TakeCallerSocketTest, DuplicatesASocketAndRefusesOtherFds) {
  WaitingChild child([] {
    int sock = socket(AF_UNIX, SOCK_STREAM, 0);
    return sock >= 0 && dup2(sock, 7) == 7 && dup2(0, 8) == 8 ? "" : "socket";
  });
  ASSERT_EQ(child.report(), "ok");
  absl::StatusOr<platform::UniqueFd> socket = TakeCallerSocket(child.pid(), 7);
  ASSERT_THAT(socket, IsOk());
  int domain = 0;
  socklen_t len = sizeof(domain);
  ASSERT_EQ(getsockopt(socket->get(), SOL_SOCKET, SO_DOMAIN, &domain, &len), 0);
  EXPECT_EQ(domain, AF_UNIX);
  EXPECT_EQ(AnswerErrno(TakeCallerSocket(child.pid(), 8).status()), ENOTSOCK);
  EXPECT_EQ(AnswerErrno(TakeCallerSocket(child.pid(), 99).status()), EBADF);
}

}  // namespace
}  // namespace sentry
