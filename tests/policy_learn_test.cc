// Learn mode (runsc --policy-learn, sentry/policy_learn.h) on real containers:
// the learned policy runs the workload it was learned on, denies (and logs)
// what another workload adds, and `runsc syscalls --policy FILE --diff` names
// what it removed. runsc only: runc has no learn mode.
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "fmt/format.h"
#include "tests/integration_test_base.h"

namespace runsc::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// busybox sh: file I/O on a tmpfs and a loopback TCP connection (nc), each step
// printing. The client retries (bounded) until the listener is up: no sleep
// decides the result.
constexpr char kFilesAndLoopback[] =
    "echo hello > /scratch/f && cat /scratch/f && wc -c < /scratch/f; "
    "nc -l -p 5000 > /scratch/got & "
    "for i in $(seq 1 100); do echo ping | nc 127.0.0.1 5000 && break; usleep "
    "50000; done; "
    "wait; cat /scratch/got";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class PolicyLearnTest : public IntegrationTest {
 protected:
  void SetUp() override {
    IntegrationTest::SetUp();
    if (!IsRunsc())
      GTEST_SKIP() << "--policy-learn is runsc's; runc has no learn mode";
  }

  BundleBuilder Workload(std::vector<std::string> args,
                         bool no_new_privs = false) {
    BundleBuilder bundle = NewBundle();
    bundle.AddMount("/scratch", "tmpfs", "tmpfs", {"size=1m"})
        .NoNewPrivileges(no_new_privs)
        .Args(std::move(args));
    EXPECT_TRUE(bundle.Write().ok());
    return bundle;
  }

  // Learns on `bundle` into <tmp>/learned/<id>.json (the %ID% template);
  // returns the file.
  std::string Learn(BundleBuilder& bundle, RunResult& result) {
    std::filesystem::create_directories(tmp() + "/learned");
    const std::string id = NewId();
    result = rt().Run({"--policy-learn", tmp() + "/learned/%ID%.json", "run",
                       "--bundle", bundle.dir(), id});
    return tmp() + "/learned/" + id + ".json";
  }
};
RUNSC_INSTANTIATE_FOR_RUNTIMES(PolicyLearnTest);

TEST_P(PolicyLearnTest, TheLearnedPolicyRunsTheSameWorkloadWithTheSameOutput) {
  for (bool no_new_privs : {false, true}) {
    SCOPED_TRACE(fmt::format("noNewPrivileges={}", no_new_privs));
    BundleBuilder bundle =
        Workload({"sh", "-c", kFilesAndLoopback}, no_new_privs);
    RunResult learning;
    const std::string learned = Learn(bundle, learning);
    ASSERT_EQ(learning.exit_code, 0) << learning;
    EXPECT_EQ(learning.out, "hello\n6\nping\n") << learning;
    const nlohmann::json policy =
        nlohmann::json::parse(ReadFile(learned), nullptr, false);
    ASSERT_TRUE(policy.is_object()) << ReadFile(learned);
    // What the table's rules key on is recorded: the socket families nc used.
    EXPECT_THAT(policy["learned"]["used"]["socket"].dump(),
                HasSubstr("arg0=0x2"))
        << policy.dump(2);
    EXPECT_EQ(policy["syscalls"].value("getcpu", ""), "deny") << policy.dump(2);
    EXPECT_FALSE(policy["syscalls"].contains("connect")) << policy.dump(2);

    RunResult again = rt().Run(
        {"--policy", learned, "run", "--bundle", bundle.dir(), NewId()});
    EXPECT_EQ(again.exit_code, 0) << again;
    EXPECT_EQ(again.out, learning.out) << again;
  }
}

