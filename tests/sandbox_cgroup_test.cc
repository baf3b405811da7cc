// Integration tests of the sandbox's own processes in the container's
// cgroups (DESIGN.md, "Processes"): the sentry, the gofer and the watchdog
// are charged to the container (memory, pids, cpu), yet never show as
// container processes (`runsc ps`), pause/resume and
// stats still work, a small pids limit still runs a container, and delete
// leaves no cgroup behind. Every wait is bounded.
#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "fmt/format.h"
#include "tests/integration_test_base.h"
#include "tests/leftovers.h"

namespace runsc::testing {
namespace {

using nlohmann::json;

// /proc/<pid>/cgroup as controllers ("" for v2) -> path.
std::map<std::string, std::string> CgroupsOf(int pid) {
  std::map<std::string, std::string> out;
  std::istringstream lines(ReadFile(fmt::format("/proc/{}/cgroup", pid)));
  for (std::string line; std::getline(lines, line);) {
    size_t first = line.find(':'), second = line.find(':', first + 1);
    if (first == std::string::npos || second == std::string::npos) continue;
    out[line.substr(first + 1, second - first - 1)] = line.substr(second + 1);
  }
  return out;
}

// A number from /proc/<pid>/status ("RssAnon", "Threads"), in the file's unit;
// -1 if absent.
long long StatusField(int pid, const std::string& key) {
  std::istringstream lines(ReadFile(fmt::format("/proc/{}/status", pid)));
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(key + ":", 0) == 0)
      return std::atoll(line.c_str() + key.size() + 1);
  }
  return -1;
}

class SandboxCgroupTest : public IntegrationTest {
 protected:
  // The host pid recorded under `key` in <root>/<id>/state.json; 0 if absent.
  int StatePid(const std::string& id, const std::string& key) {
    json state =
        json::parse(ReadFile(fmt::format("{}/{}/state.json", rt().root(), id)),
                    nullptr, false);
    if (state.is_discarded() || !state.contains(key)) return 0;
    return state[key].get<int>();
  }
  // The sandbox's processes of `id`: sentry, gofer, watchdog (0 where absent).
  std::map<std::string, int> SandboxPids(const std::string& id) {
    return {{"sentry", StatePid(id, "sentry_pid")},
            {"gofer", StatePid(id, "gofer_pid")},
            {"watchdog", StatePid(id, "watchdog_pid")}};
  }
  // Starts a sleeper from `bundle` as a fresh id.
  std::string StartSleeperIn(BundleBuilder& bundle) {
    bundle.Args({"/bin/payload", "sleep", "1000"});
    std::string id = NewId();
    CreateOrDie(bundle, id);
    RunResult start = rt().Run({"start", id});
    EXPECT_EQ(start.exit_code, 0) << start;
    return id;
  }
  // The container's memory usage in bytes (v1 memory.usage_in_bytes, v2
  // memory.current).
  static long long MemoryUsage(BundleBuilder& bundle) {
    std::string path = bundle.config()["linux"]["cgroupsPath"];
    std::string v1 =
        fmt::format("/sys/fs/cgroup/memory{}/memory.usage_in_bytes", path);
    if (access(v1.c_str(), F_OK) == 0) return std::atoll(ReadFile(v1).c_str());
    return std::atoll(
        ReadFile(fmt::format("/sys/fs/cgroup{}/memory.current", path)).c_str());
  }
  // The container's pids cgroup: the v1 pids hierarchy's dir, else the v2 one.
  static std::string PidsDir(BundleBuilder& bundle) {
    std::string path = bundle.config()["linux"]["cgroupsPath"];
    std::string v1 = "/sys/fs/cgroup/pids" + path;
    return access(v1.c_str(), F_OK) == 0 ? v1 : "/sys/fs/cgroup" + path;
  }
  // The tasks (threads) the container's pids cgroup counts.
  static std::set<int> PidsCgroupTasks(BundleBuilder& bundle) {
    std::string dir = PidsDir(bundle);
    std::string file = access((dir + "/tasks").c_str(), F_OK) == 0
                           ? dir + "/tasks"
                           : dir + "/cgroup.threads";
    std::set<int> tasks;
    for (const std::string& line : Lines(ReadFile(file)))
      tasks.insert(std::atoi(line.c_str()));
    return tasks;
  }
  // The threads of the sandbox's processes of `id`, wherever they are.
  std::set<int> SandboxTasks(const std::string& id) {
    std::set<int> tasks;
    for (const auto& [name, pid] : SandboxPids(id)) {
      if (pid <= 0) continue;
      for (const std::string& tid :
           DirEntries(fmt::format("/proc/{}/task", pid)))
        tasks.insert(std::atoi(tid.c_str()));
    }
    return tasks;
  }
  // Every dir of the container's cgroup path that exists, in any hierarchy.
  static std::vector<std::string> CgroupDirsLeft(BundleBuilder& bundle) {
    std::string path = bundle.config()["linux"]["cgroupsPath"];
    std::vector<std::string> left;
    for (const std::string& hierarchy : DirEntries("/sys/fs/cgroup")) {
      for (const std::string& dir :
           {fmt::format("/sys/fs/cgroup/{}{}", hierarchy, path)}) {
        if (access(dir.c_str(), F_OK) == 0) left.push_back(dir);
      }
    }
    std::string v2 = "/sys/fs/cgroup" + path;
    if (access(v2.c_str(), F_OK) == 0) left.push_back(v2);
    return left;
  }
};
RUNSC_INSTANTIATE_FOR_RUNTIMES(SandboxCgroupTest);

