// Holes 5 and 6 of issue 15: brokered calls must behave as the kernel's. (5) A
// brokered open that blocks (a fifo with no reader) holds only itself: under
// runc each open blocks its own thread and every other call goes on. (6)
// openat2 with unknown how.flags or how.resolve bits (or a mode without
// O_CREAT) is EINVAL, as on Linux, and creates nothing.
#include <fcntl.h>
#include <sys/stat.h>

#include <filesystem>
#include <string>

#include "fmt/format.h"
#include "tests/attacks/attack_test_base.h"

namespace runsc::testing {
namespace {

namespace fs = std::filesystem;

class BrokerAttackTest : public AttackTest {};
RUNSC_INSTANTIATE_FOR_RUNTIMES(BrokerAttackTest);

// Eight threads open /tmp/fifo (on the rootfs: brokered) O_WRONLY with no
// reader and block; then mkdir /tmp/probe (brokered) must finish within 5 s. A
// reader then releases the writers.
TEST_P(BrokerAttackTest, BlockedFifoOpensDoNotStallOtherBrokeredCalls) {
  BundleBuilder bundle = AttackBundle();
  fs::create_directories(bundle.rootfs() + "/tmp");
  ASSERT_EQ(mkfifo((bundle.rootfs() + "/tmp/fifo").c_str(), 0666), 0);
  RunResult result =
      RunScript(bundle, "/bin/attack fifoblock fifo /tmp/fifo 8 /tmp/probe");
  EXPECT_EQ(Outcome(result.out, "fifo.blocked"), "8")
      << "precondition: all eight opens block\n"
      << result;
  EXPECT_EQ(Outcome(result.out, "fifo.mkdir"), "ok") << result;
  EXPECT_TRUE(fs::is_directory(bundle.rootfs() + "/tmp/probe")) << result;
}

// openat2 with bits Linux does not know, on a read and on a create; a valid
// call first.
TEST_P(BrokerAttackTest, Openat2WithUnknownBitsIsEinvalAndCreatesNothing) {
  constexpr uint64_t kUnknownHigh = 1ULL << 40;
  constexpr uint64_t kUnknownResolve = 0x40;  // past RESOLVE_CACHED (0x20)
  constexpr uint64_t kCreate = O_WRONLY | O_CREAT;
  BundleBuilder bundle = AttackBundle();
  std::string script = fmt::format(
      "/bin/attack openat2 valid /tmp/o2-valid {0} 0644 0;"
      "/bin/attack openat2 flags /etc/passwd {1} 0 0;"
      "/bin/attack openat2 flags31 /etc/passwd {2} 0 0;"
      "/bin/attack openat2 flags.creat /tmp/o2-flags {3} 0644 0;"
      "/bin/attack openat2 resolve /etc/passwd 0 0 {4};"
      "/bin/attack openat2 resolve.high /etc/passwd 0 0 {1};"
      "/bin/attack openat2 resolve.creat /tmp/o2-resolve {0} 0644 {4};"
      "/bin/attack openat2 mode.nocreat /etc/passwd 0 0644 0",
      kCreate, kUnknownHigh, 0x80000000ULL, kCreate | kUnknownHigh,
      kUnknownResolve);
  RunResult result = RunScript(bundle, script);
  EXPECT_EQ(Outcome(result.out, "valid"), "ok")
      << "precondition: openat2 works\n"
      << result;
  for (const char* label : {"flags", "flags31", "flags.creat", "resolve",
                            "resolve.high", "resolve.creat", "mode.nocreat"}) {
    EXPECT_EQ(Outcome(result.out, label), "EINVAL") << label << "\n" << result;
  }
  EXPECT_FALSE(fs::exists(bundle.rootfs() + "/tmp/o2-flags")) << result;
  EXPECT_FALSE(fs::exists(bundle.rootfs() + "/tmp/o2-resolve")) << result;
}

}  // namespace
}  // namespace runsc::testing
