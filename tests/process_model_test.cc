// Integration tests of the process model of DESIGN.md ("Processes"): the container init is
// reparented to the caller's subreaper (as containerd's shim is), and the sentry is a daemon in
// its own session that exits by itself when the container is gone. The sentry checks are runsc's
// own design (runc has no sentry), so they are skipped for other runtimes.
#include <signal.h>
#include <unistd.h>

#include <string>

#include "fmt/format.h"
#include "tests/integration_test_base.h"

namespace runsc::testing {
namespace {

using nlohmann::json;

class ProcessModelTest : public IntegrationTest {
 protected:
  // Creates a sleeping container `id`; returns its state.pid (-1 on failure).
  int CreateSleeper(const std::string& id) {
    BundleBuilder bundle = NewBundle();
    bundle.Args({"/bin/payload", "sleep", "1000"});
    CreateOrDie(bundle, id);
    absl::StatusOr<json> state = State(id);
    EXPECT_TRUE(state.ok()) << state.status();
    return state.ok() ? (*state)["pid"].get<int>() : -1;
  }

  // The pid of the sentry of `id` (`runsc ... boot --id <id> ...`), or -1 unless exactly one.
  int SentryOf(const std::string& id) {
    std::vector<int> found = ProcessesWithArgs({"boot", "--id", id});
    EXPECT_EQ(found.size(), 1u) << "sentries of " << id << ": " << found.size();
    return found.size() == 1 ? found[0] : -1;
  }
};
RUNSC_INSTANTIATE_FOR_RUNTIMES(ProcessModelTest);

TEST_P(ProcessModelTest, InitIsReparentedToTheCallersSubreaper) {
  // Holds for runc too: once `create` exits, the init's parent is the subreaper (the shim).
  std::string id = NewId();
  int pid = CreateSleeper(id);
  ASSERT_GT(pid, 0);
  EXPECT_EQ(ParentPid(pid), getpid());
}

TEST_P(ProcessModelTest, SentryIsADaemonInItsOwnSession) {
  if (!IsRunsc()) GTEST_SKIP() << "runsc's process model: runc has no sentry";
  std::string id = NewId();
  int pid = CreateSleeper(id);
  ASSERT_GT(pid, 0);
  int sentry = SentryOf(id);
  ASSERT_GT(sentry, 0);
  EXPECT_NE(sentry, pid);
  EXPECT_EQ(SessionId(sentry), sentry) << "the sentry is not a session leader (setsid)";
  EXPECT_NE(SessionId(sentry), SessionId(getpid()));
  EXPECT_EQ(ParentPid(sentry), getpid()) << "the sentry was not reparented to the subreaper";
}

TEST_P(ProcessModelTest, SentryExitsByItselfWhenTheContainerIsKilled) {
  if (!IsRunsc()) GTEST_SKIP() << "runsc's process model: runc has no sentry";
  std::string id = NewId();
  ASSERT_GT(CreateSleeper(id), 0);
  ASSERT_EQ(rt().Run({"start", id}).exit_code, 0);
  int sentry = SentryOf(id);
  ASSERT_GT(sentry, 0);
  RunResult kill = rt().Run({"kill", id, "KILL"});
  ASSERT_EQ(kill.exit_code, 0) << kill;
  EXPECT_TRUE(WaitForStatus(id, "stopped"));
  // No `delete` yet: the sentry must notice on its own (bounded wait; WaitUntil reaps it).
  EXPECT_TRUE(WaitUntil([&] { return !ProcessAlive(sentry); })) << "sentry " << sentry;
}

TEST_P(ProcessModelTest, KillingTheSentryStopsTheContainer) {
  if (!IsRunsc()) GTEST_SKIP() << "runsc's process model: runc has no sentry";
  std::string id = NewId();
  int pid = CreateSleeper(id);
  ASSERT_GT(pid, 0);
  int sentry = SentryOf(id);
  ASSERT_GT(sentry, 0);
  ASSERT_EQ(kill(sentry, SIGKILL), 0);
  ASSERT_TRUE(WaitUntil([&] { return !ProcessAlive(sentry); }));
  // Fail closed: the gofer and the watchdog kill the unsupervised container
  // (tests/fault_test.cc kills every process and pair), and the status,
  // derived from the init, says so.
  EXPECT_TRUE(WaitUntil([&] { return !ProcessAlive(pid); }));
  EXPECT_TRUE(WaitForStatus(id, "stopped"));
  RunResult del = rt().Run({"delete", id});
  EXPECT_EQ(del.exit_code, 0) << del;
  EXPECT_FALSE(State(id).ok());
  ExpectNothingLeft();
  EXPECT_TRUE(ProcessesWithArgs({"--id", id}).empty());
}

TEST_P(ProcessModelTest, DeleteForceRemovesTheSentryToo) {
  if (!IsRunsc()) GTEST_SKIP() << "runsc's process model: runc has no sentry";
  std::string id = NewId();
  int pid = CreateSleeper(id);
  ASSERT_GT(pid, 0);
  int sentry = SentryOf(id);
  ASSERT_GT(sentry, 0);
  RunResult del = rt().Run({"delete", "--force", id});
  EXPECT_EQ(del.exit_code, 0) << del;
  EXPECT_TRUE(WaitUntil([&] { return !ProcessAlive(pid) && !ProcessAlive(sentry); }));
  ExpectNothingLeft();
}

}  // namespace
}  // namespace runsc::testing
