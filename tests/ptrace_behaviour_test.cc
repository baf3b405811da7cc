// Process behaviour that a tracer could change and that must stay runc's on
// every platform (issue 19): exec of a setuid binary, SIGKILL of a container
// whose threads trap calls in a loop, and job control (group-stop) as the
// workload's own parent sees it through waitpid, with threads starting and
// exiting around the stops and a kill while stopped. Run on each platform with
// RUNSC_TEST_PLATFORMS=seccomp-notify,ptrace, and against runc with
// RUNSC_TEST_RUNTIME=/usr/sbin/runc: the same expectations.
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "fmt/format.h"
#include "tests/integration_test_base.h"

namespace runsc::testing {
namespace {

using namespace std::chrono_literals;

class PtraceBehaviourTest : public IntegrationTest {
 protected:
  // Writes `bundle`, then adds /bin/payload-suid: a copy of the payload
  // owned by root with the setuid bit (written after the rootfs copy).
  void WriteWithSetuidPayload(BundleBuilder& bundle) {
    ASSERT_TRUE(bundle.Write().ok());
    const std::string copy = bundle.rootfs() + "/bin/payload-suid";
    std::filesystem::copy_file(bundle.rootfs() + "/bin/payload", copy);
    ASSERT_EQ(chown(copy.c_str(), 0, 0), 0);
    ASSERT_EQ(chmod(copy.c_str(), 04755), 0);
  }

  // Runs the written `bundle`; runsc with --allow-suid: its host-backed
  // mounts (the rootfs here) are nosuid by default, as gVisor's (README).
  RunResult RunWritten(BundleBuilder& bundle) {
    std::vector<std::string> args = {"run", "--bundle", bundle.dir(), NewId()};
    if (IsRunsc()) args.insert(args.begin(), {"--allow-suid", "true"});
    return rt().Run(args);
  }
};
RUNSC_INSTANTIATE_FOR_RUNTIMES(PtraceBehaviourTest);

// The pid namespace of host process `pid` ("" once it is gone).
std::string PidNamespaceOf(int pid) {
  std::error_code ec;
  auto target =
      std::filesystem::read_symlink(fmt::format("/proc/{}/ns/pid", pid), ec);
  return ec ? "" : target.string();
}

// Host pids (but ours) in the pid namespace `ns`.
std::vector<int> ProcessesInPidNamespace(const std::string& ns) {
  std::vector<int> pids;
  for (const std::string& entry : DirEntries("/proc")) {
    if (entry.find_first_not_of("0123456789") != std::string::npos) continue;
    const int pid = std::stoi(entry);
    if (pid != getpid() && PidNamespaceOf(pid) == ns && ProcessAlive(pid))
      pids.push_back(pid);
  }
  return pids;
}

// A setuid-root binary exec'd by uid 1000 runs with euid 0 when the spec does
// not set no_new_privs (runc allows it); a tracer must not drop the bit.
TEST_P(PtraceBehaviourTest, ExecOfASetuidBinaryRaisesTheEffectiveUid) {
  BundleBuilder bundle = NewBundle();
  bundle.User(1000, 1000)
      .NoNewPrivileges(false)
      .Args({"/bin/payload-suid", "creds"});
  WriteWithSetuidPayload(bundle);
  RunResult result = RunWritten(bundle);
  EXPECT_EQ(result.exit_code, 0) << result;
  EXPECT_EQ(result.out, "uid=1000 euid=0\n") << result;
}

// The same from a forked child of the workload (traced from its fork on).
TEST_P(PtraceBehaviourTest,
       ExecOfASetuidBinaryFromAForkedChildRaisesTheEffectiveUid) {
  BundleBuilder bundle = NewBundle();
  bundle.User(1000, 1000)
      .NoNewPrivileges(false)
      .Args({"sh", "-c", "/bin/payload-suid creds; /bin/payload-suid creds"});
  WriteWithSetuidPayload(bundle);
  RunResult result = RunWritten(bundle);
  EXPECT_EQ(result.exit_code, 0) << result;
  EXPECT_EQ(result.out, "uid=1000 euid=0\nuid=1000 euid=0\n") << result;
}

// The same exec after a fork, under no_new_privs: the bit is ignored.
TEST_P(PtraceBehaviourTest, ExecOfASetuidBinaryUnderNoNewPrivsKeepsTheUid) {
  BundleBuilder bundle = NewBundle();
  bundle.User(1000, 1000)
      .NoNewPrivileges(true)
      .Args({"sh", "-c", "/bin/payload-suid creds; /bin/payload-suid creds"});
  WriteWithSetuidPayload(bundle);
  RunResult result = RunWritten(bundle);
  EXPECT_EQ(result.exit_code, 0) << result;
  EXPECT_EQ(result.out, "uid=1000 euid=1000\nuid=1000 euid=1000\n") << result;
}

// `kill KILL` of a container whose threads trap calls in a loop while its
// main thread forks and execs: kill returns, the container stops within a
// bounded wait, and none of its processes is left.
TEST_P(PtraceBehaviourTest, SigkillUnderLoadEndsTheContainer) {
  const std::string id = NewId();
  BundleBuilder bundle = NewBundle();
  bundle.Args({"/bin/payload", "hammer", "600", "8"});
  CreateOrDie(bundle, id);
  ASSERT_EQ(rt().Run({"start", id}).exit_code, 0);
  auto state = State(id);
  ASSERT_TRUE(state.ok()) << state.status();
  const int pid = (*state)["pid"];
  const std::string ns = PidNamespaceOf(pid);
  ASSERT_FALSE(ns.empty());
  // Under load: the hammer's children come and go in the container.
  EXPECT_TRUE(
      WaitUntil([&] { return ProcessesInPidNamespace(ns).size() >= 2; }));

  RunResult kill = rt().Run({"kill", id, "KILL"}, 10s);
  EXPECT_EQ(kill.exit_code, 0) << kill;
  EXPECT_FALSE(kill.timed_out) << kill;
  EXPECT_TRUE(WaitForStatus(id, "stopped"));
  EXPECT_TRUE(WaitUntil([&] { return ProcessesInPidNamespace(ns).empty(); }))
      << ::testing::PrintToString(ProcessesInPidNamespace(ns));
  RunResult del = rt().Run({"delete", id});
  EXPECT_EQ(del.exit_code, 0) << del;
  ExpectNothingLeft();
}

// SIGSTOP/SIGCONT of a workload process is seen by its parent's
// waitpid(WUNTRACED/WCONTINUED), no thread runs while stopped, and a SIGKILL
// while stopped (threads exiting while stopped) is its exit status.
TEST_P(PtraceBehaviourTest, GroupStopIsSeenByTheParentsWaitpid) {
  RunResult result = RunPayload({"/bin/payload", "stopcont", "20", "4"});
  EXPECT_EQ(result.exit_code, 0) << result;
  EXPECT_EQ(result.out,
            "stopped=20 idle=20 continued=20\n"
            "stopped-before-kill=yes\n"
            "killed-while-stopped=SIGKILL\n")
      << result;
}

}  // namespace
}  // namespace runsc::testing
