// Integration tests of the container's filesystem: rootfs, mounts, devices, masked/readonly paths.
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "tests/integration_test_base.h"

namespace runsc::testing {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;

class FilesystemTest : public IntegrationTest {
 protected:
  // A host directory under the test's tmp dir holding one file "data" with "host data".
  std::string HostDir() {
    std::string dir = tmp() + "/hostdir";
    std::filesystem::create_directories(dir);
    std::ofstream(dir + "/data") << "host data";
    return dir;
  }
};
RUNSC_INSTANTIATE_FOR_RUNTIMES(FilesystemTest);

TEST_P(FilesystemTest, ReadonlyRootfsRefusesWrites) {
  BundleBuilder bundle = NewBundle();
  bundle.ReadonlyRoot(true).Args({"/bin/payload", "write", "/newfile"});
  RunResult result = RunInBundle(bundle);
  EXPECT_EQ(result.exit_code, 1) << result;
  EXPECT_EQ(result.out, "EROFS\n");
  EXPECT_FALSE(std::filesystem::exists(bundle.rootfs() + "/newfile"));
}

TEST_P(FilesystemTest, WritableRootfsAcceptsWrites) {
  BundleBuilder bundle = NewBundle();
  bundle.ReadonlyRoot(false).Args({"/bin/payload", "write", "/newfile"});
  RunResult result = RunInBundle(bundle);
  EXPECT_EQ(result.exit_code, 0) << result;
  EXPECT_EQ(result.out, "ok\n");
  EXPECT_EQ(ReadFile(bundle.rootfs() + "/newfile"), "x");
}

TEST_P(FilesystemTest, TmpfsMountWithOptions) {
  BundleBuilder bundle = NewBundle();
  bundle.AddMount("/mnt/t", "tmpfs", "tmpfs", {"nosuid", "nodev", "noexec", "size=1m", "mode=700"})
      .Args({"sh", "-c",
             "/bin/payload mountopts /mnt/t; /bin/payload stat /mnt/t; "
             "/bin/payload write /mnt/t/f; cp /bin/payload /mnt/t/p; /bin/payload exec /mnt/t/p"});
  RunResult result = RunInBundle(bundle);
  std::istringstream lines(result.out);
  std::string opts, stat, write, exec;
  std::getline(lines, opts);
  std::getline(lines, stat);
  std::getline(lines, write);
  std::getline(lines, exec);
  EXPECT_THAT(opts, MatchesRegex("[^ ]*nosuid,nodev,noexec[^ ]* tmpfs .*size=1024k.*")) << result;
  EXPECT_THAT(opts, HasSubstr("mode=700")) << result;
  EXPECT_THAT(stat, ::testing::StartsWith("dir 0:0 0700 ")) << result;
  EXPECT_EQ(write, "ok") << result;
  EXPECT_EQ(exec, "EACCES") << result;  // noexec
}

TEST_P(FilesystemTest, ReadonlyBindMount) {
  std::string host = HostDir();
  BundleBuilder bundle = NewBundle();
  bundle.AddMount("/mnt/ro", "bind", host, {"rbind", "ro"})
      .Args({"sh", "-c", "/bin/payload cat /mnt/ro/data; echo; /bin/payload write /mnt/ro/new"});
  RunResult result = RunInBundle(bundle);
  EXPECT_EQ(result.out, "host data\nEROFS\n") << result;
  EXPECT_FALSE(std::filesystem::exists(host + "/new"));
}

TEST_P(FilesystemTest, ReadWriteBindMountWithNosuid) {
  std::string host = HostDir();
  BundleBuilder bundle = NewBundle();
  bundle.AddMount("/mnt/rw", "bind", host, {"bind", "rw", "nosuid"})
      .Args({"sh", "-c", "/bin/payload write /mnt/rw/new; /bin/payload mountopts /mnt/rw"});
  RunResult result = RunInBundle(bundle);
  EXPECT_EQ(result.exit_code, 0) << result;
  // runsc: host storage is read-only in the workload's own view; the write
  // above went through the gofer (tests/brokered_fs_test.cc).
  EXPECT_THAT(result.out, MatchesRegex(IsRunsc() ? "ok\nro,nosuid[^ ]* .*\n" : "ok\nrw,nosuid[^ ]* .*\n")) << result;
  EXPECT_EQ(ReadFile(host + "/new"), "x");
}

TEST_P(FilesystemTest, DefaultDevicesAndSymlinks) {
  RunResult result = RunPayload({"sh", "-c",
                                 "for d in null zero full random urandom tty fd stdin stdout "
                                 "stderr ptmx; do /bin/payload stat /dev/$d; done"});
  EXPECT_EQ(result.exit_code, 0) << result;
  std::istringstream lines(result.out);
  std::vector<std::string> got;
  std::string line;
  while (std::getline(lines, line)) got.push_back(line);
  ASSERT_EQ(got.size(), 11u) << result;
  EXPECT_THAT(got[0], ::testing::StartsWith("char 1:3 0666"));
  EXPECT_THAT(got[1], ::testing::StartsWith("char 1:5 0666"));
  EXPECT_THAT(got[2], ::testing::StartsWith("char 1:7 0666"));
  EXPECT_THAT(got[3], ::testing::StartsWith("char 1:8 0666"));
  EXPECT_THAT(got[4], ::testing::StartsWith("char 1:9 0666"));
  EXPECT_THAT(got[5], ::testing::StartsWith("char 5:0 0666"));
  EXPECT_THAT(got[6], AllOf(::testing::StartsWith("symlink"), ::testing::EndsWith("-> /proc/self/fd")));
  EXPECT_THAT(got[7], ::testing::EndsWith("-> /proc/self/fd/0"));
  EXPECT_THAT(got[8], ::testing::EndsWith("-> /proc/self/fd/1"));
  EXPECT_THAT(got[9], ::testing::EndsWith("-> /proc/self/fd/2"));
  EXPECT_THAT(got[10], AllOf(::testing::StartsWith("symlink"), ::testing::EndsWith("-> pts/ptmx")));
}

TEST_P(FilesystemTest, LinuxDevicesAreCreated) {
  BundleBuilder bundle = NewBundle();
  bundle.Device("/dev/it-zero", "c", 1, 5, 0640)
      .Args({"sh", "-c", "/bin/payload stat /dev/it-zero; head -c 3 /dev/it-zero | wc -c"});
  RunResult result = RunInBundle(bundle);
  EXPECT_EQ(result.exit_code, 0) << result;
  EXPECT_THAT(result.out, MatchesRegex("char 1:5 0640 0:0\n *3\n")) << result;
}

TEST_P(FilesystemTest, MaskedPathsReadEmpty) {
  BundleBuilder bundle = NewBundle();
  bundle.MaskedPath("/etc/passwd").MaskedPath("/root")
      .Args({"sh", "-c",
             "/bin/payload cat /proc/keys; /bin/payload cat /etc/passwd; /bin/payload ls /root; "
             "/bin/payload write /etc/passwd; /bin/payload write /root/x; echo end"});
  ASSERT_TRUE(bundle.Write().ok());
  std::ofstream(bundle.rootfs() + "/root/secret") << "secret";
  RunResult result = rt().Run({"run", "--bundle", bundle.dir(), NewId()});
  EXPECT_EQ(result.exit_code, 0) << result;
  // Reads are empty (/proc/keys is in runc's default list); a masked file reads like /dev/null
  // and swallows writes; a masked directory is an empty read-only tmpfs.
  EXPECT_EQ(result.out, "ok\nEROFS\nend\n") << result;
}

TEST_P(FilesystemTest, ReadonlyPathsRefuseWrites) {
  BundleBuilder bundle = NewBundle();
  bundle.ReadonlyRoot(false).ReadonlyPath("/etc")
      .Args({"sh", "-c",
             "/bin/payload write /etc/new; /bin/payload write /proc/sys/kernel/hostname; "
             "/bin/payload write /newfile"});
  RunResult result = RunInBundle(bundle);
  EXPECT_EQ(result.out, "EROFS\nEROFS\nok\n") << result;
}

}  // namespace
}  // namespace runsc::testing