TEST_P(SandboxCgroupTest, SentryGoferAndWatchdogAreInTheContainersCgroups) {
  if (!IsRunsc())
    GTEST_SKIP()
        << "runsc's process model: runc has no sentry, gofer or watchdog";
  BundleBuilder bundle = NewBundle();
  std::string id = StartSleeperIn(bundle);
  std::map<std::string, std::string> init = CgroupsOf(StatePid(id, "pid"));
  for (const auto& [name, pid] : SandboxPids(id)) {
    ASSERT_GT(pid, 0) << name << " pid not recorded in state.json";
    std::map<std::string, std::string> theirs = CgroupsOf(pid);
    // memory, pids and cpu on v1 (each its own hierarchy here), the v2
    // cgroup; on v1 not the freezer (pause freezes the workload only).
    for (const auto& [controllers, path] : init) {
      bool charged = controllers.empty() || controllers == "memory" ||
                     controllers == "cpu" || controllers == "cpuacct" ||
                     controllers == "cpu,cpuacct" || controllers == "devices" ||
                     controllers == "pids";
      if (!charged) continue;
      EXPECT_EQ(theirs[controllers], path)
          << "the " << name << " (" << pid << ") in hierarchy \"" << controllers
          << "\"";
    }
  }
}

TEST_P(SandboxCgroupTest, TheSandboxsMemoryIsCountedInTheContainers) {
  if (!IsRunsc())
    GTEST_SKIP()
        << "runsc's process model: runc has no sentry, gofer or watchdog";
  BundleBuilder bundle = NewBundle();
  std::string id = StartSleeperIn(bundle);
  long long anon_kb = 0;
  for (const auto& [name, pid] : SandboxPids(id)) {
    if (pid > 0) anon_kb += StatusField(pid, "RssAnon");
  }
  ASSERT_GT(anon_kb, 0);
  // Their private memory is the container's: the usage counts at least all of
  // it.
  EXPECT_GE(MemoryUsage(bundle), anon_kb * 1024)
      << "sandbox RssAnon " << anon_kb << " kB";
}

TEST_P(SandboxCgroupTest, PsListsOnlyTheWorkload) {
  BundleBuilder bundle = NewBundle();
  std::string id = StartSleeperIn(bundle);
  RunResult ps = rt().Run({"ps", "--format", "json", id});
  ASSERT_EQ(ps.exit_code, 0) << ps;
  json pids = json::parse(ps.out, nullptr, false);
  ASSERT_TRUE(pids.is_array()) << ps.out;
  absl::StatusOr<json> state = State(id);
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_EQ(pids, json::array({(*state)["pid"]}))
      << "docker top = runsc ps: the workload only";
  RunResult table = rt().Run({"ps", id});
  ASSERT_EQ(table.exit_code, 0) << table;
  EXPECT_EQ(Lines(table.out).size(), 2u) << table.out;
}

