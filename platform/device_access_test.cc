#include "platform/device_access.h"

#include <gtest/gtest.h>

namespace platform {
namespace {

std::vector<DeviceCgroupRule> Rules(std::vector<std::pair<bool, const char*>> texts) {
  std::vector<DeviceCgroupRule> rules;
  for (auto [allow, text] : texts) rules.push_back(*ParseDeviceCgroupRule(allow, text));
  return rules;
}

// Docker's default: deny everything, mknod of anything, use of the usual few.
std::vector<DeviceCgroupRule> DockerDefault() {
  return Rules({{false, "a"}, {true, "c *:* m"}, {true, "b *:* m"}, {true, "c 1:3 rwm"}, {true, "c 136:* rwm"}});
}

TEST(DeviceAccessTest, NoRuleDenies) {
  EXPECT_FALSE(DeviceAccessAllowed({}, 'c', 1, 3, "r"));
}

TEST(DeviceAccessTest, DockerDefaultAllowsMknodOfAnythingButOnlyUseOfItsList) {
  const auto rules = DockerDefault();
  EXPECT_TRUE(DeviceAccessAllowed(rules, 'b', 7, 0, "m"));
  EXPECT_FALSE(DeviceAccessAllowed(rules, 'b', 7, 0, "rw"));
  EXPECT_FALSE(DeviceAccessAllowed(rules, 'b', 7, 0, "r"));
  EXPECT_FALSE(DeviceAccessAllowed(rules, 'c', 1, 11, "w"));  // /dev/kmsg
  EXPECT_TRUE(DeviceAccessAllowed(rules, 'c', 1, 3, "rw"));
  EXPECT_TRUE(DeviceAccessAllowed(rules, 'c', 136, 4, "w"));
  EXPECT_FALSE(DeviceAccessAllowed(rules, 'b', 1, 3, "r"));  // the type matters
}

TEST(DeviceAccessTest, EveryAccessAskedForMustBeAllowed) {
  const auto rules = Rules({{false, "a"}, {true, "c 1:3 r"}});
  EXPECT_TRUE(DeviceAccessAllowed(rules, 'c', 1, 3, "r"));
  EXPECT_FALSE(DeviceAccessAllowed(rules, 'c', 1, 3, "rw"));
  EXPECT_FALSE(DeviceAccessAllowed(rules, 'c', 1, 3, ""));
}

TEST(DeviceAccessTest, TheLastRuleNamingTheDeviceWins) {
  const auto rules = Rules({{false, "a"}, {true, "c *:* rwm"}, {false, "c 1:11 w"}});
  EXPECT_TRUE(DeviceAccessAllowed(rules, 'c', 1, 11, "r"));
  EXPECT_FALSE(DeviceAccessAllowed(rules, 'c', 1, 11, "w"));
  EXPECT_TRUE(DeviceAccessAllowed(Rules({{false, "c 1:3 rwm"}, {true, "a"}}), 'c', 1, 3, "rwm"));
}

}  // namespace
}  // namespace platform
