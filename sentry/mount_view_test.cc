#include "sentry/mount_view.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace sentry {
namespace {

// A container's table: its rootfs and /data made read-only by the init, a
// bind read-only in the spec, /proc (not host storage) and a mount point
// with a space.
constexpr char kMountinfo[] =
    "601 540 8:1 /var/lib/runsc/bundle/rootfs / ro,nosuid,relatime - ext4 "
    "/dev/sda1 rw\n"
    "602 601 0:22 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw\n"
    "603 601 8:1 /srv/data /data ro,nosuid,relatime master:1 - ext4 /dev/sda1 "
    "rw\n"
    "604 601 8:1 /srv/ro /ro ro,nosuid,relatime - ext4 /dev/sda1 rw\n"
    "605 601 8:1 /srv/sp /my\\040dir ro,relatime - ext4 /dev/sda1 rw\n";

constexpr char kMounts[] =
    "/dev/sda1 / ext4 ro,nosuid,relatime 0 0\n"
    "proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0\n"
    "/dev/sda1 /data ext4 ro,nosuid,relatime 0 0\n"
    "/dev/sda1 /ro ext4 ro,nosuid,relatime 0 0\n"
    "/dev/sda1 /my\\040dir ext4 ro,relatime 0 0\n";

TEST(MountViewTest, WritableMountIdsAreTheDestinationsMadeReadOnly) {
  EXPECT_EQ(WritableMountIds(kMountinfo, {"/", "/data", "/my dir"}),
            (std::set<uint64_t>{601, 603, 605}));
  EXPECT_EQ(WritableMountIds(kMountinfo, {"/proc", "/missing"}),
            std::set<uint64_t>{});  // /proc is rw already
}

TEST(MountViewTest, TheLastReadOnlyMountAtAPointIsTheOne) {
  const std::string stacked =
      std::string(kMountinfo) +
      "606 603 8:1 /other /data ro,relatime - ext4 /dev/sda1 rw\n";
  EXPECT_EQ(WritableMountIds(stacked, {"/data"}), std::set<uint64_t>{606});
}

TEST(MountViewTest, MountinfoShowsOnlyTheWritableMountsAsRw) {
  EXPECT_EQ(
      ShowMountinfoWritable(kMountinfo, {601, 603}),
      "601 540 8:1 /var/lib/runsc/bundle/rootfs / rw,nosuid,relatime - ext4 "
      "/dev/sda1 rw\n"
      "602 601 0:22 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw\n"
      "603 601 8:1 /srv/data /data rw,nosuid,relatime master:1 - ext4 "
      "/dev/sda1 rw\n"
      "604 601 8:1 /srv/ro /ro ro,nosuid,relatime - ext4 /dev/sda1 rw\n"
      "605 601 8:1 /srv/sp /my\\040dir ro,relatime - ext4 /dev/sda1 rw\n");
  EXPECT_EQ(ShowMountinfoWritable(kMountinfo, {}), kMountinfo);
}

TEST(MountViewTest, MountsFollowsMountinfoLineByLine) {
  EXPECT_EQ(ShowMountsWritable(kMounts, kMountinfo, {603, 605}),
            "/dev/sda1 / ext4 ro,nosuid,relatime 0 0\n"
            "proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0\n"
            "/dev/sda1 /data ext4 rw,nosuid,relatime 0 0\n"
            "/dev/sda1 /ro ext4 ro,nosuid,relatime 0 0\n"
            "/dev/sda1 /my\\040dir ext4 rw,relatime 0 0\n");
}

TEST(MountViewTest, MountsLinesThatDoNotMatchMountinfoStayAsTheyAre) {
  // Read at different times: the tables disagree, nothing is guessed.
  EXPECT_EQ(
      ShowMountsWritable("/dev/sda1 /other ext4 ro 0 0\n", kMountinfo, {601}),
      "/dev/sda1 /other ext4 ro 0 0\n");
  EXPECT_EQ(ShowMountsWritable("junk\n\n", kMountinfo, {601}), "junk\n\n");
}

TEST(MountViewTest, MalformedMountinfoIsLeftAlone) {
  EXPECT_EQ(ShowMountinfoWritable("x y\nno-id a b c / ro\n", {601}),
            "x y\nno-id a b c / ro\n");
  EXPECT_EQ(WritableMountIds("x y\n\n", {"/"}), std::set<uint64_t>{});
}

}  // namespace
}  // namespace sentry