TEST_P(PolicyLearnTest, AnotherWorkloadsExtraCallsAreDeniedAndLogged) {
  BundleBuilder first = Workload({"sh", "-c", kFilesAndLoopback});
  RunResult learning;
  const std::string learned = Learn(first, learning);
  ASSERT_EQ(learning.exit_code, 0) << learning;

  // getcpu: a call the shell never made.
  BundleBuilder other =
      Workload({"/bin/payload", "syscall", std::to_string(SYS_getcpu)});
  RunResult natively = rt().Run({"run", "--bundle", other.dir(), NewId()});
  ASSERT_EQ(natively.exit_code, 0)
      << "getcpu runs under the default table: " << natively;
  const std::string audit = tmp() + "/audit.log";
  RunResult denied = rt().Run({"--policy", learned, "--audit-log", audit, "run",
                               "--bundle", other.dir(), NewId()});
  EXPECT_EQ(denied.exit_code, 1) << denied;
  EXPECT_EQ(denied.out, "EPERM\n") << denied;
  bool logged = false;
  std::istringstream lines(ReadFile(audit));
  for (std::string line; std::getline(lines, line);) {
    const nlohmann::json entry = nlohmann::json::parse(line, nullptr, false);
    logged = logged || (entry.value("syscall", "") == "getcpu" &&
                        entry.value("disposition", "") == "deny" &&
                        entry.value("errno", "") == "EPERM");
  }
  EXPECT_TRUE(logged) << ReadFile(audit);
}

TEST_P(PolicyLearnTest, TheDiffNamesWhatTheLearnedPolicyRemoves) {
  BundleBuilder bundle =
      Workload({"sh", "-c", "echo hi > /scratch/f && cat /scratch/f"});
  RunResult learning;
  const std::string learned = Learn(bundle, learning);
  ASSERT_EQ(learning.exit_code, 0) << learning;
  RunResult diff = rt().RunRaw({"syscalls", "--policy", learned, "--diff"});
  ASSERT_EQ(diff.exit_code, 0) << diff;
  EXPECT_THAT(diff.out, HasSubstr(fmt::format(
                            "policy {} against the default table:", learned)))
      << diff;
  EXPECT_THAT(diff.out,
              HasSubstr("removed (denied by the policy, allowed by default):"))
      << diff;
  EXPECT_THAT(diff.out, HasSubstr("  getcpu ")) << diff;
  EXPECT_THAT(diff.out, HasSubstr("  socket ")) << diff;
  const nlohmann::json policy =
      nlohmann::json::parse(ReadFile(learned), nullptr, false);
  ASSERT_TRUE(policy.is_object()) << ReadFile(learned);
  ASSERT_TRUE(policy["learned"]["used"].contains("uname"))
      << policy.dump(2);  // busybox sh asks at start
  for (const auto& [used, classes] : policy["learned"]["used"].items()) {
    EXPECT_THAT(diff.out, Not(HasSubstr(fmt::format("\n  {} ", used))))
        << used << " was used";
  }
  EXPECT_THAT(diff.out, HasSubstr(" 0 added")) << diff;
  RunResult json = rt().RunRaw(
      {"syscalls", "--policy", learned, "--diff", "--format", "json"});
  ASSERT_EQ(json.exit_code, 0) << json;
  EXPECT_THAT(json.out, HasSubstr(R"("name": "getcpu")")) << json;
}

TEST_P(PolicyLearnTest, AnExecdProcessIsLearnedToo) {
  std::filesystem::create_directories(tmp() + "/learned");
  BundleBuilder bundle = Workload({"/bin/payload", "sleep", "30"});
  const std::string id = NewId();
  ASSERT_EQ(rt().Run({"--policy-learn", tmp() + "/learned/%ID%.json", "create",
                      "--bundle", bundle.dir(), id})
                .exit_code,
            0);
  ASSERT_EQ(rt().Run({"start", id}).exit_code, 0);
  RunResult exec = rt().Run(
      {"exec", id, "/bin/payload", "syscall", std::to_string(SYS_getcpu)});
  EXPECT_EQ(exec.exit_code, 0) << exec;
  const nlohmann::json policy = nlohmann::json::parse(
      ReadFile(tmp() + "/learned/" + id + ".json"), nullptr, false);
  ASSERT_TRUE(policy.is_object());
  EXPECT_TRUE(policy["learned"]["used"].contains("getcpu")) << policy.dump(2);
  EXPECT_FALSE(policy["syscalls"].contains("getcpu")) << policy.dump(2);
  rt().Run({"delete", "--force", id});
}