TEST_P(SandboxCgroupTest, PauseResumeAndStatsWork) {
  BundleBuilder bundle = NewBundle();
  std::string id = StartSleeperIn(bundle);
  RunResult pause = rt().Run({"pause", id}, std::chrono::seconds(15));
  ASSERT_EQ(pause.exit_code, 0) << pause;
  EXPECT_TRUE(WaitForStatus(id, "paused"));
  RunResult stats =
      rt().Run({"events", "--stats", id}, std::chrono::seconds(5));
  EXPECT_EQ(stats.exit_code, 0)
      << stats << " (events --stats of a paused container must not hang)";
  RunResult resume = rt().Run({"resume", id}, std::chrono::seconds(15));
  ASSERT_EQ(resume.exit_code, 0) << resume;
  EXPECT_TRUE(WaitForStatus(id, "running"));
  stats = rt().Run({"events", "--stats", id}, std::chrono::seconds(5));
  ASSERT_EQ(stats.exit_code, 0) << stats;
  json parsed = json::parse(stats.out, nullptr, false);
  ASSERT_FALSE(parsed.is_discarded()) << stats.out;
  // pids.current as the kernel counts it (what pids.max and `docker stats`
  // compare): the sleeper and the sandbox's threads, charged to the container.
  EXPECT_EQ(parsed["data"]["pids"]["current"].get<int>(),
            std::atoi(ReadFile(PidsDir(bundle) + "/pids.current").c_str()))
      << parsed.dump();
}

TEST_P(SandboxCgroupTest, KillAllSignalsOnlyTheWorkload) {
  BundleBuilder bundle = NewBundle();
  std::string id = StartSleeperIn(bundle);
  std::map<std::string, int> sandbox =
      IsRunsc() ? SandboxPids(id) : std::map<std::string, int>{};
  RunResult kill = rt().Run({"kill", "--all", id, "STOP"});
  ASSERT_EQ(kill.exit_code, 0) << kill;
  for (const auto& [name, pid] : sandbox) {
    if (pid <= 0) continue;
    std::string state = ReadFile(fmt::format("/proc/{}/stat", pid));
    EXPECT_EQ(state.find(") T "), std::string::npos)
        << "the " << name << " was stopped by kill --all";
  }
  rt().Run({"kill", "--all", id, "CONT"});
}

TEST_P(SandboxCgroupTest, DeleteLeavesNoCgroup) {
  BundleBuilder bundle = NewBundle();
  std::string id = StartSleeperIn(bundle);
  ASSERT_FALSE(CgroupDirsLeft(bundle).empty());
  RunResult del = rt().Run({"delete", "--force", id}, std::chrono::seconds(20));
  EXPECT_EQ(del.exit_code, 0) << del;
  EXPECT_EQ(fmt::format("{}", fmt::join(CgroupDirsLeft(bundle), " ")), "");
}

// The sandbox's threads (8 when idle) count against pids.max, as gVisor's
// do (docs/design.md, "Cgroups"): a limit of 20 still runs a one-process
// container.
TEST_P(SandboxCgroupTest, ASmallPidsLimitStillRunsAContainer) {
  BundleBuilder bundle = NewBundle();
  bundle.MergePatch({{"linux", {{"resources", {{"pids", {{"limit", 20}}}}}}}});
  bundle.Args({"/bin/payload", "echo", "one"});
  RunResult run = RunInBundle(bundle);
  EXPECT_EQ(run.exit_code, 0) << run;
  EXPECT_EQ(run.out, "one\n") << run;
}

// Every thread of the sentry, the gofer and the watchdog counts in the
// container's pids cgroup, on v1 as on v2: the container cannot grow them
// outside its --pids-limit.
TEST_P(SandboxCgroupTest, TheSandboxsThreadsCountInTheContainersPidsCgroup) {
  if (!IsRunsc())
    GTEST_SKIP()
        << "runsc's process model: runc has no sentry, gofer or watchdog";
  BundleBuilder bundle = NewBundle();
  bundle.MergePatch({{"linux", {{"resources", {{"pids", {{"limit", 64}}}}}}}});
  std::string id = StartSleeperIn(bundle);
  std::map<std::string, std::string> init = CgroupsOf(StatePid(id, "pid"));
  // The pids hierarchy's entry on v1, the v2 one ("") on pure v2.
  std::string key = init.count("pids") ? "pids" : "";
  ASSERT_TRUE(init.count(key)) << "precondition: the init has a pids cgroup";
  size_t checked = 0;
  for (const auto& [name, pid] : SandboxPids(id)) {
    for (const std::string& tid :
         DirEntries(fmt::format("/proc/{}/task", pid))) {
      std::map<std::string, std::string> theirs =
          CgroupsOf(std::atoi(tid.c_str()));
      if (theirs.empty()) continue;  // it ended meanwhile
      EXPECT_EQ(theirs[key], init[key])
          << "the " << name << "'s thread " << tid << " is not counted";
      ++checked;
    }
  }
  EXPECT_GT(checked, 0u);
}

