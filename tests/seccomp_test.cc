// Integration tests of linux.seccomp: actions, argument conditions, Docker's default profile,
// SCMP_ACT_NOTIFY with a seccomp agent at listenerPath, and bad profiles.
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <string>
#include <thread>

#include "fmt/format.h"
#include "tests/integration_test_base.h"

namespace runsc::testing {
namespace {

using ::testing::HasSubstr;
using json = nlohmann::json;

// "/bin/payload syscall <nr> <args...>".
std::vector<std::string> Syscall(long nr, std::vector<std::string> args = {}) {
  std::vector<std::string> argv = {"/bin/payload", "syscall", std::to_string(nr)};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

std::string Sh(const std::vector<std::string>& argv) {
  std::string out;
  for (const std::string& arg : argv) out += (out.empty() ? "" : " ") + arg;
  return out;
}

json Rule(std::vector<std::string> names, const std::string& action, json extra = json::object()) {
  json rule = {{"names", std::move(names)}, {"action", action}};
  rule.update(extra);
  return rule;
}

bool Contains(const json& list, const std::string& value) {
  return list.is_array() && std::find(list.begin(), list.end(), value) != list.end();
}

// Docker's conversion of its profile format (archMap, includes/excludes by caps, arches and
// minKernel) into the OCI linux.seccomp it hands to the runtime, for amd64 and `bounding` caps
// (moby's profiles/seccomp/seccomp_linux.go setupSeccomp). Every minKernel is met here.
json DockerToOci(const json& docker, const json& bounding) {
  json oci = {{"defaultAction", docker["defaultAction"]}, {"architectures", json::array()},
              {"syscalls", json::array()}};
  if (docker.contains("defaultErrnoRet")) oci["defaultErrnoRet"] = docker["defaultErrnoRet"];
  for (const json& entry : docker["archMap"]) {
    if (entry["architecture"] != "SCMP_ARCH_X86_64") continue;
    oci["architectures"].push_back(entry["architecture"]);
    for (const json& sub : entry["subArchitectures"]) oci["architectures"].push_back(sub);
  }
  for (const json& call : docker["syscalls"]) {
    const json excludes = call.value("excludes", json::object());
    const json includes = call.value("includes", json::object());
    if (Contains(excludes.value("arches", json()), "amd64")) continue;
    bool skip = false;
    for (const json& cap : excludes.value("caps", json::array())) skip |= Contains(bounding, cap);
    if (includes.contains("arches") && !Contains(includes["arches"], "amd64")) skip = true;
    for (const json& cap : includes.value("caps", json::array())) skip |= !Contains(bounding, cap);
    if (skip) continue;
    json rule = {{"names", call["names"]}, {"action", call["action"]}};
    if (call.contains("errnoRet")) rule["errnoRet"] = call["errnoRet"];
    if (call.contains("args")) rule["args"] = call["args"];
    oci["syscalls"].push_back(rule);
  }
  return oci;
}

json LoadDockerProfile() {
  std::ifstream in(RUNSC_TEST_DATA_DIR "/docker_default_seccomp.json");
  return json::parse(in, nullptr, /*allow_exceptions=*/false);
}

class SeccompTest : public IntegrationTest {
 protected:
  // Runs `argv` under `profile` (linux.seccomp) with process.noNewPrivileges = `nnp`.
  RunResult RunUnder(const json& profile, const std::vector<std::string>& argv, bool nnp = true) {
    BundleBuilder bundle = NewBundle();
    bundle.Args(argv).NoNewPrivileges(nnp).MergePatch({{"linux", {{"seccomp", profile}}}});
    return RunInBundle(bundle);
  }
};
RUNSC_INSTANTIATE_FOR_RUNTIMES(SeccompTest);

TEST_P(SeccompTest, DockerDefaultProfileDeniesUnshareAndAllowsOrdinaryCalls) {
  const json docker = LoadDockerProfile();
  ASSERT_FALSE(docker.is_discarded());
  BundleBuilder bundle = NewBundle();
  const json profile = DockerToOci(docker, bundle.config()["process"]["capabilities"]["bounding"]);
  // Docker runs containers without no_new_privs by default: the profile goes in before caps drop.
  const std::string script = fmt::format(
      "{}; echo hi > /dev/shm/f && cat /dev/shm/f && /bin/payload hostname && ls /bin/payload && /bin/payload pid",
      Sh(Syscall(SYS_unshare, {std::to_string(CLONE_NEWNS)})));
  bundle.Args({"sh", "-c", script}).NoNewPrivileges(false).MergePatch({{"linux", {{"seccomp", profile}}}});
  RunResult result = RunInBundle(bundle);
  EXPECT_EQ(result.exit_code, 0) << result;
  EXPECT_EQ(result.out, "EPERM\nhi\nrunsc\n/bin/payload\n1\n") << result;
}

TEST_P(SeccompTest, DockerDefaultProfileWithNoNewPrivileges) {
  BundleBuilder bundle = NewBundle();
  const json profile = DockerToOci(LoadDockerProfile(), bundle.config()["process"]["capabilities"]["bounding"]);
  bundle.Args(Syscall(SYS_unshare, {std::to_string(CLONE_NEWUTS)})).NoNewPrivileges(true).MergePatch(
      {{"linux", {{"seccomp", profile}}}});
  RunResult result = RunInBundle(bundle);
  EXPECT_EQ(result.exit_code, 1) << result;
  EXPECT_EQ(result.out, "EPERM\n") << result;
}

TEST_P(SeccompTest, ErrnoWithCustomErrnoRet) {
  json profile = {{"defaultAction", "SCMP_ACT_ALLOW"},
                  {"syscalls", {Rule({"getcpu"}, "SCMP_ACT_ERRNO", {{"errnoRet", EXDEV}})}}};
  RunResult result = RunUnder(profile, Syscall(SYS_getcpu));
  EXPECT_EQ(result.exit_code, 1) << result;
  EXPECT_EQ(result.out, "EXDEV\n") << result;
}

TEST_P(SeccompTest, ExecdProcessesGetTheProfileToo) {
  json profile = {{"defaultAction", "SCMP_ACT_ALLOW"},
                  {"syscalls", {Rule({"getcpu"}, "SCMP_ACT_ERRNO", {{"errnoRet", EXDEV}})}}};
  BundleBuilder bundle = NewBundle();
  bundle.Args({"/bin/payload", "sleep", "1000"}).MergePatch({{"linux", {{"seccomp", profile}}}});
  std::string id = NewId();
  CreateOrDie(bundle, id);
  ASSERT_EQ(rt().Run({"start", id}).exit_code, 0);
  RunResult result = rt().Run([&] {
    std::vector<std::string> argv = {"exec", id};
    for (const std::string& arg : Syscall(SYS_getcpu)) argv.push_back(arg);
    return argv;
  }());
  EXPECT_EQ(result.exit_code, 1) << result;
  EXPECT_EQ(result.out, "EXDEV\n") << result;
}

TEST_P(SeccompTest, KillProcessEndsTheContainerWithSigsys) {
  json profile = {{"defaultAction", "SCMP_ACT_ALLOW"}, {"syscalls", {Rule({"getcpu"}, "SCMP_ACT_KILL_PROCESS")}}};
  RunResult result = RunUnder(profile, Syscall(SYS_getcpu), /*nnp=*/false);
  EXPECT_EQ(result.exit_code, 128 + SIGSYS) << result;  // both runtimes report a signal as 128+n
  EXPECT_EQ(result.out, "") << result;
}

TEST_P(SeccompTest, ArgumentConditionDeniesOnlyTheMatchingCall) {
  json profile = {{"defaultAction", "SCMP_ACT_ALLOW"},
                  {"syscalls", {Rule({"personality"}, "SCMP_ACT_ERRNO",
                                     {{"args", {{{"index", 0}, {"value", 0xffffffffu}, {"op", "SCMP_CMP_EQ"}}}}})}}};
  const std::string script =
      fmt::format("{}; {}", Sh(Syscall(SYS_personality, {"0xffffffff"})), Sh(Syscall(SYS_personality, {"0"})));
  RunResult result = RunUnder(profile, {"sh", "-c", script});
  EXPECT_EQ(result.exit_code, 0) << result;
  EXPECT_EQ(result.out, "EPERM\n0\n") << result;
}

TEST_P(SeccompTest, DefaultErrnoWithAnAllowlist) {
  // Docker's unconditional allowlist without getcpu, under a default of EXDEV.
  json allowlist = LoadDockerProfile()["syscalls"][0]["names"];
  allowlist.erase(std::find(allowlist.begin(), allowlist.end(), "getcpu"));
  json profile = {{"defaultAction", "SCMP_ACT_ERRNO"},
                  {"defaultErrnoRet", EXDEV},
                  {"architectures", {"SCMP_ARCH_X86_64"}},
                  {"syscalls", {Rule(allowlist, "SCMP_ACT_ALLOW"), Rule({"arch_prctl", "clone"}, "SCMP_ACT_ALLOW")}}};
  const std::string script = fmt::format("{}; /bin/payload pid", Sh(Syscall(SYS_getcpu)));
  for (bool nnp : {true, false}) {
    RunResult result = RunUnder(profile, {"sh", "-c", script}, nnp);
    EXPECT_EQ(result.exit_code, 0) << "nnp " << nnp << " " << result;
    EXPECT_EQ(result.out, "EXDEV\n1\n") << "nnp " << nnp << " " << result;
  }
}

TEST_P(SeccompTest, LogAllowsTheCall) {
  json profile = {{"defaultAction", "SCMP_ACT_ALLOW"}, {"syscalls", {Rule({"getcpu"}, "SCMP_ACT_LOG")}}};
  RunResult result = RunUnder(profile, Syscall(SYS_getcpu, {"0", "0", "0"}));
  EXPECT_EQ(result.exit_code, 0) << result;
  EXPECT_EQ(result.out, "0\n") << result;
}

TEST_P(SeccompTest, FilterFlagsAreApplied) {
  // runc 1.1 refuses any linux.seccomp.flags ("seccomp flags are not yet supported by runc");
  // runc 1.2 accepts these three.
  if (!IsRunsc()) GTEST_SKIP() << "runc 1.1 rejects linux.seccomp.flags";
  json profile = {{"defaultAction", "SCMP_ACT_ALLOW"},
                  {"flags", {"SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_TSYNC"}},
                  {"syscalls", {Rule({"getcpu"}, "SCMP_ACT_ERRNO", {{"errnoRet", EXDEV}})}}};
  for (bool nnp : {true, false}) {
    RunResult result = RunUnder(profile, {"sh", "-c", Sh(Syscall(SYS_getcpu)) + "; /bin/payload status"}, nnp);
    EXPECT_EQ(result.exit_code, 0) << result;
    EXPECT_THAT(result.out, ::testing::StartsWith("EXDEV\n")) << result;
    // SPEC_ALLOW leaves the speculative store bypass mitigation off for this task.
    EXPECT_THAT(result.out, ::testing::Not(HasSubstr("thread force mitigated"))) << result;
  }
}

// A seccomp agent on a unix socket: receives the listener and the state, answers one
// notification with `answer`. Every wait is bounded.
struct AgentResult {
  std::string error;
  json state;
  long nr = -1;
};

AgentResult Failed(std::string error) {
  AgentResult result;
  result.error = std::move(error);
  return result;
}

AgentResult ServeOneNotification(int server, long answer) {
  AgentResult result;
  pollfd pfd{server, POLLIN, 0};
  if (poll(&pfd, 1, 15000) != 1) return Failed("no connection from the runtime");
  int conn = accept4(server, nullptr, nullptr, SOCK_CLOEXEC);
  if (conn < 0) return Failed("accept failed");
  char data[8192];
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * 4)];
  iovec iov{data, sizeof(data)};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  pfd = {conn, POLLIN, 0};
  ssize_t n = poll(&pfd, 1, 15000) == 1 ? recvmsg(conn, &msg, MSG_CMSG_CLOEXEC) : -1;
  close(conn);
  cmsghdr* cmsg = n > 0 ? CMSG_FIRSTHDR(&msg) : nullptr;
  if (cmsg == nullptr || cmsg->cmsg_type != SCM_RIGHTS) return Failed("no listener received");
  int listener;
  memcpy(&listener, CMSG_DATA(cmsg), sizeof(int));
  result.state = json::parse(std::string(data, n), nullptr, false);
  pfd = {listener, POLLIN, 0};
  seccomp_notif req{};
  if (poll(&pfd, 1, 15000) != 1 || ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req) != 0) {
    close(listener);
    result.error = "no notification";
    return result;
  }
  result.nr = req.data.nr;
  seccomp_notif_resp resp{};
  resp.id = req.id;
  resp.val = answer;
  if (ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp) != 0) result.error = "answering failed";
  close(listener);
  return result;
}

