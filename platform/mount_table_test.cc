#include "platform/mount_table.h"

#include <gtest/gtest.h>

#include <sstream>

namespace platform {
namespace {

constexpr char kTable[] =
    "22 1 0:20 / / rw,relatime - ext4 /dev/vda rw\n"
    "30 22 0:21 /data /data rw,nosuid - ext4 /dev/vda rw\n"
    "31 30 0:22 / /data/sub ro,relatime - ext4 /dev/vdb rw\n"
    "32 30 0:23 / /data/with\\040space rw - tmpfs tmpfs rw\n"
    "33 22 0:24 / /database rw - tmpfs tmpfs rw\n"
    "34 30 0:25 / /data/sub rw - tmpfs tmpfs rw\n"
    "bad line\n";

std::vector<MountEntry> Table() {
  std::istringstream in(kTable);
  return ParseMountTable(in);
}

TEST(MountTableTest, ParsesFieldsAndSkipsMalformedLines) {
  std::vector<MountEntry> table = Table();
  ASSERT_EQ(table.size(), 6u);
  EXPECT_EQ(table[1].root, "/data");
  EXPECT_EQ(table[1].mount_point, "/data");
  EXPECT_EQ(table[1].mount_options, "rw,nosuid");
  EXPECT_FALSE(table[1].read_only());
  EXPECT_TRUE(table[2].read_only());
  EXPECT_EQ(table[3].mount_point, "/data/with space");
  EXPECT_EQ(table[3].fs_type, "tmpfs");
}

TEST(MountTableTest, VisibleMountsUnderAPathAreTheTopOnesBeneathIt) {
  std::vector<MountEntry> under = VisibleMountsUnder(Table(), "/data");
  std::vector<std::string> points;
  for (const MountEntry& entry : under) points.push_back(entry.mount_point);
  // /database is not beneath /data; the read-only /data/sub is hidden by the tmpfs on it.
  EXPECT_EQ(points, (std::vector<std::string>{"/data", "/data/with space", "/data/sub"}));
  EXPECT_FALSE(under.back().read_only());
  EXPECT_EQ(VisibleMountsUnder(Table(), "/").size(), 5u);
}

}  // namespace
}  // namespace platform
