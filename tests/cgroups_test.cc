// Integration tests of cgroup resources, update, pause/resume and events.
// Limits are checked from the host's cgroup files (v1 hierarchy or v2 dir)
// and by what the workload can do; no timing thresholds, every wait bounded.
#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include "fmt/format.h"
#include "tests/integration_test_base.h"

namespace runsc::testing {
namespace {

using ::testing::HasSubstr;
using nlohmann::json;

class CgroupsTest : public IntegrationTest {
 protected:
  // The host file `file` of the container's cgroup: the v1 `controller`
  // hierarchy's, else the v2 one's.
  static std::string HostFile(BundleBuilder& bundle, const std::string& controller, const std::string& file) {
    std::string path = bundle.config()["linux"]["cgroupsPath"];
    std::string v1 = fmt::format("/sys/fs/cgroup/{}{}/{}", controller, path, file);
    if (access(v1.c_str(), F_OK) == 0) return v1;
    return fmt::format("/sys/fs/cgroup{}/{}", path, file);
  }
  static std::string Trimmed(const std::string& path) {
    std::string text = ReadFile(path);
    while (!text.empty() && text.back() == '\n') text.pop_back();
    return text;
  }
  // Creates and starts `bundle` running `script` under sh.
  std::string StartShell(BundleBuilder& bundle, const std::string& script) {
    bundle.Args({"/bin/sh", "-c", script}).ReadonlyRoot(false);  // the workload writes /tmp
    std::string id = NewId();
    CreateOrDie(bundle, id);
    RunResult start = rt().Run({"start", id});
    EXPECT_EQ(start.exit_code, 0) << start;
    return id;
  }
  // `events --stats` parsed, or null JSON.
  json Stats(const std::string& id) {
    RunResult result = rt().Run({"events", "--stats", id});
    if (result.exit_code != 0) return json();
    return json::parse(result.out, nullptr, false);
  }
  // The threads of runsc's sentry, gofer and watchdog of `id` (0 under
  // runc): they count in the container's pids cgroup.
  int SandboxTasks(const std::string& id) {
    if (!IsRunsc()) return 0;
    json state = json::parse(ReadFile(fmt::format("{}/{}/state.json", rt().root(), id)), nullptr, false);
    int tasks = 0;
    for (const char* key : {"sentry_pid", "gofer_pid", "watchdog_pid"}) {
      int pid = state.is_object() ? state.value(key, 0) : 0;
      if (pid > 0) tasks += static_cast<int>(DirEntries(fmt::format("/proc/{}/task", pid)).size());
    }
    return tasks;
  }
  // Lines written by the workload's counter loop (`echo >> /tmp/counter`).
  static size_t Count(BundleBuilder& bundle) {
    std::string text = ReadFile(bundle.rootfs() + "/tmp/counter");
    return std::count(text.begin(), text.end(), '\n');
  }
  // The text of the first run*.out file of this test containing `needle`.
  std::string OutputContaining(const std::string& needle) {
    for (const std::string& name : DirEntries(tmp())) {
      if (!name.starts_with("run") || !name.ends_with(".out")) continue;
      std::string text = ReadFile(tmp() + "/" + name);
      if (text.find(needle) != std::string::npos) return text;
    }
    return "";
  }
};
RUNSC_INSTANTIATE_FOR_RUNTIMES(CgroupsTest);

TEST_P(CgroupsTest, MemoryLimitOomKillsAndEventsReportsIt) {
  BundleBuilder bundle = NewBundle();
  bundle.MergePatch({{"linux", {{"resources", {{"memory", {{"limit", 32 << 20}}}}}}}});
  // Waits for the go-ahead, then holds ~100 MB in a shell variable.
  std::string id = StartShell(bundle,
                              "while [ ! -e /tmp/go ]; do sleep 1; done; "
                              "x=$(head -c 100000000 /dev/zero | tr '\\0' a); echo survived");
  EXPECT_EQ(Trimmed(HostFile(bundle, "memory", "memory.limit_in_bytes")), std::to_string(32 << 20))
      << "(or memory.max on v2)";
  std::thread events([&] { rt().Run({"events", "--interval", "100ms", id}, std::chrono::seconds(30)); });
  // The first stats line means the OOM listener is registered (both runtimes register it first).
  EXPECT_TRUE(WaitUntil([&] { return !OutputContaining("\"type\":\"stats\"").empty(); }));
  std::ofstream(bundle.rootfs() + "/tmp/go") << "go";
  EXPECT_TRUE(WaitUntil([&] { return !OutputContaining("\"type\":\"oom\"").empty(); }, std::chrono::seconds(20)));
  EXPECT_TRUE(WaitForStatus(id, "stopped"));
  // runsc's stream ends with the container; runc's keeps polling: stop it.
  for (int pid : ProcessesWithArgs({"events", "--interval", "100ms", id})) kill(pid, SIGKILL);
  events.join();
  EXPECT_THAT(OutputContaining("\"type\":\"oom\""), HasSubstr(fmt::format("\"id\":\"{}\"", id)));
  EXPECT_TRUE(OutputContaining("survived").empty());
}

// Under runsc the sandbox's threads share pids.max (8 when idle;
// docs/design.md, "Cgroups"): 16 leaves the workload room to fork.
TEST_P(CgroupsTest, PidsLimitStopsAForkBombAndPsListsEveryProcess) {
  constexpr int kLimit = 16;
  BundleBuilder bundle = NewBundle();
  bundle.MergePatch({{"linux", {{"resources", {{"pids", {{"limit", kLimit}}}}}}}});
  // Bounded: an inner shell makes 30 fork attempts (and dies on the first
  // failure, as ash does); the outer one records that and stays.
  std::string id = StartShell(bundle,
                              "sh -c 'for i in $(seq 1 30); do sleep 1000 & done' 2>/dev/null; "
                              "echo done >> /tmp/counter; exec sleep 1000");
  EXPECT_TRUE(WaitUntil([&] { return Count(bundle) == 1; }));
  EXPECT_EQ(Trimmed(HostFile(bundle, "pids", "pids.max")), std::to_string(kLimit));
  int current = std::stoi("0" + Trimmed(HostFile(bundle, "pids", "pids.current")));
  int workload = current - SandboxTasks(id);
  EXPECT_GT(workload, 1);
  EXPECT_LE(current, kLimit);
  EXPECT_THAT(ReadFile(HostFile(bundle, "pids", "pids.events")), ::testing::MatchesRegex("(.*\n)?max [1-9][0-9]*\n.*"));
  RunResult ps = rt().Run({"ps", "--format", "json", id});
  ASSERT_EQ(ps.exit_code, 0) << ps;
  EXPECT_EQ(json::parse(ps.out, nullptr, false).size(), static_cast<size_t>(workload)) << ps.out;
  json stats = Stats(id);
  EXPECT_EQ(stats["data"]["pids"], json({{"current", current}, {"limit", kLimit}})) << stats.dump();
}

TEST_P(CgroupsTest, CpuQuotaThrottlesABusyLoop) {
  BundleBuilder limited = NewBundle();
  limited.MergePatch({{"linux", {{"resources", {{"cpu", {{"quota", 10000}, {"period", 100000}}}}}}}});
  std::string busy = StartShell(limited, "while :; do :; done");
  BundleBuilder free = NewBundle();
  std::string idle = StartShell(free, "while :; do :; done");
  auto throttled = [&](BundleBuilder& bundle) {
    std::string text = ReadFile(HostFile(bundle, "cpu", "cpu.stat"));
    size_t at = text.find("nr_throttled ");
    return at == std::string::npos ? 0 : std::stoull(text.substr(at + 13));
  };
  EXPECT_TRUE(WaitUntil([&] { return throttled(limited) > 0; })) << ReadFile(HostFile(limited, "cpu", "cpu.stat"));
  EXPECT_EQ(throttled(free), 0u);
  // runc 1.1 reports no throttling counters on this host's split cpu/cpuacct
  // hierarchies; runsc's events must show them.
  if (IsRunsc()) {
    EXPECT_GT(Stats(busy)["data"]["cpu"]["throttling"].value("throttled_periods", 0), 0);
    json unthrottled = Stats(idle);
    EXPECT_EQ(unthrottled["data"]["cpu"]["throttling"].value("throttled_periods", 0), 0) << unthrottled.dump();
    EXPECT_GT(unthrottled["data"]["cpu"]["usage"].value("total", 0), 0) << unthrottled.dump();
  }
}

TEST_P(CgroupsTest, UpdateChangesLiveLimits) {
  BundleBuilder bundle = NewBundle();
  bundle.MergePatch({{"linux", {{"resources", {{"memory", {{"limit", 64 << 20}}}, {"pids", {{"limit", 100}}}}}}}});
  std::string id = StartShell(bundle, "sleep 1000");
  RunResult update = rt().Run({"update", "--memory", "128m", "--pids-limit", "50", id});
  ASSERT_EQ(update.exit_code, 0) << update;
  EXPECT_EQ(Trimmed(HostFile(bundle, "memory", "memory.limit_in_bytes")), std::to_string(128 << 20));
  EXPECT_EQ(Trimmed(HostFile(bundle, "pids", "pids.max")), "50");
  std::string resources = tmp() + "/resources.json";
  std::ofstream(resources) << R"({"pids": {"limit": 20}, "cpu": {"quota": 20000, "period": 100000}})";
  update = rt().Run({"update", "--resources", resources, id});
  ASSERT_EQ(update.exit_code, 0) << update;
  EXPECT_EQ(Trimmed(HostFile(bundle, "pids", "pids.max")), "20");
  EXPECT_EQ(Trimmed(HostFile(bundle, "cpu", "cpu.cfs_quota_us")), "20000");
  EXPECT_EQ(Stats(id)["data"]["pids"]["limit"], 20);
}

TEST_P(CgroupsTest, UpdateRejectsBadValues) {
  BundleBuilder bundle = NewBundle();
  std::string id = StartShell(bundle, "sleep 1000");
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"update", "--memory", "12x", id}, {"update", "--cpu-quota", "abc", id}, {"update", "--pids-limit", "", id}}) {
    RunResult result = rt().Run(args);
    EXPECT_NE(result.exit_code, 0) << result;
    EXPECT_FALSE(result.err.empty()) << result;
  }
  RunResult missing = rt().Run({"update", "--memory", "1m", "no-such-container"});
  EXPECT_NE(missing.exit_code, 0);
}

