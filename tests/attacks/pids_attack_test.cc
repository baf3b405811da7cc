// Issue 15, "the sandbox's own resources are the container's": the sentry's
// and the gofer's threads count in the container's pids cgroup
// (docs/design.md, "Cgroups"), so a workload that makes the sandbox work
// harder (many brokered calls at once, each wanting a sandbox thread) cannot
// grow the container's tasks past its --pids-limit. When the cgroup is full
// the sandbox answers the call it has no thread for with EAGAIN (what clone
// itself answers at pids.max) and keeps serving: it neither crashes (which
// would stop the container) nor stalls the other calls. Under runc every
// call succeeds.
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <set>
#include <string>

#include "fmt/format.h"
#include "nlohmann/json.hpp"
#include "tests/attacks/attack_test_base.h"
#include "tests/leftovers.h"

namespace runsc::testing {
namespace {

namespace fs = std::filesystem;

constexpr int kLimit = 32;

class PidsAttackTest : public AttackTest {
 protected:
  // The container's pids cgroup: the v1 pids hierarchy's dir, else the v2 one.
  static std::string PidsDir(BundleBuilder& bundle) {
    std::string path = bundle.config()["linux"]["cgroupsPath"];
    std::string v1 = "/sys/fs/cgroup/pids" + path;
    return access(v1.c_str(), F_OK) == 0 ? v1 : "/sys/fs/cgroup" + path;
  }
  // The host pid recorded under `key` in runsc's state.json (0 if absent).
  int StatePid(const std::string& id, const std::string& key) {
    nlohmann::json raw = nlohmann::json::parse(
        ReadFile(fmt::format("{}/{}/state.json", rt().root(), id)), nullptr,
        false);
    return raw.is_object() ? raw.value(key, 0) : 0;
  }
  // How many tasks the container's pids cgroup counts.
  static int CountedTasks(BundleBuilder& bundle) {
    return std::atoi(ReadFile(PidsDir(bundle) + "/pids.current").c_str());
  }
  // The threads of the sandbox's processes (none under runc), wherever they
  // are, and whether each process is alive.
  std::set<std::string> SandboxTasks(const std::string& id, bool& alive) {
    absl::StatusOr<nlohmann::json> state = State(id);
    std::set<std::string> tasks;
    alive = true;
    if (!IsRunsc() || !state.ok()) return tasks;
    nlohmann::json raw = nlohmann::json::parse(
        ReadFile(fmt::format("{}/{}/state.json", rt().root(), id)), nullptr,
        false);
    for (const char* key : {"sentry_pid", "gofer_pid", "watchdog_pid"}) {
      int pid = raw.value(key, 0);
      if (pid <= 0) continue;
      alive = alive && kill(pid, 0) == 0;
      for (const std::string& tid :
           DirEntries(fmt::format("/proc/{}/task", pid)))
        tasks.insert(tid);
    }
    return tasks;
  }
};
RUNSC_INSTANTIATE_FOR_RUNTIMES(PidsAttackTest);

// The workload fills its pids cgroup with threads, then all of them make and
// remove a directory on the rootfs (brokered) at once, 20 times each.
TEST_P(PidsAttackTest, BrokeredBurstsCannotGrowTheSandboxPastThePidsLimit) {
  BundleBuilder bundle = AttackBundle();
  bundle.MergePatch(
      {{"linux", {{"resources", {{"pids", {{"limit", kLimit}}}}}}}});
  fs::create_directories(bundle.rootfs() + "/tmp/burst");
  bundle.Args({"sh", "-c",
               "/bin/attack pidsburst b /tmp/burst 1000 20 > /tmp/burst.out; "
               ": > /tmp/burst.done; exec sleep 1000"});
  std::string id = NewId();
  CreateOrDie(bundle, id);
  RunResult start = rt().Run({"start", id});
  ASSERT_EQ(start.exit_code, 0) << start;
  ASSERT_TRUE(
      WaitUntil([&] { return fs::exists(bundle.rootfs() + "/tmp/burst.done"); },
                std::chrono::seconds(60)))
      << "the burst did not end";
  std::string out = ReadFile(bundle.rootfs() + "/tmp/burst.out");
  EXPECT_NE(Outcome(out, "b.threads").find("refused=EAGAIN"), std::string::npos)
      << "precondition: the workload filled its pids cgroup\n"
      << out;
  bool alive = false;
  std::set<std::string> sandbox = SandboxTasks(id, alive);
  EXPECT_TRUE(alive) << "a runtime process died\n" << out;
  EXPECT_TRUE(WaitForStatus(id, "running")) << out;
  // Every call succeeded or got EAGAIN; none failed otherwise, and the
  // sandbox serves again once the workload's threads are gone.
  EXPECT_NE(out.find(" other=0 "), std::string::npos) << out;
  if (!IsRunsc()) {
    EXPECT_NE(out.find(" eagain=0 "), std::string::npos) << out;
  }
  EXPECT_EQ(Outcome(out, "b.after"), "ok") << out;
  // The sandbox's threads, however many the burst made it start, are all in
  // the cgroup (with the workload's one task left, the sleep), which never
  // holds more than the limit.
  int counted = CountedTasks(bundle);
  EXPECT_LE(counted, kLimit);
  EXPECT_EQ(counted, static_cast<int>(sandbox.size()) + 1)
      << sandbox.size() << " sandbox threads; the cgroup counts " << counted;
  if (!IsRunsc()) return;
  // Idle again, the sentry's blocking workers end and give their tasks back
  // (the sentry keeps its main, control, gofer-watching and receiving
  // threads).
  int sentry = StatePid(id, "sentry_pid");
  EXPECT_TRUE(WaitUntil(
      [&] {
        return DirEntries(fmt::format("/proc/{}/task", sentry)).size() <= 4;
      },
      std::chrono::seconds(30)))
      << DirEntries(fmt::format("/proc/{}/task", sentry)).size()
      << " sentry threads";
}

}  // namespace
}  // namespace runsc::testing
