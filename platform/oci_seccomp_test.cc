#include "platform/oci_seccomp.h"

#include <dirent.h>
#include <errno.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <seccomp.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <functional>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "platform/status_matchers.h"

namespace platform {
namespace {

using ::platform::testing::IsOk;
using ::platform::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using nlohmann::json;

// ---- parsing ----

absl::StatusOr<std::optional<OciSeccompProfile>> Parse(const json& profile) {
  return ParseOciSeccomp(profile, "linux.seccomp");
}

// The parse error of `profile`.
std::string ParseError(const json& profile) {
  auto parsed = Parse(profile);
  EXPECT_FALSE(parsed.ok()) << profile.dump();
  return parsed.ok() ? "" : std::string(parsed.status().message());
}

json Rule(std::vector<std::string> names, std::string action, json extra = json::object()) {
  json rule = {{"names", names}, {"action", action}};
  rule.update(extra);
  return rule;
}

TEST(ParseOciSeccompTest, NullOrEmptyMeansNoFilter) {
  for (const json& profile : {json(nullptr), json::object(), json{{"syscalls", json::array()}},
                              json{{"defaultAction", ""}, {"architectures", {"SCMP_ARCH_X86"}}}}) {
    auto parsed = Parse(profile);
    ASSERT_THAT(parsed, IsOk());
    EXPECT_FALSE(parsed->has_value()) << profile.dump();
  }
}

TEST(ParseOciSeccompTest, ReadsEveryField) {
  json profile = {{"defaultAction", "SCMP_ACT_ERRNO"},
                  {"defaultErrnoRet", 38},
                  {"architectures", {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86"}},
                  {"flags", {"SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"}},
                  {"listenerPath", "/run/agent.sock"},
                  {"listenerMetadata", "meta"},
                  {"syscalls",
                   {Rule({"read", "write"}, "SCMP_ACT_ALLOW"), Rule({"mkdir"}, "SCMP_ACT_NOTIFY"),
                    Rule({"personality"}, "SCMP_ACT_ERRNO",
                         {{"errnoRet", 95},
                          {"args", {{{"index", 0}, {"value", 0xff}, {"valueTwo", 8}, {"op", "SCMP_CMP_MASKED_EQ"}}}}}),
                    Rule({"getpid"}, "SCMP_ACT_TRACE"), Rule({"kill"}, "SCMP_ACT_KILL")}}};
  auto parsed = Parse(profile);
  ASSERT_THAT(parsed, IsOk());
  ASSERT_TRUE(parsed->has_value());
  const OciSeccompProfile& p = **parsed;
  EXPECT_EQ(p.default_action, SCMP_ACT_ERRNO(38));
  EXPECT_THAT(p.architectures, ::testing::ElementsAre(SCMP_ARCH_X86_64, SCMP_ARCH_X86));
  EXPECT_EQ(p.flags, SECCOMP_FILTER_FLAG_LOG | SECCOMP_FILTER_FLAG_SPEC_ALLOW);
  EXPECT_EQ(p.listener_path, "/run/agent.sock");
  EXPECT_EQ(p.listener_metadata, "meta");
  ASSERT_EQ(p.syscalls.size(), 5u);
  EXPECT_EQ(p.syscalls[0].action, SCMP_ACT_ALLOW);
  EXPECT_EQ(p.syscalls[1].action, SCMP_ACT_NOTIFY);
  EXPECT_EQ(p.syscalls[2].action, SCMP_ACT_ERRNO(95));
  ASSERT_EQ(p.syscalls[2].args.size(), 1u);
  EXPECT_EQ(p.syscalls[2].args[0].op, SCMP_CMP_MASKED_EQ);
  EXPECT_EQ(p.syscalls[2].args[0].value, 0xffu);
  EXPECT_EQ(p.syscalls[2].args[0].value_two, 8u);
  EXPECT_EQ(p.syscalls[3].action, SCMP_ACT_TRACE(EPERM));  // runc's default errno for TRACE
  EXPECT_EQ(p.syscalls[4].action, SCMP_ACT_KILL_THREAD);   // SCMP_ACT_KILL kills the thread
  EXPECT_TRUE(p.NeedsListener());
}

TEST(ParseOciSeccompTest, ErrorsNameTheField) {
  const json allow = {{"defaultAction", "SCMP_ACT_ALLOW"}};
  auto with = [&](json patch) {
    json profile = allow;
    profile.update(patch);
    return profile;
  };
  EXPECT_EQ(ParseError({{"defaultAction", "SCMP_ACT_NOPE"}}),
            "linux.seccomp.defaultAction: unknown action \"SCMP_ACT_NOPE\"");
  EXPECT_EQ(ParseError(with({{"syscalls", {Rule({"a"}, "SCMP_ACT_ALLOW"), Rule({"b"}, "X")}}})),
            "linux.seccomp.syscalls[1].action: unknown action \"X\"");
  EXPECT_EQ(ParseError(with({{"architectures", {"SCMP_ARCH_X86_64", "SCMP_ARCH_VAX"}}})),
            "linux.seccomp.architectures[1]: unknown architecture \"SCMP_ARCH_VAX\"");
  EXPECT_EQ(ParseError(with({{"flags", {"SECCOMP_FILTER_FLAG_FAST"}}})),
            "linux.seccomp.flags[0]: unknown flag \"SECCOMP_FILTER_FLAG_FAST\"");
  EXPECT_EQ(ParseError(with({{"syscalls", {Rule({"read"}, "SCMP_ACT_ERRNO",
                                                 {{"args", {{{"index", 0}, {"value", 1}, {"op", "SCMP_CMP_XX"}}}}})}}})),
            "linux.seccomp.syscalls[0].args[0].op: unknown operator \"SCMP_CMP_XX\"");
  EXPECT_EQ(ParseError(with({{"syscalls", {Rule({"read"}, "SCMP_ACT_ERRNO",
                                                 {{"args", {{{"index", 6}, {"value", 1}, {"op", "SCMP_CMP_EQ"}}}}})}}})),
            "linux.seccomp.syscalls[0].args[0].index: must be at most 5, got 6");
  EXPECT_EQ(ParseError(with({{"syscalls", {Rule({"read"}, "SCMP_ACT_ERRNO",
                                                 {{"args", {{{"index", 0}, {"value", -1}, {"op", "SCMP_CMP_EQ"}}}}})}}})),
            "linux.seccomp.syscalls[0].args[0].value: expected an integer from 0 to 18446744073709551615, got -1");
  EXPECT_EQ(ParseError(with({{"syscalls", {Rule({"read"}, "SCMP_ACT_ERRNO", {{"args", {{{"index", 0}}}}})}}})),
            "linux.seccomp.syscalls[0].args[0].op: required field missing");
  EXPECT_EQ(ParseError(with({{"syscalls", {Rule({"read"}, "SCMP_ACT_ERRNO", {{"args", "x"}})}}})),
            "linux.seccomp.syscalls[0].args: expected an array, got string");
  EXPECT_EQ(ParseError(with({{"syscalls", {Rule({"read"}, "SCMP_ACT_ALLOW", {{"errnoRet", 1}})}}})),
            "linux.seccomp.syscalls[0].errnoRet: SCMP_ACT_ALLOW takes no errno");
  EXPECT_EQ(ParseError(with({{"syscalls", {Rule({"read"}, "SCMP_ACT_ERRNO", {{"errnoRet", 70000}})}}})),
            "linux.seccomp.syscalls[0].errnoRet: must be at most 65535, got 70000");
  EXPECT_EQ(ParseError(with({{"syscalls", {{{"action", "SCMP_ACT_ALLOW"}}}}})),
            "linux.seccomp.syscalls[0].names: required field missing");
  EXPECT_EQ(ParseError(with({{"syscalls", {Rule({"read", ""}, "SCMP_ACT_ALLOW")}}})),
            "linux.seccomp.syscalls[0].names[1]: must not be empty");
  EXPECT_EQ(ParseError(with({{"syscalls", {{{"names", "read"}, {"action", "SCMP_ACT_ALLOW"}}}}})),
            "linux.seccomp.syscalls[0].names: expected an array, got string");
  EXPECT_EQ(ParseError({{"syscalls", {Rule({"read"}, "SCMP_ACT_ALLOW")}}}),
            "linux.seccomp.defaultAction: required field missing");
  EXPECT_EQ(ParseError(json::array()), "linux.seccomp: expected an object, got array");
}

TEST(ParseOciSeccompTest, NotifyNeedsAnAbsoluteListenerAndIsNotTheDefault) {
  const json notify_mkdir = {{"defaultAction", "SCMP_ACT_ALLOW"}, {"syscalls", {Rule({"mkdir"}, "SCMP_ACT_NOTIFY")}}};
  EXPECT_EQ(ParseError(notify_mkdir), "linux.seccomp.listenerPath: required when an action is SCMP_ACT_NOTIFY");
  json relative = notify_mkdir;
  relative["listenerPath"] = "agent.sock";
  EXPECT_THAT(ParseError(relative), HasSubstr("linux.seccomp.listenerPath: must be an absolute path"));
  EXPECT_EQ(ParseError({{"defaultAction", "SCMP_ACT_NOTIFY"}, {"listenerPath", "/a"}}),
            "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action");
  EXPECT_THAT(ParseError({{"defaultAction", "SCMP_ACT_ALLOW"},
                          {"listenerPath", "/a"},
                          {"syscalls", {Rule({"sendmsg"}, "SCMP_ACT_NOTIFY")}}}),
              HasSubstr("linux.seccomp.syscalls[0].action: SCMP_ACT_NOTIFY cannot be used for sendmsg"));
}

// ---- compiling: what rules libseccomp is given ----

std::string Pfc(const json& profile) {
  auto parsed = Parse(profile);
  EXPECT_THAT(parsed, IsOk());
  if (!parsed.ok() || !parsed->has_value()) return "";
  absl::StatusOr<std::string> pfc = ExportOciSeccompPfc(**parsed);
  EXPECT_THAT(pfc, IsOk());
  return pfc.ok() ? *pfc : "";
}

TEST(CompileOciSeccompTest, RulesAndDefault) {
  std::string pfc = Pfc({{"defaultAction", "SCMP_ACT_ERRNO"},
                         {"syscalls",
                          {Rule({"getpid", "no_such_syscall_xyz"}, "SCMP_ACT_ALLOW"),
                           Rule({"getppid"}, "SCMP_ACT_ERRNO"),  // same as the default: dropped
                           Rule({"mkdir"}, "SCMP_ACT_ERRNO", {{"errnoRet", 95}})}}});
  EXPECT_THAT(pfc, HasSubstr("if ($syscall == 39)"));   // getpid
  EXPECT_THAT(pfc, HasSubstr("if ($syscall == 83)"));   // mkdir
  EXPECT_THAT(pfc, HasSubstr("action ERRNO(95);"));
  EXPECT_THAT(pfc, Not(HasSubstr("if ($syscall == 110)")));  // getppid
  EXPECT_THAT(pfc, HasSubstr("action ERRNO(1);"));            // the default, EPERM
}

TEST(CompileOciSeccompTest, ConditionsOnDistinctArgsAreOneRule) {
  std::string pfc = Pfc({{"defaultAction", "SCMP_ACT_ALLOW"},
                         {"syscalls",
                          {Rule({"socket"}, "SCMP_ACT_ERRNO",
                                {{"args",
                                  {{{"index", 0}, {"value", 10}, {"op", "SCMP_CMP_EQ"}},
                                   {{"index", 1}, {"value", 2}, {"op", "SCMP_CMP_EQ"}}}}})}}});
  // One rule: arg0 == 10 AND arg1 == 2.
  EXPECT_THAT(pfc, HasSubstr("if ($a0.lo32 == 10)"));
  EXPECT_THAT(pfc, HasSubstr("if ($a1.lo32 == 2)"));
}

TEST(CompileOciSeccompTest, ConditionsOnOneArgAreSeparateRules) {
  // runc: two conditions on arg 0 become two rules (an OR), not an impossible AND.
  std::string pfc = Pfc({{"defaultAction", "SCMP_ACT_ALLOW"},
                         {"syscalls",
                          {Rule({"personality"}, "SCMP_ACT_ERRNO",
                                {{"args",
                                  {{{"index", 0}, {"value", 1}, {"op", "SCMP_CMP_EQ"}},
                                   {{"index", 0}, {"value", 2}, {"op", "SCMP_CMP_EQ"}}}}})}}});
  EXPECT_THAT(pfc, HasSubstr("if ($a0.lo32 == 1)"));
  EXPECT_THAT(pfc, HasSubstr("if ($a0.lo32 == 2)"));
}

TEST(CompileOciSeccompTest, FlagsAndListener) {
  auto parsed = Parse({{"defaultAction", "SCMP_ACT_ALLOW"},
                       {"flags", {"SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"}},
                       {"listenerPath", "/a"},
                       {"syscalls", {Rule({"mkdir"}, "SCMP_ACT_NOTIFY")}}});
  ASSERT_THAT(parsed, IsOk());
  absl::StatusOr<CompiledSeccomp> compiled = CompileOciSeccomp(**parsed);
  ASSERT_THAT(compiled, IsOk());
  EXPECT_EQ(compiled->flags, SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV |
                                 SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_TSYNC_ESRCH);
  parsed = Parse({{"defaultAction", "SCMP_ACT_ALLOW"}, {"flags", {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"}}});
  ASSERT_THAT(parsed, IsOk());
  compiled = CompileOciSeccomp(**parsed);
  ASSERT_THAT(compiled, IsOk());
  EXPECT_EQ(compiled->flags, 0u);  // no listener: nothing to wait on
}

// ---- loading: probe the filter in a forked child ----

// Forks; the child sets no_new_privs, installs `profile` and exits with
// `probe()`. Returns the child's wait status.
int RunFiltered(const json& profile, const std::function<int()>& probe) {
  pid_t pid = fork();
  if (pid == 0) {
    auto pending = PendingOciSeccomp::Prepare(profile, {});
    if (!pending.ok() || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || !pending->Install().ok()) _exit(100);
    _exit(probe());
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return status;
}

// The errno of `call` (0 when it succeeded).
int ErrnoOf(long result) { return result < 0 ? errno : 0; }

TEST(LoadOciSeccompTest, ErrnoWithCustomValue) {
  int status = RunFiltered({{"defaultAction", "SCMP_ACT_ALLOW"},
                            {"syscalls", {Rule({"getcpu"}, "SCMP_ACT_ERRNO", {{"errnoRet", EXDEV}})}}},
                           [] { return ErrnoOf(syscall(SYS_getcpu, nullptr, nullptr, nullptr)); });
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), EXDEV);
}

TEST(LoadOciSeccompTest, KillProcessAndTrapEndInSigsys) {
  for (const char* action : {"SCMP_ACT_KILL_PROCESS", "SCMP_ACT_TRAP"}) {
    int status = RunFiltered({{"defaultAction", "SCMP_ACT_ALLOW"}, {"syscalls", {Rule({"getcpu"}, action)}}},
                             [] { return ErrnoOf(syscall(SYS_getcpu, nullptr, nullptr, nullptr)); });
    ASSERT_TRUE(WIFSIGNALED(status)) << action << " " << status;
    EXPECT_EQ(WTERMSIG(status), SIGSYS) << action;
  }
}

TEST(LoadOciSeccompTest, ArgumentConditionDeniesOnlyTheMatchingCall) {
  json profile = {{"defaultAction", "SCMP_ACT_ALLOW"},
                  {"syscalls", {Rule({"personality"}, "SCMP_ACT_ERRNO",
                                     {{"args", {{{"index", 0}, {"value", 0xffffffff}, {"op", "SCMP_CMP_EQ"}}}}})}}};
  EXPECT_EQ(RunFiltered(profile, [] { return ErrnoOf(personality(0xffffffff)); }), EPERM << 8);
  EXPECT_EQ(RunFiltered(profile, [] { return ErrnoOf(personality(PER_LINUX)); }), 0);
}

TEST(LoadOciSeccompTest, DefaultErrnoWithAllowlist) {
  json profile = {{"defaultAction", "SCMP_ACT_ERRNO"},
                  {"defaultErrnoRet", ENOSYS},
                  // What the child needs to finish (memory and teardown calls, which
                  // sanitizer builds make too), and the probe getpid.
                  {"syscalls", {Rule({"exit_group", "exit", "getpid", "mmap", "munmap", "mprotect", "madvise",
                                      "brk", "close", "write", "futex", "rt_sigprocmask", "sigaltstack", "prctl",
                                      "gettid", "sched_yield"},
                                     "SCMP_ACT_ALLOW")}}};
  EXPECT_EQ(RunFiltered(profile, [] { return ErrnoOf(syscall(SYS_getpid)); }), 0);
  EXPECT_EQ(RunFiltered(profile, [] { return ErrnoOf(syscall(SYS_getppid)); }), ENOSYS << 8);
}

TEST(LoadOciSeccompTest, LoadWithoutNoNewPrivsNeedsCapSysAdmin) {
  pid_t pid = fork();
  if (pid == 0) {
    auto parsed = Parse({{"defaultAction", "SCMP_ACT_ALLOW"}, {"syscalls", {Rule({"getcpu"}, "SCMP_ACT_LOG")}}});
    auto compiled = CompileOciSeccomp(**parsed);
    // Drop CAP_SYS_ADMIN from the effective set only: the load must fail, not set nnp itself.
    if (setresuid(65534, 65534, 65534) != 0) _exit(99);
    auto loaded = LoadSeccompProgram(*compiled);
    _exit(!loaded.ok() && prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 0 ? 0 : 1);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_EQ(status, 0);
}

// ---- the agent hand-over ----

// Counts the open fds of the calling process.
int CountFds() {
  int count = 0;
  DIR* dir = opendir("/proc/self/fd");
  while (dirent* entry = readdir(dir)) count += entry->d_name[0] != '.';
  closedir(dir);
  return count - 1;  // the DIR's own fd
}

TEST(PendingOciSeccompTest, HandsListenerAndStateToTheAgentAndLeaksNoFd) {
  char dir[] = "/tmp/oci-seccomp-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  const std::string path = std::string(dir) + "/agent.sock";
  int server = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  strcpy(addr.sun_path, path.c_str());
  ASSERT_EQ(bind(server, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(server, 1), 0);
  json profile = {{"defaultAction", "SCMP_ACT_ALLOW"},
                  {"listenerPath", path},
                  {"listenerMetadata", "hello"},
                  {"syscalls", {Rule({"getcpu"}, "SCMP_ACT_NOTIFY")}}};
  pid_t pid = fork();
  if (pid == 0) {
    close(server);
    const int before = CountFds();
    auto pending = PendingOciSeccomp::Prepare(profile, {"1.0.2", "ctr", "creating", "/b", {{"k", "v"}}});
    if (!pending.ok() || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || !pending->Install().ok()) _exit(100);
    if (CountFds() != before) _exit(101);  // the invariant: socket and listener closed
    long rc = syscall(SYS_getcpu, nullptr, nullptr, nullptr);
    _exit(rc == 42 ? 0 : 102);
  }
  int conn = accept4(server, nullptr, nullptr, SOCK_CLOEXEC);
  ASSERT_GE(conn, 0);
  char data[4096];
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
  iovec iov{data, sizeof(data)};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  ssize_t n = recvmsg(conn, &msg, MSG_CMSG_CLOEXEC);
  ASSERT_GT(n, 0);
  cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
  ASSERT_NE(cmsg, nullptr);
  ASSERT_EQ(cmsg->cmsg_type, SCM_RIGHTS);
  int listener;
  memcpy(&listener, CMSG_DATA(cmsg), sizeof(int));
  json state = json::parse(std::string(data, n));
  EXPECT_EQ(state["fds"], json({"seccompFd"}));
  EXPECT_EQ(state["pid"], pid);
  EXPECT_EQ(state["metadata"], "hello");
  EXPECT_EQ(state["state"]["id"], "ctr");
  EXPECT_EQ(state["state"]["status"], "creating");
  EXPECT_EQ(state["state"]["pid"], pid);
  EXPECT_EQ(state["state"]["bundle"], "/b");
  EXPECT_EQ(state["state"]["annotations"]["k"], "v");
  // Answer the child's one notified call with 42.
  pollfd pfd{listener, POLLIN, 0};
  ASSERT_EQ(poll(&pfd, 1, 10000), 1);
  seccomp_notif req{};
  ASSERT_EQ(ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req), 0);
  EXPECT_EQ(req.data.nr, SYS_getcpu);
  seccomp_notif_resp resp{};
  resp.id = req.id;
  resp.val = 42;
  ASSERT_EQ(ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp), 0);
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_EQ(status, 0) << "child exit " << WEXITSTATUS(status);
  close(listener);
  close(conn);
  close(server);
  unlink(path.c_str());
  rmdir(dir);
}

TEST(PendingOciSeccompTest, UnreachableAgentFailsPrepareWithoutLeaking) {
  const int before = CountFds();
  auto pending = PendingOciSeccomp::Prepare({{"defaultAction", "SCMP_ACT_ALLOW"},
                                             {"listenerPath", "/nonexistent/agent.sock"},
                                             {"syscalls", {Rule({"getcpu"}, "SCMP_ACT_NOTIFY")}}},
                                            {});
  EXPECT_THAT(pending.status(), StatusIs(absl::StatusCode::kNotFound,
                                         AllOf(HasSubstr("linux.seccomp.listenerPath"),
                                               HasSubstr("/nonexistent/agent.sock"))));
  EXPECT_EQ(CountFds(), before);
}

TEST(PendingOciSeccompTest, NoProfileInstallsNothing) {
  auto pending = PendingOciSeccomp::Prepare(nullptr, {});
  ASSERT_THAT(pending, IsOk());
  EXPECT_FALSE(pending->pending());
  EXPECT_THAT(pending->Install(), IsOk());
}

}  // namespace
}  // namespace platform
