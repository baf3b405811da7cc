#include "sentry/broker_paths.h"

#include "gtest/gtest.h"

namespace sentry {
namespace {

constexpr CallerPids kCaller{7, 9};  // tgid 7, tid 9 in the container

TEST(BrokerPathsTest, NormalisesLexically) {
  EXPECT_EQ(NormalizeLexically("/"), "/");
  EXPECT_EQ(NormalizeLexically("//a/./b//"), "/a/b");
  EXPECT_EQ(NormalizeLexically("/a/../../b"), "/b");
  EXPECT_EQ(NormalizeLexically("/.."), "/");
  EXPECT_EQ(JoinLexically("/work", "../proc/x"), "/proc/x");
  EXPECT_EQ(JoinLexically("/", "a"), "/a");
}

TEST(BrokerPathsTest, ProcSysAndDevAreVirtualHostStorageIsNot) {
  for (const char* path : {"/proc", "/proc/sys/kernel/x", "/sys/fs/cgroup/x", "/dev/null", "/dev/shm/f",
                           "//dev//shm", "/tmp/../dev/x", "/../proc/1"}) {
    EXPECT_TRUE(IsVirtualFileSystemPath(path)) << path;
  }
  for (const char* path : {"/", "/procfs", "/device", "/tmp/proc", "/system/x", "/dev/../etc/passwd", "/proc/../x"}) {
    EXPECT_FALSE(IsVirtualFileSystemPath(path)) << path;
  }
}

// Issue 15: a host bind beneath /dev (Kubernetes' /dev/termination-log) is
// host storage like any other bind: brokered, not left to the kernel.
TEST(BrokerPathsTest, HostBindsBeneathDevAreNotVirtual) {
  const std::vector<std::string> binds = {"/dev/termination-log", "/dev/data"};
  for (const char* path : {"/dev/termination-log", "/dev/data", "/dev/data/x", "/dev/../dev/data/y"}) {
    EXPECT_FALSE(IsVirtualFileSystemPath(path, binds)) << path;
  }
  for (const char* path : {"/dev/null", "/dev/termination-log2", "/dev/database", "/proc/x"}) {
    EXPECT_TRUE(IsVirtualFileSystemPath(path, binds)) << path;
  }
}

TEST(BrokerPathsTest, TranslatesTheCallersOwnMagicLinks) {
  auto expect = [](const char* path, MagicLink::Kind kind, int fd, const char* rest) {
    std::optional<MagicLink> link = ParseMagicLink(path, kCaller);
    ASSERT_TRUE(link.has_value()) << path;
    EXPECT_EQ(link->kind, kind) << path;
    EXPECT_EQ(link->fd, fd) << path;
    EXPECT_EQ(link->rest, rest) << path;
  };
  expect("/proc/self/cwd/a/b", MagicLink::Kind::kCwd, -1, "a/b");
  expect("/proc/thread-self/root/etc/x", MagicLink::Kind::kRoot, -1, "etc/x");
  expect("/proc/self/fd/3/new", MagicLink::Kind::kFd, 3, "new");
  expect("/proc/7/fd/12", MagicLink::Kind::kFd, 12, "");
  expect("/proc/9/cwd/x", MagicLink::Kind::kCwd, -1, "x");            // the thread's own /proc/<tid>
  expect("/proc/7/task/9/cwd/x/", MagicLink::Kind::kCwd, -1, "x/");   // trailing slash kept
  expect("/proc/self/task/9/fd/0/x", MagicLink::Kind::kFd, 0, "x");
  expect("//proc/./self//cwd//x/../y", MagicLink::Kind::kCwd, -1, "x/../y");  // rest verbatim
  expect("/proc/self/cwd", MagicLink::Kind::kCwd, -1, "");
}

// Attacks: paths that must not be taken for the caller's own links (they go
// to the kernel, against the workload's read-only view, or to the gofer).
TEST(BrokerPathsTest, OtherProcessesAndTrickySpellingsAreNotTranslated) {
  for (const char* path : {"/proc/8/cwd/x",          // another process
                           "/proc/7/task/8/cwd/x",   // another thread
                           "/proc/07/cwd/x",         // /proc refuses leading zeros
                           "/proc/+7/cwd/x", "/proc/self/fd/03/x", "/proc/self/fd/-1/x",
                           "/proc/self/../8/cwd/x",  // ".." among the leading components
                           "/proc/self/exe", "/proc/self/fd", "/proc/self/fdinfo/3", "/proc/self/task/9",
                           "proc/self/cwd/x",        // relative: only the path's own text counts
                           "/procx/self/cwd/x", "/tmp/proc/self/cwd/x", "/proc/self/fd/99999999999/x"}) {
    EXPECT_FALSE(ParseMagicLink(path, kCaller).has_value()) << path;
  }
}

}  // namespace
}  // namespace sentry