TEST_P(CgroupsTest, PauseFreezesAndResumeThaws) {
  BundleBuilder bundle = NewBundle();
  std::string id = StartShell(bundle, "while :; do echo x >> /tmp/counter; sleep 0; done");
  ASSERT_TRUE(WaitUntil([&] { return Count(bundle) > 0; }));
  RunResult pause = rt().Run({"pause", id});
  ASSERT_EQ(pause.exit_code, 0) << pause;
  absl::StatusOr<json> state = State(id);
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_EQ((*state)["status"], "paused");
  size_t frozen = Count(bundle);
  usleep(300000);  // a window in which a running loop would add lines; not a threshold
  EXPECT_EQ(Count(bundle), frozen);
  RunResult ps = rt().Run({"ps", "--format", "json", id});
  EXPECT_EQ(ps.exit_code, 0) << ps;
  EXPECT_NE(rt().Run({"resume", "no-such-container"}).exit_code, 0);
  RunResult resume = rt().Run({"resume", id});
  ASSERT_EQ(resume.exit_code, 0) << resume;
  EXPECT_TRUE(WaitUntil([&] { return Count(bundle) > frozen; }));
  EXPECT_TRUE(WaitForStatus(id, "running"));
  EXPECT_NE(rt().Run({"resume", id}).exit_code, 0) << "resume of a running container";
}