TEST_P(PolicyLearnTest, ADirectoryGetsOneFilePerContainer) {
  std::filesystem::create_directories(tmp() + "/dir");
  BundleBuilder bundle = Workload({"/bin/payload", "echo", "x"});
  const std::string a = NewId(), b = NewId();
  ASSERT_EQ(rt().Run({"--policy-learn", tmp() + "/dir", "run", "--bundle",
                      bundle.dir(), a})
                .exit_code,
            0);
  ASSERT_EQ(rt().Run({"--policy-learn", tmp() + "/dir/", "run", "--bundle",
                      bundle.dir(), b})
                .exit_code,
            0);
  EXPECT_TRUE(std::filesystem::exists(tmp() + "/dir/" + a + ".json"));
  EXPECT_TRUE(std::filesystem::exists(tmp() + "/dir/" + b + ".json"));
}

TEST_P(PolicyLearnTest, AnUnwritableFileFailsBeforeAnythingStarts) {
  BundleBuilder bundle = Workload({"/bin/payload", "echo", "x"});
  RunResult result = rt().Run({"--policy-learn", "/proc/no-such-dir/%ID%.json",
                               "create", "--bundle", bundle.dir(), "learn1"});
  ExpectOneLineError(result);
  EXPECT_THAT(result.err,
              HasSubstr("--policy-learn /proc/no-such-dir/learn1.json: "
                        "directory /proc/no-such-dir"))
      << result;
  ExpectNothingLeft();

  std::filesystem::create_directories(tmp() + "/ro");
  chmod((tmp() + "/ro").c_str(), 0555);
  const bool root_bypasses = access((tmp() + "/ro").c_str(), W_OK) == 0;
  if (!root_bypasses) {
    result = rt().Run({"--policy-learn", tmp() + "/ro/x.json", "create",
                       "--bundle", bundle.dir(), NewId()});
    ExpectOneLineError(result);
    EXPECT_THAT(result.err, HasSubstr("--policy-learn " + tmp() + "/ro/x.json"))
        << result;
  }
  std::filesystem::create_directories(tmp() + "/adir/x.json");
  result = rt().Run({"--policy-learn", tmp() + "/adir/x.json/", "create",
                     "--bundle", bundle.dir(), NewId()});
  EXPECT_EQ(result.exit_code, 0)
      << "a directory named x.json gets <id>.json in it: " << result;
  result = rt().Run({"--policy-learn", tmp() + "/adir/x.json/%ID%/f", "create",
                     "--bundle", bundle.dir(), NewId()});
  ExpectOneLineError(result);
  EXPECT_THAT(result.err, HasSubstr("--policy-learn")) << result;
}

TEST_P(PolicyLearnTest, LearnModeAndAPolicyTogetherAreRefused) {
  const std::string policy = tmp() + "/policy.json";
  std::ofstream(policy) << R"({"syscalls": {"getcpu": "deny"}})";
  BundleBuilder bundle = Workload({"/bin/payload", "echo", "x"});
  RunResult result =
      rt().Run({"--policy", policy, "--policy-learn", tmp() + "/%ID%.json",
                "create", "--bundle", bundle.dir(), "learn2"});
  ExpectOneLineError(result);
  EXPECT_THAT(result.err, HasSubstr("--policy-learn with --policy")) << result;
  EXPECT_FALSE(std::filesystem::exists(tmp() + "/learn2.json"));
  ExpectNothingLeft();
}

}  // namespace
}  // namespace runsc::testing
