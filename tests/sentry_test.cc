// Integration tests of the sentry (DESIGN.md, "What happens to each system call"): the deny list
// and its register-argument rules, passthrough calls, uname/sysinfo/sethostname emulation, exec'd
// processes, the sentry's own filter, fail-closed, strace/audit/stats visibility and bad flags.
//
// Tests whose expectation also holds for a runtime without a sentry (runc: the kernel answers
// natively) run on every runtime; the others skip on runc.
#include <linux/capability.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>

#include <chrono>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "fmt/format.h"
#include "tests/integration_test_base.h"

namespace runsc::testing {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using json = nlohmann::json;

constexpr char kNoSentry[] = "runc has no sentry and no syscall filter of its own";
constexpr char kKernelRelease[] = "9.9.9-runsc";

// The host's uname(2).
struct utsname HostUname() {
  struct utsname uts = {};
  uname(&uts);
  return uts;
}

// Appends `tail` to `head`.
std::vector<std::string> Concat(std::vector<std::string> head, const std::vector<std::string>& tail) {
  head.insert(head.end(), tail.begin(), tail.end());
  return head;
}

class SentryTest : public IntegrationTest {
 protected:
  // A bundle running `args` with hostname "it-sentry".
  BundleBuilder Bundle(std::vector<std::string> args) {
    BundleBuilder bundle = NewBundle();
    bundle.Args(std::move(args)).Hostname("it-sentry");
    return bundle;
  }

  // Runs `bundle` in the foreground with `global_flags` before the `run` command.
  RunResult RunWithFlags(const std::vector<std::string>& global_flags, BundleBuilder& bundle,
                         std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    EXPECT_TRUE(bundle.Write().ok());
    return rt().Run(Concat(global_flags, {"run", "--bundle", bundle.dir(), NewId()}), timeout);
  }

  // Creates and starts `id` from a sleeper bundle (hostname "it-sentry") with `global_flags`.
  void StartSleeperWithFlags(const std::string& id, const std::vector<std::string>& global_flags) {
    BundleBuilder bundle = Bundle({"/bin/payload", "sleep", "1000"});
    ASSERT_TRUE(bundle.Write().ok());
    RunResult created = rt().Run(Concat(global_flags, {"create", "--bundle", bundle.dir(), id}));
    ASSERT_EQ(created.exit_code, 0) << created;
    RunResult started = rt().Run({"start", id});
    ASSERT_EQ(started.exit_code, 0) << started;
  }

  // `runsc exec <id> <argv...>`.
  RunResult Exec(const std::string& id, const std::vector<std::string>& argv) {
    return rt().Run(Concat({"exec", id}, argv));
  }

  // The sentry's host pid from <root>/<id>/state.json (0 if unreadable).
  int SentryPid(const std::string& id) {
    json state = json::parse(ReadFile(fmt::format("{}/{}/state.json", rt().root(), id)), nullptr, false);
    if (state.is_discarded() || !state.contains("sentry_pid")) return 0;
    return state["sentry_pid"].get<int>();
  }

  // The line of /proc/<pid>/status starting with `key` + ":\t", without the key.
  static std::string StatusField(int pid, const std::string& key) {
    std::istringstream in(ReadFile(fmt::format("/proc/{}/status", pid)));
    for (std::string line; std::getline(in, line);) {
      if (line.rfind(key + ":\t", 0) == 0) return line.substr(key.size() + 2);
    }
    return "";
  }

