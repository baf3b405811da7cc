#include "platform/cgroup_systemd.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace platform {
namespace {

TEST(SystemdCgroupsPathTest, DockerScopeInSystemSlice) {
  absl::StatusOr<SystemdUnitPath> path =
      ParseSystemdCgroupsPath("system.slice:docker:abc", "abc");
  ASSERT_TRUE(path.ok()) << path.status();
  EXPECT_EQ(path->slice, "system.slice");
  EXPECT_EQ(path->unit, "docker-abc.scope");
  EXPECT_EQ(path->CgroupPath(), "/system.slice/docker-abc.scope");
  EXPECT_FALSE(path->is_slice());
}

TEST(SystemdCgroupsPathTest, EmptySliceIsSystemSliceAndEmptyPathIsRunscsScope) {
  EXPECT_EQ(ParseSystemdCgroupsPath(":p:n", "id")->CgroupPath(),
            "/system.slice/p-n.scope");
  EXPECT_EQ(ParseSystemdCgroupsPath("", "id")->unit, "runsc-id.scope");
  EXPECT_EQ(ParseSystemdCgroupsPath("a.slice::n", "id")->unit, "n.scope");
}

TEST(SystemdCgroupsPathTest, DashedSlicesNest) {
  absl::StatusOr<SystemdUnitPath> path = ParseSystemdCgroupsPath(
      "kubepods-besteffort-podX.slice:cri-containerd:abc", "abc");
  ASSERT_TRUE(path.ok()) << path.status();
  EXPECT_EQ(path->CgroupPath(),
            "/kubepods.slice/kubepods-besteffort.slice/"
            "kubepods-besteffort-podX.slice/cri-containerd-abc.scope");
  EXPECT_EQ(*ExpandSlice("-.slice"), "/");
  EXPECT_EQ(ParseSystemdCgroupsPath("-.slice:p:n", "n")->CgroupPath(),
            "/p-n.scope");
}

TEST(SystemdCgroupsPathTest, NameEndingInSliceMakesASlice) {
  absl::StatusOr<SystemdUnitPath> path = ParseSystemdCgroupsPath(
      "kubepods.slice:x:kubepods-burstable.slice", "id");
  ASSERT_TRUE(path.ok()) << path.status();
  EXPECT_TRUE(path->is_slice());
  EXPECT_EQ(path->unit, "kubepods-burstable.slice");
}

TEST(SystemdCgroupsPathTest, ErrorsNameTheField) {
  for (const char* bad : {"/docker/abc", "a:b", "a:b:c:d", "nosuffix:p:n",
                          "a--b.slice:p:n", "-a.slice:p:n", "a/b.slice:p:n",
                          "system.slice:p:", "system.slice:p:a/b"}) {
    absl::StatusOr<SystemdUnitPath> path = ParseSystemdCgroupsPath(bad, "id");
    ASSERT_FALSE(path.ok()) << bad;
    EXPECT_THAT(std::string(path.status().message()),
                testing::HasSubstr("config.json: linux.cgroupsPath: "))
        << bad;
  }
}

}  // namespace
}  // namespace platform