TEST_P(SeccompTest, NotifyHandsTheListenerToTheAgent) {
  for (bool nnp : {true, false}) {
    SCOPED_TRACE(nnp ? "noNewPrivileges" : "without noNewPrivileges");
    const std::string path = fmt::format("{}/agent{}.sock", tmp(), nnp);
    int server = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    ASSERT_LT(path.size(), sizeof(addr.sun_path));
    memcpy(addr.sun_path, path.c_str(), path.size());
    ASSERT_EQ(bind(server, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    ASSERT_EQ(listen(server, 1), 0);
    AgentResult agent;
    std::thread thread([&] { agent = ServeOneNotification(server, 42); });
    json profile = {{"defaultAction", "SCMP_ACT_ALLOW"},
                    {"listenerPath", path},
                    {"listenerMetadata", "it-metadata"},
                    {"syscalls", {Rule({"getcpu"}, "SCMP_ACT_NOTIFY")}}};
    const std::string id = NewId();
    BundleBuilder bundle = NewBundle();
    // The listener and the agent socket must not reach the workload: it sees stdio only.
    bundle.Args({"sh", "-c", Sh(Syscall(SYS_getcpu)) + "; /bin/payload fds"}).NoNewPrivileges(nnp).MergePatch(
        {{"linux", {{"seccomp", profile}}}});
    RunResult result = RunInBundle(bundle, id);
    thread.join();
    close(server);
    EXPECT_EQ(agent.error, "");
    EXPECT_EQ(agent.nr, SYS_getcpu);
    EXPECT_EQ(result.exit_code, 0) << result;
    EXPECT_THAT(result.out, ::testing::StartsWith("42\n")) << result;
    EXPECT_THAT(result.out, ::testing::Not(HasSubstr("\n3 ->"))) << result;
    EXPECT_THAT(result.out, ::testing::Not(HasSubstr("seccomp"))) << result;
    ASSERT_TRUE(agent.state.is_object()) << agent.state;
    EXPECT_EQ(agent.state["fds"], json({"seccompFd"}));
    EXPECT_EQ(agent.state["metadata"], "it-metadata");
    EXPECT_EQ(agent.state["state"]["id"], id);
    EXPECT_EQ(agent.state["state"]["status"], "creating");
    EXPECT_EQ(agent.state["state"]["bundle"], bundle.dir());
    EXPECT_GT(agent.state["pid"].get<int>(), 1);
    EXPECT_EQ(agent.state["state"]["pid"], agent.state["pid"]);
  }
}

// A profile with SCMP_ACT_NOTIFY takes the task's one listener: runsc then
// runs the sandbox on ptrace (issue 19), so its traps stay. Seen from inside:
// sysinfo is the sentry's (the memory limit), not the host's.
TEST_P(SeccompTest, ANotifyProfileKeepsTheSandboxsTrapsOnPtrace) {
  if (!IsRunsc()) GTEST_SKIP() << "sysinfo shows the host under runc";
  constexpr long long kLimit = 256LL << 20;
  const std::string path = fmt::format("{}/agent-ptrace.sock", tmp());
  int server = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  ASSERT_LT(path.size(), sizeof(addr.sun_path));
  memcpy(addr.sun_path, path.c_str(), path.size());
  ASSERT_EQ(bind(server, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(server, 1), 0);
  AgentResult agent;
  std::thread thread([&] { agent = ServeOneNotification(server, 42); });
  json profile = {{"defaultAction", "SCMP_ACT_ALLOW"},
                  {"listenerPath", path},
                  {"syscalls", {Rule({"getcpu"}, "SCMP_ACT_NOTIFY")}}};
  BundleBuilder bundle = NewBundle();
  bundle.Args({"sh", "-c", Sh(Syscall(SYS_getcpu)) + "; /bin/payload sysinfo"})
      .MergePatch({{"linux", {{"seccomp", profile}, {"resources", {{"memory", {{"limit", kLimit}}}}}}}});
  RunResult result = RunInBundle(bundle, NewId());
  thread.join();
  close(server);
  EXPECT_EQ(agent.error, "");
  EXPECT_EQ(result.exit_code, 0) << result;
  EXPECT_THAT(result.out, ::testing::StartsWith("42\n")) << result;
  EXPECT_THAT(result.out, HasSubstr(fmt::format("totalram={}", kLimit))) << result;
}

// Bad profiles fail `create` with a one-line error naming the field; nothing is left behind.
TEST_P(SeccompTest, BadProfilesAreRejectedNamingTheField) {
  const json allow = {{"defaultAction", "SCMP_ACT_ALLOW"}};
  struct Case {
    json profile;
    std::string field;
  };
  std::vector<Case> cases = {
      {{{"defaultAction", "SCMP_ACT_ALLOW"}, {"syscalls", {Rule({"getcpu"}, "SCMP_ACT_BOGUS")}}},
       "linux.seccomp.syscalls[0].action: unknown action \"SCMP_ACT_BOGUS\""},
      {{{"defaultAction", "SCMP_ACT_ALLOW"}, {"architectures", {"SCMP_ARCH_PDP11"}}},
       "linux.seccomp.architectures[0]: unknown architecture \"SCMP_ARCH_PDP11\""},
      {{{"defaultAction", "SCMP_ACT_ALLOW"},
        {"syscalls", {Rule({"getcpu"}, "SCMP_ACT_ERRNO", {{"args", {{{"index", 0}, {"value", 1}, {"op", "SCMP_CMP_SOON"}}}}})}}},
       "linux.seccomp.syscalls[0].args[0].op: unknown operator \"SCMP_CMP_SOON\""},
      {{{"defaultAction", "SCMP_ACT_ALLOW"},
        {"syscalls", {Rule({"getcpu"}, "SCMP_ACT_ERRNO", {{"args", {{{"index", 0}, {"value", "one"}, {"op", "SCMP_CMP_EQ"}}}}})}}},
       "linux.seccomp.syscalls[0].args[0].value: expected a number, got string"},
  };
  for (const Case& c : cases) {
    BundleBuilder bundle = NewBundle();
    bundle.MergePatch({{"linux", {{"seccomp", c.profile}}}});
    ASSERT_TRUE(bundle.Write().ok());
    const std::string id = NewId();
    RunResult result = rt().Run({"create", "--bundle", bundle.dir(), id});
    ExpectOneLineError(result);
    // runc 1.1 words these differently ("string SCMP_ACT_BOGUS is not a valid action for
    // seccomp", a JSON unmarshal error); the field path is our own addition.
    if (IsRunsc()) {
      EXPECT_THAT(result.err, HasSubstr("config.json: " + c.field)) << result;
    }
    EXPECT_NE(rt().Run({"state", id}).exit_code, 0) << "container " << id << " exists";
  }
  ExpectNothingLeft();
}

}  // namespace
}  // namespace runsc::testing
