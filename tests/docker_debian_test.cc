// Docker with a Debian 12 image: a minbase rootfs made with debootstrap from the Debian archive,
// once per build dir (cached in RUNSC_DOCKER_TEST_CACHE), and `docker import`ed (never pulled).
#include <filesystem>
#include <string>

#include "fmt/format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/docker_support.h"

namespace runsc::testing {
namespace {

using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

constexpr char kDebianImage[] = "runsc-test-debian";

std::string CacheDir() { return RUNSC_DOCKER_TEST_CACHE; }
std::string DebianRoot() { return CacheDir() + "/debian-bookworm"; }
// Written once debootstrap has finished: a rootfs without it is incomplete.
std::string DebianDone() { return DebianRoot() + ".complete"; }

// Makes the rootfs (a few minutes) unless cached; "" on success, else what went wrong.
std::string MakeDebianRootfs() {
  if (std::filesystem::exists(DebianDone())) return "";
  std::string log = CacheDir() + "/debootstrap.log";
  // An interrupted debootstrap may leave /proc and /sys mounted in its target: unmount, then remove.
  Shell made = Sh(fmt::format("mkdir -p '{0}' && for m in proc sys dev/pts; do "
                              "mountpoint -q '{1}.tmp/'$m && umount -l '{1}.tmp/'$m; done; "
                              "rm -rf --one-file-system '{1}.tmp' && "
                              "debootstrap --variant=minbase bookworm '{1}.tmp' http://deb.debian.org/debian "
                              ">'{2}' 2>&1 && rm -rf --one-file-system '{1}' && mv '{1}.tmp' '{1}' && touch '{3}'",
                              CacheDir(), DebianRoot(), log, DebianDone()),
                  540s);
  if (made.code == 0) return "";
  return fmt::format("debootstrap failed ({}); the end of {}:\n{}", made.timed_out ? "timed out" : "exit status",
                     log, Sh("tail -n 20 '" + log + "'").out);
}

// Imports the cached rootfs as kDebianImage unless Docker has it; "" on success.
std::string ImportDebianImage() {
  if (Sh(fmt::format("docker image inspect {} >/dev/null 2>&1", kDebianImage)).code == 0) return "";
  std::string error = MakeDebianRootfs();
  if (!error.empty()) return error;
  Shell import =
      Sh(fmt::format("tar -C '{}' --numeric-owner -c . | docker import - {}", DebianRoot(), kDebianImage), 300s);
  return import.code == 0 ? "" : "docker import failed: " + import.err;
}

TEST_F(DockerTest, DebianImage) {
  if (!std::filesystem::exists(DebianDone()) && Sh("command -v debootstrap").code != 0 &&
      Sh(fmt::format("docker image inspect {} >/dev/null 2>&1", kDebianImage)).code != 0) {
    GTEST_SKIP() << "debootstrap is not installed (scripts/docker-daemons installs it), so there is no Debian image";
  }
  std::string error = ImportDebianImage();
  ASSERT_EQ(error, "");
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