TEST_P(CgroupsTest, KillAndDeleteOfAPausedContainer) {
  BundleBuilder killed = NewBundle();
  std::string first = StartShell(killed, "sleep 1000");
  ASSERT_EQ(rt().Run({"pause", first}).exit_code, 0);
  RunResult kill = rt().Run({"kill", first, "KILL"});
  EXPECT_EQ(kill.exit_code, 0) << kill;
  EXPECT_TRUE(WaitForStatus(first, "stopped"));
  EXPECT_EQ(rt().Run({"delete", first}).exit_code, 0);

  BundleBuilder deleted = NewBundle();
  std::string second = StartShell(deleted, "sleep 1000");
  ASSERT_EQ(rt().Run({"pause", second}).exit_code, 0);
  RunResult plain = rt().Run({"delete", second});
  EXPECT_NE(plain.exit_code, 0) << "delete without --force of a paused container";
  RunResult forced = rt().Run({"delete", "--force", second});
  EXPECT_EQ(forced.exit_code, 0) << forced;
  EXPECT_FALSE(State(second).ok());
}

TEST_P(CgroupsTest, BlockIoWeightIsAppliedWhereTheHostHasIt) {
  // Checked before the create, which fails (runc's too) where there is no weight file to write.
  if (access("/sys/fs/cgroup/blkio/blkio.weight", F_OK) != 0 && access("/sys/fs/cgroup/blkio/blkio.bfq.weight", F_OK) != 0) {
    GTEST_SKIP() << "the host's blkio controller has neither blkio.weight nor blkio.bfq.weight (no v1 CFQ/BFQ weights)";
  }
  BundleBuilder bundle = NewBundle();
  bundle.MergePatch({{"linux", {{"resources", {{"blockIO", {{"weight", 500}}}}}}}});
  std::string id = StartShell(bundle, "sleep 1000");
  std::string v1 = HostFile(bundle, "blkio", "blkio.weight"), bfq = HostFile(bundle, "blkio", "blkio.bfq.weight");
  std::string weight = Trimmed(access(v1.c_str(), F_OK) == 0 ? v1 : bfq);
  EXPECT_THAT(weight, ::testing::AnyOf("500", "default 500")) << weight;
}

