// Hole 1 of issue 15: host devices reached through the gofer. A device node on
// host-backed storage (shipped in the image, or made by the workload with
// CAP_MKNOD and named through a rootfs symlink) must not be opened for writing
// on the workload's behalf: the spec's device rules (here runc's default: no
// device but the standard ones) forbid it. Under runc every such open is EPERM
// (the device cgroup), and mknod of a forbidden device is EPERM too.
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <string>

#include "fmt/format.h"
#include "tests/attacks/attack_test_base.h"

namespace runsc::testing {
namespace {

class DeviceAttackTest : public AttackTest {
 protected:
  // Makes a device node `name` in the bundle's rootfs, as an image can ship
  // one.
  void ShipNode(BundleBuilder& bundle, const std::string& name, mode_t kind,
                unsigned maj, unsigned min) {
    ASSERT_EQ(mknod((bundle.rootfs() + "/" + name).c_str(), kind | 0666,
                    makedev(maj, min)),
              0)
        << name;
  }
};
RUNSC_INSTANTIATE_FOR_RUNTIMES(DeviceAttackTest);

// The image ships /imgloop = b 7:N (the test's own loop device) and the
// workload opens it O_RDWR and writes: a brokered open the gofer would perform
// on the host device. runc: open EPERM.
TEST_P(DeviceAttackTest, ABlockDeviceTheImageShipsIsNotOpenedForWriting) {
  LoopDevice loop(tmp() + "/loop-backing", 64 * 1024);
  if (!loop.ok()) GTEST_SKIP() << loop.error();
  ASSERT_TRUE(loop.HoldsPattern())
      << "precondition: the fresh loop device reads back its pattern";
  BundleBuilder bundle = AttackBundle();
  ShipNode(bundle, "imgloop", S_IFBLK, 7, loop.minor());
  RunResult result =
      RunScript(bundle, "/bin/attack open img.loop /imgloop rdwr write");
  EXPECT_TRUE(loop.HoldsPattern())
      << "the workload wrote the host's " << loop.device() << "\n"
      << result;
  EXPECT_EQ(Outcome(result.out, "img.loop"), "EPERM") << result;
}

// The workload makes /dev/hostloop = b 7:N natively on the /dev tmpfs
// (CAP_MKNOD), points a symlink on the rootfs at it and opens the symlink
// O_RDWR (brokered: /tmp is on the rootfs), and also opens the node directly.
// runc: mknod EPERM, so every open fails (ENOENT/EPERM).
TEST_P(DeviceAttackTest,
       ABlockDeviceTheWorkloadMakesIsNotReachedThroughARootfsSymlink) {
  LoopDevice loop(tmp() + "/loop-backing", 64 * 1024);
  if (!loop.ok()) GTEST_SKIP() << loop.error();
  ASSERT_TRUE(loop.HoldsPattern())
      << "precondition: the fresh loop device reads back its pattern";
  BundleBuilder bundle = AttackBundle();
  RunResult result = RunScript(
      bundle, fmt::format("/bin/attack mknod mk /dev/hostloop b 7 {};"
                          "/bin/attack symlink mk.link /dev/hostloop /tmp/l;"
                          "/bin/attack open mk.viasymlink /tmp/l rdwr write;"
                          "/bin/attack open mk.direct /dev/hostloop rdwr write",
                          loop.minor()));
  EXPECT_TRUE(loop.HoldsPattern())
      << "the workload wrote the host's " << loop.device() << "\n"
      << result;
  EXPECT_EQ(Outcome(result.out, "mk.link"), "ok")
      << "precondition: the symlink on the rootfs\n"
      << result;
  EXPECT_TRUE(Refused(result, "mk.viasymlink"));
  EXPECT_TRUE(Refused(result, "mk.direct"));
}

// /dev/kmsg (c 1:11), shipped by the image and made by the workload, opened
// O_WRONLY (never written: a successful open is the whole reach). runc: EPERM
// (and mknod EPERM).
TEST_P(DeviceAttackTest, KmsgIsNotOpenedForWriting) {
  struct stat st;
  if (stat("/dev/kmsg", &st) != 0 || !S_ISCHR(st.st_mode) ||
      st.st_rdev != makedev(1, 11)) {
    GTEST_SKIP() << "the host has no /dev/kmsg (c 1:11)";
  }
  BundleBuilder bundle = AttackBundle();
  ShipNode(bundle, "imgkmsg", S_IFCHR, 1, 11);
  RunResult result = RunScript(bundle,
                               "/bin/attack open img.kmsg /imgkmsg wronly;"
                               "/bin/attack mknod mk /dev/kmsg2 c 1 11;"
                               "/bin/attack symlink mk.link /dev/kmsg2 /tmp/k;"
                               "/bin/attack open mk.viasymlink /tmp/k wronly");
  EXPECT_EQ(Outcome(result.out, "img.kmsg"), "EPERM") << result;
  EXPECT_EQ(Outcome(result.out, "mk.link"), "ok")
      << "precondition: the symlink on the rootfs\n"
      << result;
  EXPECT_TRUE(Refused(result, "mk.viasymlink"));
}

}  // namespace
}  // namespace runsc::testing