// What an idle sandbox costs a --pids-limit (docs/design.md, "Cgroups"): the
// gofer's main, serving and poll threads, the sentry's main, control,
// gofer-watching and receiving threads, and the watchdog.
TEST_P(SandboxCgroupTest, AnIdleSandboxHoldsAtMostEightTasks) {
  if (!IsRunsc())
    GTEST_SKIP()
        << "runsc's process model: runc has no sentry, gofer or watchdog";
  BundleBuilder bundle = NewBundle();
  std::string id = StartSleeperIn(bundle);
  // Bounded: the sentry's thread for the init's channel ends once the init
  // has handed over its listener, which `start` does not wait for.
  EXPECT_TRUE(WaitUntil([&] { return SandboxTasks(id).size() <= 8; }));
  std::string detail;
  for (const auto& [name, pid] : SandboxPids(id)) {
    detail += fmt::format(" {} {}", name,
                          DirEntries(fmt::format("/proc/{}/task", pid)).size());
  }
  EXPECT_LE(SandboxTasks(id).size(), 8u) << detail;
}

// The accounting rule (docs/design.md, "Cgroups"): the sandbox shares the
// container's pids.max, so the workload never gets more than under runc: at
// the limit, its tasks plus the sandbox's are the limit. A fork bomb fills
// the cgroup (the inner shell dies at its first failed fork, freeing its
// slot; the outer one then marks the end in /dev/shm and stays).
TEST_P(SandboxCgroupTest, AtThePidsLimitTheWorkloadGetsTheLimitLessTheSandbox) {
  constexpr int kLimit = 24;
  BundleBuilder bundle = NewBundle();
  bundle.MergePatch(
      {{"linux", {{"resources", {{"pids", {{"limit", kLimit}}}}}}}});
  bundle.Args({"/bin/sh", "-c",
               "sh -c 'for i in $(seq 1 40); do sleep 1000 & done' "
               "2>/dev/null; : > /dev/shm/full; exec sleep 1000"});
  std::string id = NewId();
  CreateOrDie(bundle, id);
  absl::StatusOr<json> state = State(id);
  ASSERT_TRUE(state.ok()) << state.status();
  int init = (*state)["pid"].get<int>();
  RunResult start = rt().Run({"start", id});
  ASSERT_EQ(start.exit_code, 0) << start;
  std::string marker = fmt::format("/proc/{}/root/dev/shm/full", init);
  ASSERT_TRUE(WaitUntil([&] { return access(marker.c_str(), F_OK) == 0; }))
      << "the fork bomb did not end";
  std::set<int> sandbox = IsRunsc() ? SandboxTasks(id) : std::set<int>{};
  std::set<int> counted = PidsCgroupTasks(bundle);
  size_t workload = 0;
  for (int tid : counted) workload += sandbox.count(tid) ? 0 : 1;
  EXPECT_EQ(counted.size(), static_cast<size_t>(kLimit - 1))
      << "the cgroup was full, less the inner shell's slot";
  EXPECT_LE(workload + sandbox.size(), static_cast<size_t>(kLimit))
      << "never wider than runc: workload " << workload << ", sandbox "
      << sandbox.size();
}

TEST_P(SandboxCgroupTest, APidsLimitLeavesTheWorkloadItsShareAfterTheSandbox) {
  BundleBuilder bundle = NewBundle();
  bundle.MergePatch({{"linux", {{"resources", {{"pids", {{"limit", 32}}}}}}}});
  bundle.Args(
      {"/bin/sh", "-c", "/bin/payload echo one; /bin/payload echo two"});
  RunResult run = RunInBundle(bundle);
  EXPECT_EQ(run.exit_code, 0) << run;
  EXPECT_EQ(run.out, "one\ntwo\n") << run;
}

}  // namespace
}  // namespace runsc::testing
