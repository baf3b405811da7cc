// Pure functions of the server: id mapping, device policy, path splitting.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "gofer/server/creds.h"
#include "gofer/server/handlers.h"
#include "gofer/server/policy.h"
#include "gofer/server/resolve.h"
#include "gtest/gtest.h"

namespace gofer {
namespace {

TEST(IdMapTest, HostIdsMapIntoTheNamespace) {
  std::vector<platform::IdMapping> map = {{0, 100000, 1000}, {5000, 300000, 10}};
  EXPECT_EQ(IdInNamespace(map, 100000), 0u);
  EXPECT_EQ(IdInNamespace(map, 100999), 999u);
  EXPECT_EQ(IdInNamespace(map, 101000), std::nullopt);
  EXPECT_EQ(IdInNamespace(map, 300009), 5009u);
  EXPECT_EQ(IdInNamespace(map, 0), std::nullopt);
  EXPECT_EQ(IdInNamespace({}, 1234), 1234u);  // identity
  EXPECT_EQ(IdInNamespace({{0, 0xffffff00, 0x100}}, 0xffffffff), 0xffu);  // no overflow at the top
}

TEST(IdMapTest, AnyUnmappedIdRefusesTheCreds) {
  IdMaps maps{{{0, 1000, 10}}, {{0, 2000, 10}}};
  protocol::Creds wire{1001, 2002, 022, 0, {2003}};
  std::optional<protocol::Creds> mapped = MapCreds(wire, maps);
  ASSERT_TRUE(mapped);
  EXPECT_EQ(mapped->fsuid, 1u);
  EXPECT_EQ(mapped->fsgid, 2u);
  EXPECT_EQ(mapped->groups, std::vector<uint32_t>{3});
  wire.groups.push_back(5);
  EXPECT_FALSE(MapCreds(wire, maps));
  EXPECT_FALSE(MapCreds(protocol::Creds{1001, 5, 0, 0, {}}, maps));
}

TEST(PolicyTest, MknodOfDevicesOnlyWhereTheRulesAllowIt) {
  auto rule = [](bool allow, const char* text) { return *platform::ParseDeviceCgroupRule(allow, text); };
  DeviceRules rules = {rule(false, "a"), rule(true, "c 1:3 rwm"), rule(true, "c 5:0 m"), rule(true, "b 8:1 m")};
  EXPECT_TRUE(MknodAllowed(rules, S_IFCHR | 0666, makedev(1, 3)));
  EXPECT_TRUE(MknodAllowed(rules, S_IFCHR, makedev(5, 0)));
  EXPECT_TRUE(MknodAllowed(rules, S_IFBLK, makedev(8, 1)));
  EXPECT_FALSE(MknodAllowed(rules, S_IFBLK, makedev(1, 3)));
  EXPECT_FALSE(MknodAllowed(rules, S_IFCHR, makedev(1, 5)));
  EXPECT_FALSE(MknodAllowed({rule(false, "a"), rule(true, "c 1:5 rw")}, S_IFCHR, makedev(1, 5)));  // no 'm'
  EXPECT_TRUE(MknodAllowed({rule(false, "a"), rule(true, "b *:* m")}, S_IFBLK, makedev(7, 0)));  // Docker's
  EXPECT_FALSE(MknodAllowed({}, S_IFCHR, makedev(1, 3)));
  EXPECT_TRUE(MknodAllowed({}, S_IFIFO | 0600, 0));
  EXPECT_TRUE(MknodAllowed({}, S_IFSOCK, 0));
  EXPECT_TRUE(MknodAllowed({}, S_IFREG, 0));
  EXPECT_TRUE(MknodAllowed({}, 0, 0));
}

TEST(SplitLastTest, KernelStyleLastComponent) {
  using P = std::pair<std::string, std::string>;
  EXPECT_EQ(SplitLast("a"), P("", "a"));
  EXPECT_EQ(SplitLast("/a"), P("/", "a"));
  EXPECT_EQ(SplitLast("/a/b"), P("/a/", "b"));
  EXPECT_EQ(SplitLast("a/b//"), P("a/", "b//"));
  EXPECT_EQ(SplitLast("a//b"), P("a//", "b"));
  EXPECT_EQ(SplitLast("/"), P("", "/"));
  EXPECT_EQ(SplitLast("///"), P("", "///"));
  EXPECT_EQ(SplitLast("a/.."), P("a/", ".."));
  EXPECT_EQ(SplitLast("."), P("", "."));
  EXPECT_EQ(SplitLast(""), P("", ""));
}

// The server's root fd is lent to absolute-path requests: a handler that
// takes ownership of a start gets a dup, and the root stays open.
TEST(StartFdTest, ABorrowedRootIsNeverGivenAway) {
  platform::UniqueFd root(open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
  ASSERT_TRUE(root.valid());
  {
    StartFd borrowed = StartFd::Borrowed(root.get());
    EXPECT_EQ(borrowed.get(), root.get());
    platform::UniqueFd taken = borrowed.Take();
    ASSERT_TRUE(taken.valid());
    EXPECT_NE(taken.get(), root.get());
    EXPECT_EQ(borrowed.get(), root.get());
  }
  EXPECT_EQ(fcntl(root.get(), F_GETFD), FD_CLOEXEC);  // still open after both went away
  platform::UniqueFd own(open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
  const int raw = own.get();
  StartFd owned = StartFd::Owned(std::move(own));
  EXPECT_EQ(owned.get(), raw);
  platform::UniqueFd taken = owned.Take();
  EXPECT_EQ(taken.get(), raw);  // the very fd, handed over
}

}  // namespace
}  // namespace gofer
