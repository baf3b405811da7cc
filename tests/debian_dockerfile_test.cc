// Issue 16: a Dockerfile with `RUN apt-get install -y ./x.deb` builds on a
// dockerd whose default runtime is runsc. The test starts that dockerd itself,
// in mount and network namespaces of its own (a tmpfs over /run/containerd, so
// it runs its own containerd; no host network changes), on its own socket, pid
// file, exec root, data root, config file and cgroup parent, imports the compat
// image there, builds with the classic builder (DOCKER_BUILDKIT=0, --network
// none), then stops the daemon and removes its state. The main dockerd is never
// touched.
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "fmt/format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/debian_compat_support.h"
#include "tests/debian_image.h"
#include "tests/leftovers.h"

namespace runsc::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;
using namespace std::chrono_literals;

class PrivateDockerd {
 public:
  PrivateDockerd() : dir_(fmt::format("/tmp/runsc-dockerd-{}", getpid())) {}
  ~PrivateDockerd() { Stop(); }

  // Starts the daemon; "" once it answers, else why not.
  std::string Start() {
    fs::create_directories(dir_);
    std::ofstream(dir_ + "/daemon.json") << "{}\n";
    std::string command = fmt::format(
        "unshare --mount --net --propagation private sh -c 'mount -t tmpfs "
        "tmpfs /run/containerd && exec dockerd "
        "--config-file {0}/daemon.json --host unix://{0}/docker.sock --pidfile "
        "{0}/docker.pid --exec-root {0}/exec "
        "--data-root {0}/data --bridge none --iptables=false --ip-masq=false "
        "--ip-forward=false "
        "--cgroup-parent /{1} --add-runtime runsc={2} --default-runtime runsc' "
        ">{0}/dockerd.log 2>&1 &",
        dir_, CgroupParent(), RUNSC_DOCKER_TEST_RUNSC);
    if (Sh(command).code != 0) return "starting dockerd failed";
    started_ = true;
    if (WaitUntil(
            [&] { return Sh(Cli() + " version >/dev/null 2>&1").code == 0; },
            60s))
      return "";
    return "the private dockerd did not answer within 60 s:\n" +
           Sh("tail -n 20 " + dir_ + "/dockerd.log").out;
  }

  // The docker command line for this daemon.
  std::string Cli() const {
    return fmt::format("docker -H unix://{}/docker.sock", dir_);
  }
  const std::string& dir() const { return dir_; }

 private:
  std::string CgroupParent() const {
    return fmt::format("runsc-test-dockerd-{}", getpid());
  }

  // SIGTERM, then SIGKILL after 30 s; then the state and the cgroup parent go.
  void Stop() {
    if (!started_) return;
    std::string pid =
        Trim(Sh(fmt::format("cat {}/docker.pid 2>/dev/null", dir_)).out);
    if (!pid.empty()) {
      kill(std::stoi(pid), SIGTERM);
      if (!WaitUntil([&] { return kill(std::stoi(pid), 0) != 0; }, 30s))
        kill(std::stoi(pid), SIGKILL);
    }
    // Its mounts were in its own mount namespace, gone with its last process.
    Sh(fmt::format("rm -rf --one-file-system '{}'", dir_), 120s);
    Sh(
        fmt::format("find /sys/fs/cgroup -depth -type d -path '*/{}*' -exec "
                    "rmdir {{}} \\; 2>/dev/null",
                    CgroupParent()));
    started_ = false;
  }

  std::string dir_;
  bool started_ = false;
};

TEST(DebianDockerfileTest,
     AptGetInstallOfALocalDebBuildsWithRunscAsTheDefaultRuntime) {
  if (geteuid() != 0) GTEST_SKIP() << "dockerd needs root";
  if (Sh("command -v dockerd && command -v unshare && command -v containerd")
          .code != 0) {
    GTEST_SKIP() << "dockerd, containerd and unshare are needed";
  }
  std::string skip = DebootstrapPrecondition(CompatRootfs());
  if (!skip.empty()) GTEST_SKIP() << skip;
  std::string why = MakeCompatRootfs();
  std::string inputs = why.empty() ? CompatInputs(&why) : "";
  ASSERT_EQ(why, "");
  PrivateDockerd daemon;
  ASSERT_EQ(daemon.Start(), "");
  EXPECT_EQ(Trim(Sh(daemon.Cli() + " info --format '{{.DefaultRuntime}}'").out),
            "runsc");
  ASSERT_EQ(ImportCompatImage(daemon.Cli()), "");
  std::string context = daemon.dir() + "/context";
  fs::create_directories(context);
  fs::copy(inputs + "/debs", context, fs::copy_options::recursive);
  std::ofstream(context + "/Dockerfile") << fmt::format(
      "FROM {}\n"
      "WORKDIR /tmp\n"
      "COPY runsc-test-y_1.0_all.deb runsc-test-x_1.0_all.deb ./\n"
      "RUN apt-get install -y ./runsc-test-y_1.0_all.deb "
      "./runsc-test-x_1.0_all.deb\n"
      "RUN dpkg-query -W -f '${{Package}} ${{Status}}\\n' runsc-test-x "
      "runsc-test-y > /installed\n",
      kCompatImage);
  Shell built =
      Sh(fmt::format(
             "DOCKER_BUILDKIT=0 {} build --network none -t runsc-test-built {}",
             daemon.Cli(), context),
         600s);
  ASSERT_EQ(built.code, 0) << built;
  Shell ran =
      Sh(fmt::format("{} run --rm --network none runsc-test-built sh -c "
                     "'cat /installed /var/lib/runsc-test/x.postinst'",
                     daemon.Cli()),
         120s);
  EXPECT_EQ(ran.code, 0) << ran;
  EXPECT_THAT(ran.out,
              HasSubstr("runsc-test-x install ok installed\nrunsc-test-y "
                        "install ok installed\nconfigure\n"))
      << ran;
  // A container of the built image runs under runsc: dockerd gives every
  // runtime the runc shim's root, and the container's state there has runsc's
  // control socket (runc has none).
  std::string id =
      Trim(Sh(daemon.Cli() + " run -d --network none runsc-test-built sleep 60")
               .out);
  EXPECT_TRUE(fs::exists(fmt::format("{}/exec/runtime-runc/moby/{}/sentry.sock",
                                     daemon.dir(), id)))
      << Sh("find " + daemon.dir() + "/exec -maxdepth 4").out;
  Sh(fmt::format("{} rm -f {}", daemon.Cli(), id));
  EXPECT_THAT(Sh("cat " + daemon.dir() + "/dockerd.log").out,
              Not(HasSubstr("level=error")))
      << "dockerd.log";
}

}  // namespace
}  // namespace runsc::testing
