// Docker with a Debian 12 image: a minbase rootfs made with debootstrap from the Debian archive,
// once per build dir (cached in RUNSC_DOCKER_TEST_CACHE), and `docker import`ed (never pulled).
#include <string>

#include "fmt/format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/debian_image.h"
#include "tests/docker_support.h"

namespace runsc::testing {
namespace {

using ::testing::ContainsRegex;
using ::testing::HasSubstr;

constexpr char kDebianImage[] = "runsc-test-debian";

std::string CacheDir() { return RUNSC_DOCKER_TEST_CACHE; }
std::string DebianRoot() { return CacheDir() + "/debian-bookworm"; }

TEST_F(DockerTest, DebianImage) {
  std::string skip = DebootstrapPrecondition(DebianRoot());
  if (!skip.empty() && Sh(fmt::format("docker image inspect {} >/dev/null 2>&1", kDebianImage)).code != 0) {
    GTEST_SKIP() << skip;
  }
  ASSERT_EQ(ImportDebootstrapImage(DebianRoot(), "", kDebianImage), "");
  Shell r = Sh(fmt::format("docker run --rm --runtime={} --network none {} "
                           "bash -c 'apt --version; id; cat /etc/debian_version'",
                           runtime_, kDebianImage));
  EXPECT_EQ(r.code, 0) << r;
  EXPECT_THAT(r.out, ContainsRegex("^apt 2\\.6\\.[0-9]+ \\(amd64\\)\n")) << r;
  EXPECT_THAT(r.out, HasSubstr("\nuid=0(root) gid=0(root) groups=0(root)\n")) << r;
  EXPECT_THAT(r.out, ContainsRegex("\n12\\.[0-9]+\n$")) << r;
}

}  // namespace
}  // namespace runsc::testing
