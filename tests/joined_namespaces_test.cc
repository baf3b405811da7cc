// Integration tests of joining existing ipc, uts and pid namespaces by path. The namespaces
// belong to helper processes (`unshare ... sleep`) that the test starts and kills.
#include <string>

#include "fmt/format.h"
#include "tests/host_process.h"
#include "tests/integration_test_base.h"

namespace runsc::testing {
namespace {

using ::testing::HasSubstr;

class JoinedNamespacesTest : public IntegrationTest {};
RUNSC_INSTANTIATE_FOR_RUNTIMES(JoinedNamespacesTest);

// True once `pid` runs `comm` (i.e. the helper finished its set-up and exec'd it).
bool Runs(pid_t pid, const std::string& comm) {
  return ReadFile(fmt::format("/proc/{}/comm", pid)) == comm + "\n";
}

TEST_P(JoinedNamespacesTest, JoinsIpcAndUtsNamespacesByPath) {
  HostProcess helper({"/usr/bin/unshare", "--ipc", "--uts", "/bin/sh", "-c",
                      "hostname it-joined && exec sleep 1000"});
  ASSERT_GT(helper.pid(), 0);
  ASSERT_TRUE(WaitUntil([&] { return Runs(helper.pid(), "sleep"); }));
  std::string ipc = NamespaceOf(helper.pid(), "ipc");
  std::string uts = NamespaceOf(helper.pid(), "uts");
  ASSERT_NE(ipc, NamespaceOf(getpid(), "ipc"));
  ASSERT_NE(uts, NamespaceOf(getpid(), "uts"));

  BundleBuilder bundle = NewBundle();
  // No "hostname": setting it would change the joined namespace's (runc refuses nothing here).
  bundle.MergePatch({{"hostname", nullptr}})
      .Namespace("ipc", fmt::format("/proc/{}/ns/ipc", helper.pid()))
      .Namespace("uts", fmt::format("/proc/{}/ns/uts", helper.pid()))
      .Args({"sh", "-c", "readlink /proc/self/ns/ipc; readlink /proc/self/ns/uts; /bin/payload hostname"});
  RunResult run = RunInBundle(bundle);
  EXPECT_EQ(run.exit_code, 0) << run;
  EXPECT_EQ(run.out, fmt::format("{}\n{}\nit-joined\n", ipc, uts)) << run;
}

TEST_P(JoinedNamespacesTest, JoinsAPidNamespaceByPath) {
  // `unshare --pid --fork` makes its child (sleep) the init of a new pid namespace.
  HostProcess helper({"/usr/bin/unshare", "--pid", "--fork", "--kill-child", "sleep", "1000"});
  ASSERT_GT(helper.pid(), 0);
  pid_t ns_init = -1;
  ASSERT_TRUE(WaitUntil([&] {
    std::vector<pid_t> children = helper.Children();
    if (children.empty() || !Runs(children[0], "sleep")) return false;
    ns_init = children[0];
    return true;
  }));
  std::string pid_ns = NamespaceOf(ns_init, "pid");
  ASSERT_NE(pid_ns, NamespaceOf(getpid(), "pid"));

  BundleBuilder bundle = NewBundle();
  bundle.Namespace("pid", fmt::format("/proc/{}/ns/pid", ns_init))
      .Args({"sh", "-c", "readlink /proc/self/ns/pid; /bin/payload pid; /bin/payload cat "
                         "/proc/1/cmdline"});
  RunResult run = RunInBundle(bundle);
  EXPECT_EQ(run.exit_code, 0) << run;
  std::istringstream lines(run.out);
  std::string ns, pid, init_cmdline;
  std::getline(lines, ns);
  std::getline(lines, pid);
  std::getline(lines, init_cmdline);
  EXPECT_EQ(ns, pid_ns) << run;
  EXPECT_NE(pid, "1") << run;  // The namespace's init is the helper's sleep.
  EXPECT_THAT(init_cmdline, HasSubstr("sleep")) << run;
}

}  // namespace
}  // namespace runsc::testing