  // The syscall table as printed by `runsc syscalls --format json`.
  json SyscallTable() {
    RunResult result = rt().Run({"syscalls", "--format", "json"});
    EXPECT_EQ(result.exit_code, 0) << result;
    return json::parse(result.out, nullptr, false);
  }
};
RUNSC_INSTANTIATE_FOR_RUNTIMES(SentryTest);

// --- The deny list and the register-argument rules. ---

TEST_P(SentryTest, EveryUnconditionalDenyRowReturnsItsErrno) {
  if (!IsRunsc()) GTEST_SKIP() << kNoSentry;
  json table = SyscallTable();
  ASSERT_TRUE(table.is_array()) << table.dump();
  std::vector<std::string> args = {"/bin/payload", "denywalk"};
  for (const json& row : table) {
    if (row.value("disposition", "") != "deny" || !row.value("conditions", "").empty()) continue;
    if (row.value("number", -1) < 0) continue;  // not on this architecture
    ASSERT_TRUE(row["errno"].is_string()) << row.dump();
    args.push_back(fmt::format("{}:{}", row["number"].get<int>(), row["errno"].get<std::string>()));
  }
  ASSERT_GE(args.size(), 2u + 40) << "the table has far fewer unconditional denials than DESIGN.md lists";
  BundleBuilder bundle = Bundle(args);
  RunResult result = RunInBundle(bundle);
  EXPECT_EQ(result.exit_code, 0) << result;
  std::vector<std::string> lines = Lines(result.out);
  ASSERT_FALSE(lines.empty()) << result;
  EXPECT_EQ(lines.back(), fmt::format("checked={} mismatches=0", args.size() - 2)) << result;
}

TEST_P(SentryTest, ArgumentRulesDenyOnlyTheDangerousFlags) {
  if (!IsRunsc()) GTEST_SKIP() << kNoSentry;
  // CAP_SYS_ADMIN and CAP_NET_RAW, so that the natively allowed answers would differ: only the
  // filter can refuse these.
  BundleBuilder bundle = NewBundle();
  const std::vector<std::pair<std::string, std::string>> calls = {
      {fmt::format("{} {:#x}", SYS_clone, 0x10000000 | SIGCHLD), "EPERM"},  // CLONE_NEWUSER
      {fmt::format("{} {:#x}", SYS_unshare, 0x40000000), "EPERM"},          // CLONE_NEWNET
      {fmt::format("{} {:#x}", SYS_unshare, 0x400), "0"},                   // CLONE_FILES
      {fmt::format("{} 17 3 0", SYS_socket), "EPERM"},                      // AF_PACKET, SOCK_RAW
      {fmt::format("{} 2 3 1", SYS_socket), "EPERM"},                       // AF_INET, SOCK_RAW
      {fmt::format("{} 2 1 0", SYS_socket), "3"},                           // AF_INET, SOCK_STREAM
      {fmt::format("{} 0 0x5412 0", SYS_ioctl), "EPERM"},                   // TIOCSTI on stdin
      {"600", "ENOSYS"},                                                    // not in the table
  };
  std::string script, expected;
  for (const auto& [call, answer] : calls) {
    script += fmt::format("/bin/payload syscall {}; ", call);
    expected += answer + "\n";
  }
  bundle.Args({"sh", "-c", script})
      .CapabilitySet("bounding", {"CAP_SYS_ADMIN", "CAP_NET_RAW"})
      .CapabilitySet("effective", {"CAP_SYS_ADMIN", "CAP_NET_RAW"})
      .CapabilitySet("permitted", {"CAP_SYS_ADMIN", "CAP_NET_RAW"});
  RunResult result = RunInBundle(bundle);
  EXPECT_EQ(result.out, expected) << result;
}

// --- Passthrough calls: the same answers as without a sentry. ---

TEST_P(SentryTest, PassthroughCallsBehaveNatively) {
  BundleBuilder bundle = NewBundle();
  bundle.AddMount("/tmp", "tmpfs", "tmpfs", {"nosuid", "nodev", "mode=1777"})
      .Args({"sh", "-c",
             "echo $$; /bin/payload ppid; echo hello > /tmp/f && cat /tmp/f; "
             "/bin/payload write /tmp/g && /bin/payload cat /tmp/g && echo; "
             "(/bin/payload exit 3); echo $?; /bin/payload args a b | wc -l"});
  RunResult result = RunInBundle(bundle);
  EXPECT_EQ(result.exit_code, 0) << result;
  EXPECT_EQ(result.out, "1\n1\nhello\nok\nx\n3\n2\n") << result;
}

// --- Emulation: uname, sysinfo, sethostname. ---

TEST_P(SentryTest, UnameShowsTheContainersHostnameAndTheHostsRelease) {
  BundleBuilder bundle = Bundle({"/bin/payload", "uname"});
  RunResult result = RunInBundle(bundle);
  EXPECT_EQ(result.exit_code, 0) << result;
  EXPECT_EQ(result.out, fmt::format("Linux {} it-sentry\n", HostUname().release)) << result;
}

TEST_P(SentryTest, KernelReleaseFlagOverridesTheRelease) {
  if (!IsRunsc()) GTEST_SKIP() << "--kernel-release is a runsc flag";
  BundleBuilder bundle = Bundle({"sh", "-c", "/bin/payload uname; uname -r"});
  RunResult result = RunWithFlags({"--kernel-release", kKernelRelease}, bundle);
  EXPECT_EQ(result.exit_code, 0) << result;
  EXPECT_EQ(result.out, fmt::format("Linux {} it-sentry\n{}\n", kKernelRelease, kKernelRelease)) << result;
}

TEST_P(SentryTest, SysinfoReflectsTheMemoryLimitAndThePidNamespace) {
  if (!IsRunsc()) GTEST_SKIP() << kNoSentry << ": sysinfo shows the host";
  constexpr long long kLimit = 256LL << 20;
  BundleBuilder bundle = Bundle({"/bin/payload", "sysinfo"});
  bundle.MergePatch({{"linux", {{"resources", {{"memory", {{"limit", kLimit}}}}}}}});
  RunResult result = RunInBundle(bundle);
  ASSERT_EQ(result.exit_code, 0) << result;
  std::map<std::string, long long> info = KeyValues(result.out);
  EXPECT_EQ(info["totalram"], kLimit) << result;
  EXPECT_GT(info["freeram"], 0) << result;
  EXPECT_LE(info["freeram"], info["totalram"]) << result;
  EXPECT_EQ(info["procs"], 1) << result;
  struct sysinfo host = {};
  ASSERT_EQ(sysinfo(&host), 0);
  EXPECT_LT(info["uptime"], 30) << result;
  if (host.uptime > 60) {
    EXPECT_LT(info["uptime"], host.uptime) << result;
  }
  RecordProperty("container_uptime_s", std::to_string(info["uptime"]));
}

TEST_P(SentryTest, SysinfoWithoutLimitShowsTheHostsMemory) {
  BundleBuilder bundle = Bundle({"/bin/payload", "sysinfo"});
  RunResult result = RunInBundle(bundle);
  ASSERT_EQ(result.exit_code, 0) << result;
  struct sysinfo host = {};
  ASSERT_EQ(sysinfo(&host), 0);
  std::map<std::string, long long> info = KeyValues(result.out);
  EXPECT_EQ(info["totalram"], static_cast<long long>(host.totalram) * host.mem_unit) << result;
  EXPECT_GT(info["freeram"], 0) << result;
  EXPECT_LE(info["freeram"], info["totalram"]) << result;
}

TEST_P(SentryTest, SysinfoCountsTheContainersProcesses) {
  if (!IsRunsc()) GTEST_SKIP() << kNoSentry << ": sysinfo counts the host's processes";
  BundleBuilder bundle = Bundle({"sh", "-c", "sleep 100 & /bin/payload sysinfo"});
  RunResult result = RunInBundle(bundle);
  ASSERT_EQ(result.exit_code, 0) << result;
  std::map<std::string, long long> info = KeyValues(result.out);
  EXPECT_GE(info["procs"], 2) << result;
  EXPECT_LT(info["procs"], 10) << result;
}

TEST_P(SentryTest, SethostnameWithCapSysAdminChangesTheContainersHostname) {
  BundleBuilder bundle = Bundle({"sh", "-c", "/bin/payload sethostname newname && hostname && /bin/payload uname"});
  for (const char* set : {"bounding", "effective", "permitted"}) bundle.CapabilitySet(set, {"CAP_SYS_ADMIN"});
  RunResult result = RunInBundle(bundle);
  EXPECT_EQ(result.exit_code, 0) << result;
  EXPECT_EQ(result.out, fmt::format("ok\nnewname\nLinux {} newname\n", HostUname().release)) << result;
}

TEST_P(SentryTest, SethostnameWithoutAUtsNamespaceIsRefusedEvenWithCapSysAdmin) {
  if (!IsRunsc()) GTEST_SKIP() << kNoSentry << ": the kernel would rename the host";
  // The host's own name: harmless should the call get through.
  std::string host = HostUname().nodename;
  BundleBuilder bundle = NewBundle();
  bundle.RemoveNamespace("uts").MergePatch({{"hostname", nullptr}}).Args({"/bin/payload", "sethostname", host});
  for (const char* set : {"bounding", "effective", "permitted"}) bundle.CapabilitySet(set, {"CAP_SYS_ADMIN"});
  RunResult result = RunInBundle(bundle);
  EXPECT_EQ(result.exit_code, 1) << result;
  EXPECT_EQ(result.out, "EPERM\n") << result;
}

TEST_P(SentryTest, SethostnameWithoutCapSysAdminIsRefused) {
  BundleBuilder bundle = Bundle({"sh", "-c", "/bin/payload sethostname newname; hostname"});
  RunResult result = RunInBundle(bundle);
  EXPECT_EQ(result.out, "EPERM\nit-sentry\n") << result;
}

// --- Exec'd processes. ---

TEST_P(SentryTest, ExecdProcessesAreInterceptedToo) {
  if (!IsRunsc()) GTEST_SKIP() << kNoSentry;
  std::string id = NewId();
  StartSleeperWithFlags(id, {"--kernel-release", kKernelRelease});
  RunResult denied = Exec(id, {"/bin/payload", "syscall", std::to_string(SYS_keyctl)});
  EXPECT_EQ(denied.exit_code, 1) << denied;
  EXPECT_EQ(denied.out, "EPERM\n") << denied;
  RunResult emulated = Exec(id, {"/bin/payload", "uname"});
  EXPECT_EQ(emulated.exit_code, 0) << emulated;
  EXPECT_EQ(emulated.out, fmt::format("Linux {} it-sentry\n", kKernelRelease)) << emulated;
}

// --- The sentry's own defences. ---

TEST_P(SentryTest, TheSentryRunsUnderItsOwnFilterOutOfTheWorkloadsReach) {
  if (!IsRunsc()) GTEST_SKIP() << kNoSentry;
  std::string id = NewId();
  StartSleeper(id);
  int sentry = SentryPid(id);
  ASSERT_GT(sentry, 1) << ReadFile(fmt::format("{}/{}/state.json", rt().root(), id));
  EXPECT_EQ(StatusField(sentry, "Seccomp"), "2");
  EXPECT_EQ(StatusField(sentry, "NoNewPrivs"), "1");
  // It keeps the few capabilities it needs: never CAP_SYS_ADMIN.
  std::string cap_eff = StatusField(sentry, "CapEff");
  ASSERT_FALSE(cap_eff.empty());
  EXPECT_EQ(std::stoull(cap_eff, nullptr, 16) & (1ULL << CAP_SYS_ADMIN), 0u) << "CapEff " << cap_eff;
  // Its host pid means nothing in the container's pid namespace: not signalable, not visible.
  RunResult kill = Exec(id, {"/bin/payload", "syscall", std::to_string(SYS_kill), std::to_string(sentry), "0"});
  EXPECT_EQ(kill.out, "ESRCH\n") << kill;
  RunResult stat = Exec(id, {"/bin/payload", "stat", fmt::format("/proc/{}", sentry)});
  EXPECT_EQ(stat.out, "ENOENT\n") << stat;
  EXPECT_TRUE(ProcessAlive(sentry));
}

TEST_P(SentryTest, KillingTheSentryStopsTheContainer) {
  if (!IsRunsc()) GTEST_SKIP() << kNoSentry;
  std::string id = NewId();
  StartSleeper(id);
  int sentry = SentryPid(id);
  ASSERT_GT(sentry, 1);
  absl::StatusOr<json> before = State(id);
  ASSERT_TRUE(before.ok()) << before.status();
  int init = (*before)["pid"].get<int>();
  auto start = std::chrono::steady_clock::now();
  ASSERT_EQ(kill(sentry, SIGKILL), 0);
  bool stopped = WaitUntil([&] {
    absl::StatusOr<json> state = State(id);
    return state.ok() && state->value("status", "") == "stopped";
  });
  auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  RecordProperty("stopped_after_ms", std::to_string(elapsed.count()));
  EXPECT_TRUE(stopped) << "still not stopped " << elapsed.count() << " ms after the sentry was killed";
  EXPECT_FALSE(ProcessAlive(init));
  RunResult deleted = rt().Run({"delete", id});
  EXPECT_EQ(deleted.exit_code, 0) << deleted;
  ExpectNothingLeft();
}

// --- Visibility: strace, audit log, stats. ---

TEST_P(SentryTest, StraceLogsTrappedCalls) {
  if (!IsRunsc()) GTEST_SKIP() << "--strace is a runsc flag";
  std::string log = tmp() + "/strace.log";
  BundleBuilder bundle = Bundle({"/bin/payload", "uname"});
  // A configured release: the sentry writes the answer itself (without one
  // the kernel answers, and the line says CONTINUE).
  RunResult result = RunWithFlags({"--strace", "--log", log, "--debug", "--kernel-release", kKernelRelease}, bundle);
  EXPECT_EQ(result.exit_code, 0) << result;
  std::string text = ReadFile(log);
  bool found = false;
  for (const std::string& line : Lines(text)) {
    found |= line.find("uname(") != std::string::npos && line.find("= 0") != std::string::npos;
  }
  EXPECT_TRUE(found) << "no strace line for uname in:\n" << text;
}

TEST_P(SentryTest, AuditLogRecordsEmulatedAndDeniedCalls) {
  if (!IsRunsc()) GTEST_SKIP() << "--audit-log is a runsc flag";
  std::string audit = tmp() + "/audit.jsonl";
  BundleBuilder bundle = Bundle(
      {"sh", "-c", fmt::format("/bin/payload uname; /bin/payload syscall {}", SYS_keyctl)});
  RunResult result = RunWithFlags({"--audit-log", audit}, bundle);
  EXPECT_EQ(result.out, fmt::format("Linux {} it-sentry\nEPERM\n", HostUname().release)) << result;
  std::string text = ReadFile(audit);
  bool emulated = false, denied = false;
  for (const std::string& line : Lines(text)) {
    json entry = json::parse(line, nullptr, false);
    ASSERT_FALSE(entry.is_discarded()) << "not a JSON line: " << line;
    emulated |= entry.value("syscall", "") == "uname" && entry.value("disposition", "") == "emulate";
    denied |= entry.value("syscall", "") == "keyctl" && entry.value("disposition", "") == "deny" &&
              entry.contains("errno") && entry["errno"] == "EPERM";
  }
  EXPECT_TRUE(emulated) << "no emulated uname in:\n" << text;
  EXPECT_TRUE(denied) << "no denied keyctl (EPERM) in:\n" << text;
}

TEST_P(SentryTest, EventsStatsCountDispositions) {
  if (!IsRunsc()) GTEST_SKIP() << kNoSentry;
  std::string id = NewId();
  StartSleeper(id);
  EXPECT_EQ(Exec(id, {"/bin/payload", "uname"}).exit_code, 0);
  EXPECT_EQ(Exec(id, {"/bin/payload", "syscall", std::to_string(SYS_keyctl)}).out, "EPERM\n");
  EXPECT_EQ(Exec(id, {"/bin/payload", "syscall", std::to_string(SYS_keyctl)}).out, "EPERM\n");
  RunResult result = rt().Run({"events", "--stats", id});
  ASSERT_EQ(result.exit_code, 0) << result;
  json stats = json::parse(result.out, nullptr, false);
  ASSERT_FALSE(stats.is_discarded()) << result;
  json dispositions = stats["data"]["sentry"]["dispositions"];
  ASSERT_TRUE(dispositions.is_object()) << stats.dump();
  EXPECT_GE(dispositions.value("emulate", 0), 1) << stats.dump();
  EXPECT_GE(dispositions.value("deny", 0), 2) << stats.dump();
}

// --- Bad input. ---

TEST_P(SentryTest, UnknownPlatformIsAOneLineErrorBeforeAnythingStarts) {
  if (!IsRunsc()) GTEST_SKIP() << "--platform is a runsc flag";
  BundleBuilder bundle = Bundle({"/bin/payload", "uname"});
  RunResult result = RunWithFlags({"--platform", "bogus"}, bundle);
  ExpectOneLineError(result);
  EXPECT_THAT(result.err, HasSubstr("--platform \"bogus\"")) << result;
  EXPECT_EQ(result.out, "") << result;
  ExpectNothingLeft();
}

// The same trapped calls answered on both platforms: emulated (uname), and
// brokered with a fd delivered into the caller (an open for writing).
TEST_P(SentryTest, BothPlatformsAnswerTrappedCallsAlike) {
  if (!IsRunsc()) GTEST_SKIP() << "--platform is a runsc flag";
  std::vector<std::string> outputs;
  for (const char* platform : {"seccomp-notify", "ptrace"}) {
    BundleBuilder bundle = Bundle({"/bin/sh", "-c", "uname -n; echo written > /tmp/p && cat /tmp/p && rm /tmp/p"});
    bundle.ReadonlyRoot(false);
    RunResult result = RunWithFlags({"--platform", platform}, bundle);
    EXPECT_EQ(result.exit_code, 0) << platform << result;
    outputs.push_back(result.out);
  }
  EXPECT_THAT(outputs[0], HasSubstr("written")) << outputs[0];
  EXPECT_EQ(outputs[0], outputs[1]);
  ExpectNothingLeft();
}

// --- --policy (sentry_policy_test.cc has the rest): exec'd processes get the same filter. ---

TEST_P(SentryTest, PolicyMovesASyscallForTheInitAndExecdProcesses) {
  if (!IsRunsc()) GTEST_SKIP() << "--policy is a runsc flag";
  std::string policy = tmp() + "/policy.json";
  std::ofstream(policy) << R"({"syscalls": {"getcpu": "deny:EXDEV"}})";
  BundleBuilder bundle = Bundle({"/bin/payload", "syscall", std::to_string(SYS_getcpu)});
  RunResult run = RunWithFlags({"--policy", policy}, bundle);
  EXPECT_EQ(run.out, "EXDEV\n") << run;
  std::string id = NewId();
  StartSleeperWithFlags(id, {"--policy", policy});
  RunResult exec = Exec(id, {"/bin/payload", "syscall", std::to_string(SYS_getcpu)});
  EXPECT_EQ(exec.out, "EXDEV\n") << exec;
  RunResult unpolicied = RunPayload({"/bin/payload", "syscall", std::to_string(SYS_getcpu)});
  EXPECT_EQ(unpolicied.exit_code, 0) << unpolicied;
}

}  // namespace
}  // namespace runsc::testing
