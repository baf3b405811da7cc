// Fault tests of fail closed (DESIGN.md, "Processes"): whichever runtime process of a container
// dies (the sentry, the gofer, the watchdog), and in whatever order two of them die, the container
// stops within a second, and no write of the workload lands on host storage after the kill. The
// workload writes numbered files to a bind-mounted host dir in a loop (brokered writes, through
// the sentry and the gofer). runsc's own process model: skipped for other runtimes.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "fmt/format.h"
#include "fmt/ranges.h"
#include "tests/integration_test_base.h"

namespace runsc::testing {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

// Numbered files written as fast as the loop goes; each is a brokered openat + write.
constexpr char kWriterLoop[] = "i=0; while :; do i=$((i+1)); echo $i > /data/f$i; done";

// The pids of `pid`'s children (its main thread's), empty if it is gone.
std::vector<int> ChildrenOf(int pid) {
  std::vector<int> children;
  std::ifstream in(fmt::format("/proc/{}/task/{}/children", pid, pid));
  for (int child; in >> child;) children.push_back(child);
  return children;
}

class FaultTest : public IntegrationTest {
 protected:
  void SetUp() override {
    IntegrationTest::SetUp();
    if (!IsRunsc()) GTEST_SKIP() << "runsc's process model: runc has no sentry, gofer or watchdog";
    out_ = tmp() + "/out";
    fs::create_directories(out_);
    chmod(out_.c_str(), 0777);
  }

  // Creates and starts `id` writing files to out_ (in `script`, a shell loop); waits until the
  // first files land. Returns the init's host pid (-1 on failure).
  int StartWriter(const std::string& id, const std::string& script = kWriterLoop, bool pid_namespace = true) {
    BundleBuilder bundle = NewBundle();
    bundle.AddMount("/data", "bind", out_, {"rbind", "rw"}).Args({"/bin/sh", "-c", script});
    if (!pid_namespace) bundle.RemoveNamespace("pid");
    if (non_root_) bundle.User(1000, 1000);
    CreateOrDie(bundle, id);
    RunResult start = rt().Run({"start", id});
    EXPECT_EQ(start.exit_code, 0) << start;
    absl::StatusOr<nlohmann::json> state = State(id);
    EXPECT_TRUE(state.ok()) << state.status();
    if (!state.ok() || start.exit_code != 0) return -1;
    EXPECT_TRUE(WaitUntil([&] { return DirEntries(out_).size() >= 10; })) << "the writer wrote nothing";
    return (*state)["pid"].get<int>();
  }

  // The pid of `id`'s runtime process `command` ("boot", "gofer", "watchdog"), or -1 unless one.
  int RuntimeProcess(const std::string& command, const std::string& id) {
    std::vector<int> found = ProcessesWithArgs({command, "--id", id});
    EXPECT_EQ(found.size(), 1u) << command << " processes of " << id << ": " << found.size();
    return found.size() == 1 ? found[0] : -1;
  }

  // Starts a writer, SIGKILLs `commands`' processes back to back, in order, and checks fail
  // closed: the init is gone within a second of the kills, and no file lands on the host after
  // the container is gone.
  void KillAndExpectStopped(const std::vector<std::string>& commands, bool pid_namespace = true) {
    std::string id = NewId();
    // Without a pid namespace, a second writer in the background outlives a killed init.
    std::string script = pid_namespace ? kWriterLoop : fmt::format("({}) & {}", kWriterLoop, kWriterLoop);
    int init = StartWriter(id, script, pid_namespace);
    ASSERT_GT(init, 0);
    std::vector<int> children;
    if (!pid_namespace) {
      ASSERT_TRUE(WaitUntil([&] { return !(children = ChildrenOf(init)).empty(); })) << "no background writer";
    }
    std::vector<int> victims;
    for (const std::string& command : commands) victims.push_back(RuntimeProcess(command, id));
    for (int pid : victims) ASSERT_GT(pid, 0);
    for (size_t i = 0; i < victims.size(); ++i) {
      ASSERT_EQ(kill(victims[i], SIGKILL), 0) << commands[i];
    }
    EXPECT_TRUE(WaitUntil([&] { return !ProcessAlive(init); }, milliseconds(1000)))
        << "the init (" << init << ") still runs 1 s after killing " << fmt::format("{}", fmt::join(commands, ", "));
    for (int child : children) {
      EXPECT_TRUE(WaitUntil([&] { return !ProcessAlive(child); }, milliseconds(1000))) << "the init's child " << child;
    }
    ExpectNoMoreWrites();
  }

  // Once the container is gone (or not), the set of files does not grow for a second.
  void ExpectNoMoreWrites() {
    size_t before = DirEntries(out_).size();
    std::this_thread::sleep_for(milliseconds(1000));
    size_t after = DirEntries(out_).size();
    EXPECT_EQ(after, before) << (after - before) << " writes landed on the host after the kill";
  }

  std::string out_;
  bool non_root_ = false;  // the workload runs as 1000:1000 (not signalable without CAP_KILL)
};
RUNSC_INSTANTIATE_FOR_RUNTIMES(FaultTest);

TEST_P(FaultTest, KillingTheSentryStopsTheContainer) { KillAndExpectStopped({"boot"}); }
TEST_P(FaultTest, KillingTheGoferStopsTheContainer) { KillAndExpectStopped({"gofer"}); }
TEST_P(FaultTest, KillingTheWatchdogStopsTheContainer) { KillAndExpectStopped({"watchdog"}); }

TEST_P(FaultTest, KillingTheSentryThenTheGoferStopsTheContainer) { KillAndExpectStopped({"boot", "gofer"}); }
TEST_P(FaultTest, KillingTheGoferThenTheSentryStopsTheContainer) { KillAndExpectStopped({"gofer", "boot"}); }
TEST_P(FaultTest, KillingTheSentryThenTheWatchdogStopsTheContainer) { KillAndExpectStopped({"boot", "watchdog"}); }
TEST_P(FaultTest, KillingTheWatchdogThenTheSentryStopsTheContainer) { KillAndExpectStopped({"watchdog", "boot"}); }
TEST_P(FaultTest, KillingTheGoferThenTheWatchdogStopsTheContainer) { KillAndExpectStopped({"gofer", "watchdog"}); }
TEST_P(FaultTest, KillingTheWatchdogThenTheGoferStopsTheContainer) { KillAndExpectStopped({"watchdog", "gofer"}); }

// Without a pid namespace killing the init leaves its children: every process of the container's
// cgroup must go (here a second writer in the background).
TEST_P(FaultTest, KillingTheSentryStopsEveryProcessWithoutAPidNamespace) {
  KillAndExpectStopped({"boot"}, /*pid_namespace=*/false);
}
TEST_P(FaultTest, KillingTheGoferStopsEveryProcessWithoutAPidNamespace) {
  KillAndExpectStopped({"gofer"}, /*pid_namespace=*/false);
}

// The daemons keep no CAP_KILL: a workload of another uid is killed all the same.
TEST_P(FaultTest, KillingTheSentryStopsANonRootWorkload) {
  non_root_ = true;
  KillAndExpectStopped({"boot"}, /*pid_namespace=*/false);
}
TEST_P(FaultTest, KillingTheGoferStopsANonRootWorkload) {
  non_root_ = true;
  KillAndExpectStopped({"gofer"}, /*pid_namespace=*/false);
}

}  // namespace
}  // namespace runsc::testing