// This host's blkio controller has no leaf weights (cgroup v1 without CFQ).
TEST_P(CgroupsTest, ResourceTheHostLacksFailsAndLeavesNothing) {
  BundleBuilder probe = NewBundle();
  std::string probe_id = StartShell(probe, "sleep 1000");
  bool has_leaf = access(HostFile(probe, "blkio", "blkio.leaf_weight").c_str(), F_OK) == 0;
  ASSERT_EQ(rt().Run({"delete", "--force", probe_id}).exit_code, 0);
  if (has_leaf || access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0) GTEST_SKIP() << "host has leaf weights or is v2";
  BundleBuilder bundle = NewBundle();
  bundle.Args({"/bin/payload", "sleep", "1000"});
  bundle.MergePatch({{"linux", {{"resources", {{"blockIO", {{"leafWeight", 500}}}}}}}});
  ASSERT_TRUE(bundle.Write().ok());
  std::string id = NewId();
  RunResult result = rt().Run({"create", "--bundle", bundle.dir(), id});
  EXPECT_NE(result.exit_code, 0) << result;
  EXPECT_THAT(result.err, HasSubstr("blkio.leaf_weight"));
  if (IsRunsc()) {
    ExpectOneLineError(result);
    EXPECT_THAT(result.err, HasSubstr("linux.resources.blockIO.leafWeight"));
  }
  EXPECT_FALSE(State(id).ok());
}

// No net_cls hierarchy here: runsc refuses the field; runc 1.1 silently
// skips controllers that are not mounted, so this is checked on runsc only.
TEST_P(CgroupsTest, MissingControllerIsAnErrorNamingTheField) {
  if (!IsRunsc()) GTEST_SKIP() << "runc 1.1 ignores resources of unmounted controllers";
  if (access("/sys/fs/cgroup/net_cls", F_OK) == 0) GTEST_SKIP() << "host has net_cls";
  BundleBuilder bundle = NewBundle();
  bundle.Args({"/bin/payload", "sleep", "1000"});
  bundle.MergePatch({{"linux", {{"resources", {{"network", {{"classID", 7}}}}}}}});
  ASSERT_TRUE(bundle.Write().ok());
  std::string id = NewId();
  RunResult result = rt().Run({"create", "--bundle", bundle.dir(), id});
  ExpectOneLineError(result);
  EXPECT_THAT(result.err, HasSubstr("linux.resources.network.classID"));
  EXPECT_FALSE(State(id).ok());
}

TEST_P(CgroupsTest, EventsOfAStoppedOrMissingContainerFail) {
  EXPECT_NE(rt().Run({"events", "--stats", "no-such-container"}).exit_code, 0);
  BundleBuilder bundle = NewBundle();
  std::string id = StartShell(bundle, "exit 0");
  EXPECT_TRUE(WaitForStatus(id, "stopped"));
  RunResult stats = rt().Run({"events", "--stats", id});
  EXPECT_NE(stats.exit_code, 0) << stats;
}

}  // namespace
}  // namespace runsc::testing
