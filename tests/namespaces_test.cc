// Integration tests of namespaces, hostname/domainname, joining a netns by path, and sysctl.
#include <sys/stat.h>

#include <cstdlib>
#include <string>

#include "fmt/format.h"
#include "tests/integration_test_base.h"

namespace runsc::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;

class NamespacesTest : public IntegrationTest {};
RUNSC_INSTANTIATE_FOR_RUNTIMES(NamespacesTest);

TEST_P(NamespacesTest, InitSeesOnlyItsOwnPidNamespace) {
  RunResult pid = RunPayload({"/bin/payload", "pid"});
  EXPECT_EQ(pid.exit_code, 0) << pid;
  EXPECT_EQ(pid.out, "1\n");
  RunResult pids = RunPayload({"/bin/payload", "pids"});
  EXPECT_EQ(pids.exit_code, 0) << pids;
  EXPECT_EQ(pids.out, "1\n");  // /proc of the container lists the payload alone.
}

TEST_P(NamespacesTest, EveryNamespaceDiffersFromTheHost) {
  BundleBuilder bundle = NewBundle();
  bundle.Namespace("cgroup").Args(
      {"sh", "-c", "for n in pid net ipc uts mnt cgroup; do readlink /proc/self/ns/$n; done"});
  RunResult result = RunInBundle(bundle);
  ASSERT_EQ(result.exit_code, 0) << result;
  std::string host;
  for (const char* ns : {"pid", "net", "ipc", "uts", "mnt", "cgroup"}) {
    std::string link = std::filesystem::read_symlink(fmt::format("/proc/self/ns/{}", ns));
    EXPECT_THAT(result.out, ::testing::Not(HasSubstr(link))) << ns;
    EXPECT_THAT(result.out, HasSubstr(std::string(ns) + ":[")) << ns;
  }
}

TEST_P(NamespacesTest, CgroupNamespaceRootsTheCgroupView) {
  BundleBuilder bundle = NewBundle();
  bundle.Namespace("cgroup").Args({"/bin/payload", "cat", "/proc/self/cgroup"});
  RunResult result = RunInBundle(bundle);
  ASSERT_EQ(result.exit_code, 0) << result;
  std::istringstream lines(result.out);
  std::string line;
  int count = 0;
  while (std::getline(lines, line)) {
    ++count;
    EXPECT_THAT(line, MatchesRegex("[0-9]+:[^:]*:/")) << result.out;
  }
  EXPECT_GT(count, 0);
}

TEST_P(NamespacesTest, HostnameIsSet) {
  BundleBuilder bundle = NewBundle();
  bundle.Hostname("it-host").Args({"/bin/payload", "hostname"});
  RunResult result = RunInBundle(bundle);
  EXPECT_EQ(result.exit_code, 0) << result;
  EXPECT_EQ(result.out, "it-host\n");
}

TEST_P(NamespacesTest, DomainnameIsSet) {
  // runc 1.1 ignores "domainname" (runc 1.2 added it), so only runsc is held to it.
  if (!IsRunsc()) GTEST_SKIP() << "runc 1.1 does not implement domainname";
  BundleBuilder bundle = NewBundle();
  bundle.Domainname("it.example").Args({"/bin/payload", "domainname"});
  RunResult result = RunInBundle(bundle);
  EXPECT_EQ(result.exit_code, 0) << result;
  EXPECT_EQ(result.out, "it.example\n");
}

TEST_P(NamespacesTest, NewNetworkNamespaceHasOnlyLoopback) {
  RunResult result = RunPayload({"/bin/payload", "ifaces"});
  EXPECT_EQ(result.exit_code, 0) << result;
  EXPECT_EQ(result.out, "lo\n");
}

// runc brings lo up in a new network namespace: 127.0.0.1 must work
// (issue 18: it was DOWN under runsc, "Network is unreachable").
TEST_P(NamespacesTest, LoopbackIsUpAndReachableInANewNetworkNamespace) {
  BundleBuilder bundle = NewBundle();
  bundle.Args({"sh", "-c",
               "cat /sys/class/net/lo/flags; (nc -l -p 7070 > /dev/shm/lo.out &); sleep 0.3; "
               "echo ping | nc -w 1 127.0.0.1 7070; sleep 0.3; cat /dev/shm/lo.out"});
  RunResult result = RunInBundle(bundle);
  EXPECT_EQ(result.exit_code, 0) << result;
  EXPECT_EQ(result.out, "0x9\nping\n") << result;  // IFF_UP | IFF_LOOPBACK
}

TEST_P(NamespacesTest, JoinsANetworkNamespaceByPath) {
  std::string name = "runsc-" + tmp().substr(tmp().size() - 6);
  ASSERT_EQ(std::system(fmt::format("ip netns add {}", name).c_str()), 0);
  struct NetnsGuard {
    std::string name;
    ~NetnsGuard() { std::system(fmt::format("ip netns del {}", name).c_str()); }
  } guard{name};
  std::string path = "/run/netns/" + name;
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  BundleBuilder bundle = NewBundle();
  bundle.Namespace("network", path).Args({"readlink", "/proc/self/ns/net"});
  RunResult result = RunInBundle(bundle);
  EXPECT_EQ(result.exit_code, 0) << result;
  EXPECT_EQ(result.out, fmt::format("net:[{}]\n", st.st_ino));
}

TEST_P(NamespacesTest, SysctlIsAppliedInsideTheNetworkNamespaceOnly) {
  std::string host_before = ReadFile("/proc/sys/net/ipv4/ip_forward");
  std::string wanted = host_before == "1\n" ? "0" : "1";
  BundleBuilder bundle = NewBundle();
  bundle.Sysctl("net.ipv4.ip_forward", wanted).Args({"/bin/payload", "sysctl", "net.ipv4.ip_forward"});
  RunResult result = RunInBundle(bundle);
  EXPECT_EQ(result.exit_code, 0) << result;
  EXPECT_EQ(result.out, wanted + "\n");
  EXPECT_EQ(ReadFile("/proc/sys/net/ipv4/ip_forward"), host_before);
}

}  // namespace
}  // namespace runsc::testing
