// Hole 3 of issue 15: masked paths (linux.maskedPaths, files) must be
// container-owned nodes, never binds of the HOST's /dev/null: attribute changes
// on a mask would otherwise change the host's /dev/null. The workload
// re-applies the owner, mode and times each masked file already has (no change
// at all), so the only trace a reach leaves is the host inode's ctime. runc
// masks with its own /dev/null, mknod'ed in the container's /dev tmpfs: a
// different inode, the host's untouched.
#include <filesystem>
#include <fstream>
#include <string>

#include "fmt/format.h"
#include "tests/attacks/attack_test_base.h"

namespace runsc::testing {
namespace {

class MaskAttackTest : public AttackTest {};
RUNSC_INSTANTIATE_FOR_RUNTIMES(MaskAttackTest);

// /proc/keys and /proc/timer_list (runc's default masks, on proc) and
// /etc/masked (a mask on the rootfs, where attribute changes are brokered):
// stat each, then chown/chmod/utimensat it to what it already is.
TEST_P(MaskAttackTest, ChangingAMaskedFileNeverTouchesTheHostsDevNull) {
  HostInode before = StatHost("/dev/null");
  ASSERT_NE(before.ino, 0u) << "precondition: the host has /dev/null";
  BundleBuilder bundle = AttackBundle();
  std::filesystem::create_directories(bundle.rootfs() + "/etc");
  std::ofstream(bundle.rootfs() + "/etc/masked") << "secret\n";
  bundle.MaskedPath("/etc/masked");
  RunResult result = RunScript(bundle,
                               "/bin/attack sameattrs keys /proc/keys;"
                               "/bin/attack sameattrs timer /proc/timer_list;"
                               "/bin/attack sameattrs etc /etc/masked");
  EXPECT_EQ(StatHost("/dev/null"), before) << "the host's /dev/null changed\n"
                                           << result;
  std::string host_inode = fmt::format("dev={} ino={}", before.dev, before.ino);
  for (const char* label : {"keys", "timer", "etc"}) {
    std::string inode = Outcome(result.out, std::string(label) + ".inode");
    if (inode.empty()) continue;  // the host kernel has no such /proc file
    EXPECT_NE(inode, host_inode) << label << " is the host's /dev/null\n"
                                 << result;
  }
  EXPECT_EQ(Outcome(result.out, "etc.stat"), "ok")
      << "precondition: the rootfs mask exists\n"
      << result;
}

}  // namespace
}  // namespace runsc::testing
