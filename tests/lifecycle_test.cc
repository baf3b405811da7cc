// Integration tests of the container lifecycle: spec, create, start, run, kill, delete.
#include <signal.h>

#include <filesystem>
#include <string>
#include <thread>

#include "fmt/format.h"
#include "tests/integration_test_base.h"

namespace runsc::testing {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using nlohmann::json;

class LifecycleTest : public IntegrationTest {};
RUNSC_INSTANTIATE_FOR_RUNTIMES(LifecycleTest);

TEST_P(LifecycleTest, RunReturnsWorkloadExitCode) {
  RunResult zero = RunPayload({"/bin/payload", "exit", "0"});
  EXPECT_EQ(zero.exit_code, 0) << zero;
  RunResult seven = RunPayload({"/bin/payload", "exit", "7"});
  EXPECT_EQ(seven.exit_code, 7) << seven;
}

TEST_P(LifecycleTest, RunPassesStdoutThrough) {
  RunResult result = RunPayload({"/bin/payload", "echo", "hello", "from", "the", "payload"});
  EXPECT_EQ(result.exit_code, 0) << result;
  EXPECT_EQ(result.out, "hello from the payload\n");
}

TEST_P(LifecycleTest, RunOfTheDefaultBundleShowsShAsPidOneAndTheHostname) {
  BundleBuilder bundle = NewBundle();
  bundle.Args({"sh", "-c", "echo hello from runsc; hostname; ps"});
  RunResult result = RunInBundle(bundle);
  EXPECT_EQ(result.exit_code, 0) << result;
  EXPECT_THAT(result.out, HasSubstr("hello from runsc\nrunsc\n"));
  EXPECT_THAT(result.out, MatchesRegex("(.|\n)*\n +1 root +.*sh -c echo hello(.|\n)*"));
}

TEST_P(LifecycleTest, RunDetachLeavesARunningContainer) {
  BundleBuilder bundle = NewBundle();
  bundle.Args({"/bin/payload", "sleep", "1000"});
  ASSERT_TRUE(bundle.Write().ok());
  std::string id = NewId();
  RunResult run = rt().Run({"run", "--detach", "--bundle", bundle.dir(), id});
  ASSERT_EQ(run.exit_code, 0) << run;
  absl::StatusOr<json> state = State(id);
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_EQ((*state)["status"], "running");
  EXPECT_TRUE(ProcessAlive((*state)["pid"].get<int>()));
  RunResult del = rt().Run({"delete", "--force", id});
  EXPECT_EQ(del.exit_code, 0) << del;
}

TEST_P(LifecycleTest, CreateStartKillDeleteWalksTheStates) {
  BundleBuilder bundle = NewBundle();
  bundle.Args({"/bin/payload", "sleep", "1000"});
  ASSERT_TRUE(bundle.Write().ok());
  std::string id = NewId();
  std::string pid_file = tmp() + "/init.pid";
  RunResult create = rt().Run({"create", "--bundle", bundle.dir(), "--pid-file", pid_file, id});
  ASSERT_EQ(create.exit_code, 0) << create;

  absl::StatusOr<json> state = State(id);
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_EQ((*state)["status"], "created");
  int pid = (*state)["pid"].get<int>();
  EXPECT_GT(pid, 0);
  EXPECT_EQ(ReadFile(pid_file), std::to_string(pid));
  EXPECT_TRUE(ProcessAlive(pid));

  RunResult start = rt().Run({"start", id});
  ASSERT_EQ(start.exit_code, 0) << start;
  state = State(id);
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_EQ((*state)["status"], "running");
  EXPECT_EQ((*state)["pid"], pid);
  // After start the init has exec'd the workload: /proc/<pid> is the payload itself.
  EXPECT_TRUE(WaitUntil([&] {
    using namespace std::string_literals;
    return ReadFile(fmt::format("/proc/{}/cmdline", pid)) == "/bin/payload\0sleep\0"s + "1000\0"s;
  })) << ReadFile(fmt::format("/proc/{}/cmdline", pid));

  RunResult kill = rt().Run({"kill", id, "KILL"});
  EXPECT_EQ(kill.exit_code, 0) << kill;
  EXPECT_TRUE(WaitForStatus(id, "stopped"));
  EXPECT_FALSE(ProcessAlive(pid));

  RunResult del = rt().Run({"delete", id});
  EXPECT_EQ(del.exit_code, 0) << del;
  EXPECT_FALSE(State(id).ok());
  ExpectNothingLeft();
}

TEST_P(LifecycleTest, KillAcceptsNamesAndNumbers) {
  for (const char* signal : {"KILL", "SIGKILL", "9"}) {
    SCOPED_TRACE(signal);
    std::string id = NewId();
    StartSleeper(id);
    RunResult kill = rt().Run({"kill", id, signal});
    EXPECT_EQ(kill.exit_code, 0) << kill;
    EXPECT_TRUE(WaitForStatus(id, "stopped"));
  }
}

TEST_P(LifecycleTest, KillWithoutSignalSendsTermWhichAHandlerlessInitIgnores) {
  // SIGTERM is the default; the init of a pid namespace ignores signals it has no handler for,
  // so `sh -c 'trap ...'` is used to observe its delivery.
  BundleBuilder bundle = NewBundle();
  bundle.Args({"sh", "-c", "trap 'exit 3' TERM; while true; do sleep 0.05; done"});
  std::string id = NewId();
  CreateOrDie(bundle, id);
  ASSERT_EQ(rt().Run({"start", id}).exit_code, 0);
  EXPECT_TRUE(WaitForStatus(id, "running"));
  RunResult kill;
  // The trap may not be installed yet right after start; resend until it is handled.
  EXPECT_TRUE(WaitUntil([&] {
    kill = rt().Run({"kill", id});
    absl::StatusOr<json> state = State(id);
    return state.ok() && (*state)["status"] == "stopped";
  })) << kill;
}

TEST_P(LifecycleTest, KillAllStopsTheContainer) {
  std::string id = NewId();
  StartSleeper(id);
  RunResult kill = rt().Run({"kill", "--all", id, "KILL"});
  EXPECT_EQ(kill.exit_code, 0) << kill;
  EXPECT_TRUE(WaitForStatus(id, "stopped"));
}

TEST_P(LifecycleTest, DeleteForceKillsARunningContainerAndRemovesEveryTrace) {
  std::string id = NewId();
  BundleBuilder bundle = NewBundle();
  std::string cgroup = bundle.config()["linux"]["cgroupsPath"];
  bundle.Args({"/bin/payload", "sleep", "1000"});
  CreateOrDie(bundle, id);
  ASSERT_EQ(rt().Run({"start", id}).exit_code, 0);
  absl::StatusOr<json> state = State(id);
  ASSERT_TRUE(state.ok()) << state.status();
  int pid = (*state)["pid"].get<int>();
  // While it runs the init sits in the spec's cgroup and the state dir exists.
  std::string cgroups = ReadFile(fmt::format("/proc/{}/cgroup", pid));
  EXPECT_THAT(cgroups, HasSubstr(cgroup)) << cgroups;
  EXPECT_THAT(CgroupDirs(cgroup), ::testing::Not(::testing::IsEmpty()));
  EXPECT_THAT(DirEntries(rt().root()), Contains(id));

  RunResult del = rt().Run({"delete", "--force", id});
  EXPECT_EQ(del.exit_code, 0) << del;
  EXPECT_TRUE(WaitUntil([&] { return !ProcessAlive(pid); }));
  EXPECT_FALSE(State(id).ok());
  ExpectNothingLeft();
}

TEST_P(LifecycleTest, ConcurrentCreatesOfOneIdHaveExactlyOneWinner) {
  for (int round = 0; round < 3; ++round) {
    SCOPED_TRACE(round);
    BundleBuilder first = NewBundle();
    BundleBuilder second = NewBundle();
    first.Args({"/bin/payload", "sleep", "1000"});
    second.Args({"/bin/payload", "sleep", "1000"});
    ASSERT_TRUE(first.Write().ok());
    ASSERT_TRUE(second.Write().ok());
    std::string id = NewId();
    RunResult a, b;
    std::thread other([&] { b = rt().Run({"create", "--bundle", second.dir(), id}); });
    a = rt().Run({"create", "--bundle", first.dir(), id});
    other.join();
    int winners = (a.exit_code == 0) + (b.exit_code == 0);
    const RunResult& loser = a.exit_code == 0 ? b : a;
    EXPECT_EQ(loser.exit_code, 1) << loser;
    if (!IsRunsc() && winners == 0) {
      // runc 1.1.5 can fail BOTH racing creates ("exec fifo ... already exists" against "unable
      // to store init state"); it never lets both win. runsc must always have one winner.
      rt().Run({"delete", "--force", id});
      continue;
    }
    EXPECT_EQ(winners, 1) << a << b;
    absl::StatusOr<json> state = State(id);
    ASSERT_TRUE(state.ok()) << state.status();
    EXPECT_EQ((*state)["status"], "created");
    EXPECT_TRUE(ProcessAlive((*state)["pid"].get<int>()));
    RunResult del = rt().Run({"delete", "--force", id});
    EXPECT_EQ(del.exit_code, 0) << del;
  }
  ExpectNothingLeft();
}

TEST_P(LifecycleTest, SpecWritesADefaultConfig) {
  std::string dir = tmp() + "/spec";
  std::filesystem::create_directories(dir);
  RunResult spec = rt().Run({"spec", "--bundle", dir});
  ASSERT_EQ(spec.exit_code, 0) << spec;
  json config = json::parse(ReadFile(dir + "/config.json"), nullptr, false);
  ASSERT_FALSE(config.is_discarded());
  EXPECT_THAT(config["ociVersion"].get<std::string>(), MatchesRegex("1\\..*"));
  EXPECT_EQ(config["root"]["path"], "rootfs");
  EXPECT_EQ(config["process"]["args"], json::array({"sh"}));
  EXPECT_TRUE(config["process"]["terminal"].get<bool>());
  std::vector<std::string> namespaces;
  for (const json& ns : config["linux"]["namespaces"]) namespaces.push_back(ns["type"]);
  EXPECT_THAT(namespaces, ::testing::IsSupersetOf({"pid", "network", "ipc", "uts", "mount"}));
  EXPECT_THAT(namespaces, ::testing::Not(Contains("user")));

  // A second spec refuses to overwrite it.
  RunResult again = rt().Run({"spec", "--bundle", dir});
  ExpectOneLineError(again);
  EXPECT_THAT(again.err, HasSubstr("config.json"));
}

TEST_P(LifecycleTest, SpecRootlessAddsAUserNamespaceAndMappings) {
  std::string dir = tmp() + "/spec";
  std::filesystem::create_directories(dir);
  RunResult spec = rt().Run({"spec", "--rootless", "--bundle", dir});
  ASSERT_EQ(spec.exit_code, 0) << spec;
  json config = json::parse(ReadFile(dir + "/config.json"), nullptr, false);
  ASSERT_FALSE(config.is_discarded());
  std::vector<std::string> namespaces;
  for (const json& ns : config["linux"]["namespaces"]) namespaces.push_back(ns["type"]);
  EXPECT_THAT(namespaces, Contains("user"));
  EXPECT_THAT(namespaces, ::testing::Not(Contains("network")));
  ASSERT_EQ(config["linux"]["uidMappings"].size(), 1u);
  EXPECT_EQ(config["linux"]["uidMappings"][0]["containerID"], 0);
  EXPECT_EQ(config["linux"]["uidMappings"][0]["size"], 1);
  EXPECT_EQ(config["linux"]["gidMappings"].size(), 1u);
}

}  // namespace
}  // namespace runsc::testing
