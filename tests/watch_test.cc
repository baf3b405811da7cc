// What file watchers and supervisors observe (issue 16): inotify events of
// operations the sentry brokers, and PR_SET_PDEATHSIG. The expectations are
// Linux's, so the same tests pass under runc
// (RUNSC_TEST_RUNTIME=/usr/sbin/runc). The payload is tests/payload/watch.c.
#include <sys/stat.h>

#include <filesystem>
#include <string>

#include "tests/integration_test_base.h"

namespace runsc::testing {
namespace {

namespace fs = std::filesystem;

// `payload inotify DIR CASE` on a writable mount, as Linux prints it.
constexpr char kTruncationOnLinux[] =
    "truncation.watch ok\n"
    "open.O_TRUNC: wd1:OPEN wd1:MODIFY\n"
    "close: wd1:CLOSE_WRITE\n"
    "rewrite: wd1:OPEN wd1:MODIFY wd1:CLOSE_WRITE\n"
    "truncate ok\n"
    "truncate: wd1:MODIFY\n"
    "ftruncate ok\n"
    "ftruncate+close: wd1:OPEN wd1:MODIFY wd1:CLOSE_WRITE\n"
    "rm_watch: wd1:IGNORED\n";
constexpr char kLateWatchOnLinux[] =
    "late.watch ok\n"
    "close.writer: wd1:CLOSE_WRITE\n"
    "close.reader: wd1:CLOSE_NOWRITE\n"
    "rm_watch: wd1:IGNORED\n";
constexpr char kHardLinkOnLinux[] =
    "link ok\n"
    "link.same_wd yes\n"
    "write.through.link: wd1:MODIFY wd1:CLOSE_WRITE\n"
    "chmod.through.file: wd1:ATTRIB\n"
    "rm_watch: wd1:IGNORED\n";

class WatchTest : public IntegrationTest {
 protected:
  // Runs the payload with `args` in a bundle with a writable root and a host
  // dir at /data.
  RunResult RunWithData(std::vector<std::string> args) {
    std::string host = tmp() + "/data";
    fs::create_directories(host);
    BundleBuilder bundle = NewBundle();
    fs::create_directories(bundle.rootfs() + "/work");
    bundle.ReadonlyRoot(false)
        .AddMount("/data", "bind", host, {"rbind", "rw"})
        .Args(std::move(args));
    return RunInBundle(bundle);
  }
};
RUNSC_INSTANTIATE_FOR_RUNTIMES(WatchTest);

TEST_P(WatchTest, TruncatingOpenAndTruncateAreModificationsOnTheRootfs) {
  RunResult result =
      RunWithData({"/bin/payload", "inotify", "/work", "truncation"});
  EXPECT_EQ(result.exit_code, 0) << result;
  EXPECT_EQ(result.out, kTruncationOnLinux) << result;
}

TEST_P(WatchTest, TruncatingOpenAndTruncateAreModificationsOnABindMount) {
  RunResult result =
      RunWithData({"/bin/payload", "inotify", "/data", "truncation"});
  EXPECT_EQ(result.exit_code, 0) << result;
  EXPECT_EQ(result.out, kTruncationOnLinux) << result;
}

TEST_P(WatchTest, TruncatingOpenAndTruncateAreModificationsOnTmpfs) {
  RunResult result =
      RunWithData({"/bin/payload", "inotify", "/dev/shm", "truncation"});
  EXPECT_EQ(result.exit_code, 0) << result;
  EXPECT_EQ(result.out, kTruncationOnLinux) << result;
}

TEST_P(WatchTest, AWatchAddedAfterAnOpenSeesItsCloseOnTheRootfs) {
  RunResult result = RunWithData({"/bin/payload", "inotify", "/work", "late"});
  EXPECT_EQ(result.exit_code, 0) << result;
  EXPECT_EQ(result.out, kLateWatchOnLinux) << result;
}

TEST_P(WatchTest, AWatchAddedAfterAnOpenSeesItsCloseOnABindMount) {
  RunResult result = RunWithData({"/bin/payload", "inotify", "/data", "late"});
  EXPECT_EQ(result.exit_code, 0) << result;
  EXPECT_EQ(result.out, kLateWatchOnLinux) << result;
}

TEST_P(WatchTest, AWatchAddedAfterAnOpenSeesItsCloseOnTmpfs) {
  RunResult result =
      RunWithData({"/bin/payload", "inotify", "/dev/shm", "late"});
  EXPECT_EQ(result.exit_code, 0) << result;
  EXPECT_EQ(result.out, kLateWatchOnLinux) << result;
}

TEST_P(WatchTest, HardLinksShareOneWatchOnTheRootfs) {
  RunResult result = RunWithData({"/bin/payload", "inotify", "/work", "link"});
  EXPECT_EQ(result.exit_code, 0) << result;
  EXPECT_EQ(result.out, kHardLinkOnLinux) << result;
}

TEST_P(WatchTest, HardLinksShareOneWatchOnABindMount) {
  RunResult result = RunWithData({"/bin/payload", "inotify", "/data", "link"});
  EXPECT_EQ(result.exit_code, 0) << result;
  EXPECT_EQ(result.out, kHardLinkOnLinux) << result;
}

TEST_P(WatchTest, HardLinksShareOneWatchOnTmpfs) {
  RunResult result =
      RunWithData({"/bin/payload", "inotify", "/dev/shm", "link"});
  EXPECT_EQ(result.exit_code, 0) << result;
  EXPECT_EQ(result.out, kHardLinkOnLinux) << result;
}

TEST_P(WatchTest, ParentDeathSignalReachesTheChild) {
  RunResult result = RunWithData({"/bin/payload", "pdeathsig"});
  EXPECT_EQ(result.exit_code, 0) << result;
  EXPECT_EQ(result.out,
            "pdeathsig.exit set=ok get=SIGUSR1 signal=USR1 reparented=yes\n"
            "pdeathsig.killed set=ok get=SIGUSR1 signal=USR1 reparented=yes\n")
      << result;
}

}  // namespace
}  // namespace runsc::testing
