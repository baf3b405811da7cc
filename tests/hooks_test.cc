// Integration tests of the OCI lifecycle hooks.
#include <fstream>
#include <sstream>
#include <string>

#include "fmt/format.h"
#include "tests/integration_test_base.h"

namespace runsc::testing {
namespace {

using ::testing::HasSubstr;

class HooksTest : public IntegrationTest {
 protected:
  // A hook running `sh -c script` (the host's /bin/sh).
  static nlohmann::json ShellHook(const std::string& script) {
    return {{"path", "/bin/sh"}, {"args", {"sh", "-c", script}}};
  }
  // A hook that appends "<kind> <status> <id>" (from the state on stdin) to `log`.
  static nlohmann::json Recorder(const std::string& kind, const std::string& log) {
    return ShellHook(fmt::format(
        "state=$(cat); status=$(echo \"$state\" | sed 's/.*\"status\": *\"\\([a-z]*\\)\".*/\\1/'); "
        "echo \"{} $status\" >> {}",
        kind, log));
  }
  static std::string ReadFile(const std::string& path) {
    std::ifstream file(path);
    std::stringstream text;
    text << file.rdbuf();
    return text.str();
  }
};
RUNSC_INSTANTIATE_FOR_RUNTIMES(HooksTest);

TEST_P(HooksTest, RunInOrderWithTheStateOnStdin) {
  std::string log = tmp() + "/hooks.log";
  BundleBuilder bundle = NewBundle();
  // startContainer runs in the container: its path and log are the container's.
  nlohmann::json hooks = {{"prestart", {Recorder("prestart", log)}},
                          {"createRuntime", {Recorder("createRuntime", log)}},
                          {"createContainer", {Recorder("createContainer", log)}},
                          {"startContainer", {Recorder("startContainer", "/tmp/hooks.log")}},
                          {"poststart", {Recorder("poststart", log)}},
                          {"poststop", {Recorder("poststop", log)}}};
  bundle.ReadonlyRoot(false).Args({"/bin/payload", "exit", "0"}).MergePatch({{"hooks", hooks}});
  RunResult result = RunInBundle(bundle);
  ASSERT_EQ(result.exit_code, 0) << result;
  // runc 1.1 hands poststart the state it read before the workload ran
  // ("created"); runsc reports the container as it is then: running.
  std::string poststart = IsRunsc() ? "running" : "created";
  EXPECT_EQ(ReadFile(log), fmt::format("prestart creating\ncreateRuntime creating\ncreateContainer creating\n"
                                       "poststart {}\npoststop stopped\n",
                                       poststart));
  EXPECT_EQ(ReadFile(bundle.rootfs() + "/tmp/hooks.log"), "startContainer created\n");
}

TEST_P(HooksTest, HooksGetTheirArgsAndEnv) {
  std::string log = tmp() + "/env.log";
  BundleBuilder bundle = NewBundle();
  nlohmann::json hook = {{"path", "/bin/sh"},
                         {"args", {"sh", "-c", fmt::format("echo \"$0 $1 $GREETING\" > {}", log), "zero", "one"}},
                         {"env", {"GREETING=hello"}}};
  bundle.Args({"/bin/payload", "exit", "0"}).MergePatch({{"hooks", {{"createRuntime", {hook}}}}});
  RunResult result = RunInBundle(bundle);
  ASSERT_EQ(result.exit_code, 0) << result;
  EXPECT_EQ(ReadFile(log), "zero one hello\n");
}

TEST_P(HooksTest, AFailingCreateRuntimeHookFailsCreateAndCleansUp) {
  BundleBuilder bundle = NewBundle();
  bundle.Args({"/bin/payload", "sleep", "100"})
      .MergePatch({{"hooks", {{"createRuntime", {ShellHook("echo hook-says-no >&2; exit 3")}}}}});
  ASSERT_TRUE(bundle.Write().ok());
  std::string id = NewId();
  RunResult result = rt().Run({"create", "--bundle", bundle.dir(), id});
  EXPECT_EQ(result.exit_code, 1) << result;
  if (IsRunsc()) {  // runc words it differently; both fail
    EXPECT_THAT(result.err, HasSubstr("createRuntime hook /bin/sh"));
    EXPECT_THAT(result.err, HasSubstr("hook-says-no"));
  }
  ExpectNothingLeft();
}

TEST_P(HooksTest, AMissingHookBinaryFailsCreateAndCleansUp) {
  BundleBuilder bundle = NewBundle();
  bundle.Args({"/bin/payload", "sleep", "100"})
      .MergePatch({{"hooks", {{"prestart", {{{"path", "/no/such/hook"}}}}}}});
  ASSERT_TRUE(bundle.Write().ok());
  std::string id = NewId();
  RunResult result = rt().Run({"create", "--bundle", bundle.dir(), id});
  EXPECT_EQ(result.exit_code, 1) << result;
  EXPECT_THAT(result.err, HasSubstr("/no/such/hook"));
  ExpectNothingLeft();
}

TEST_P(HooksTest, AHookThatOutlivesItsTimeoutFailsCreate) {
  if (!IsRunsc()) {
    // runc 1.1.5 kills the hook at its timeout but then waits for the hook's
    // own children (they hold its output pipe): create hangs and leaks them.
    GTEST_SKIP() << "runc 1.1 hangs on a hook whose children outlive its timeout";
  }
  BundleBuilder bundle = NewBundle();
  nlohmann::json hook = ShellHook("sleep 30");
  hook["timeout"] = 1;
  bundle.Args({"/bin/payload", "sleep", "100"}).MergePatch({{"hooks", {{"createRuntime", {hook}}}}});
  ASSERT_TRUE(bundle.Write().ok());
  std::string id = NewId();
  RunResult result = rt().Run({"create", "--bundle", bundle.dir(), id});
  EXPECT_EQ(result.exit_code, 1) << result;
  if (IsRunsc()) {
    EXPECT_THAT(result.err, HasSubstr("timed out"));
  }
  ExpectNothingLeft();
}

TEST_P(HooksTest, AFailingPoststopHookDoesNotStopDelete) {
  BundleBuilder bundle = NewBundle();
  bundle.Args({"/bin/payload", "exit", "0"}).MergePatch({{"hooks", {{"poststop", {ShellHook("exit 1")}}}}});
  RunResult result = RunInBundle(bundle);
  EXPECT_EQ(result.exit_code, 0) << result;
  ExpectNothingLeft();
}

TEST_P(HooksTest, AFailingPoststartHookIsAWarningAndTheRestStillRun) {
  if (!IsRunsc()) {
    // runc 1.1.5 stops at the first failing poststart hook and fails the
    // start, killing the container; the OCI spec says to warn and go on.
    GTEST_SKIP() << "runc 1.1 fails start on a failing poststart hook";
  }
  std::string log = tmp() + "/poststart.log";
  BundleBuilder bundle = NewBundle();
  nlohmann::json hooks = {{"poststart", {ShellHook("echo first-fails >&2; exit 1"), Recorder("second", log)}}};
  bundle.Args({"/bin/payload", "sleep", "1000"}).MergePatch({{"hooks", hooks}});
  std::string id = NewId();
  CreateOrDie(bundle, id);
  RunResult start = rt().Run({"start", id});
  EXPECT_EQ(start.exit_code, 0) << start;
  EXPECT_THAT(start.err, HasSubstr("first-fails")) << start;
  EXPECT_EQ(ReadFile(log), "second running\n");
  EXPECT_TRUE(WaitForStatus(id, "running"));
}

TEST_P(HooksTest, AFailingPoststopHookIsAWarningAndTheRestStillRun) {
  std::string log = tmp() + "/poststop.log";
  BundleBuilder bundle = NewBundle();
  nlohmann::json hooks = {{"poststop", {ShellHook("echo first-fails >&2; exit 1"), Recorder("second", log)}}};
  bundle.Args({"/bin/payload", "exit", "0"}).MergePatch({{"hooks", hooks}});
  std::string id = NewId();
  CreateOrDie(bundle, id);
  ASSERT_EQ(rt().Run({"start", id}).exit_code, 0);
  ASSERT_TRUE(WaitForStatus(id, "stopped"));
  RunResult del = rt().Run({"delete", id});
  if (!IsRunsc()) {
    // runc 1.1.5 logs the first failing poststop hook as an error and runs
    // none after it; delete succeeds.
    EXPECT_EQ(del.exit_code, 0) << del;
    EXPECT_EQ(ReadFile(log), "");
    EXPECT_FALSE(State(id).ok());
    return;
  }
  EXPECT_EQ(del.exit_code, 0) << del;
  EXPECT_THAT(del.err, HasSubstr("first-fails")) << del;
  EXPECT_EQ(ReadFile(log), "second stopped\n");
  ExpectNothingLeft();
}

TEST_P(HooksTest, PoststartRunsOnceTheWorkloadHasBeenExecuted) {
  if (!IsRunsc()) {
    // runc 1.1.5 runs poststart hooks in `create` (before start); 1.2 after
    // the workload runs.
    GTEST_SKIP() << "runc 1.1 runs poststart hooks at create";
  }
  std::string log = tmp() + "/cmdline.log";
  BundleBuilder bundle = NewBundle();
  // The state's pid is the init: its cmdline is the workload's once exec'd.
  nlohmann::json hook = ShellHook(fmt::format(
      "pid=$(sed 's/.*\"pid\": *\\([0-9]*\\).*/\\1/'); tr '\\0' ' ' < /proc/$pid/cmdline > {}", log));
  // A slow startContainer hook (in the container) holds the exec back.
  nlohmann::json hooks = {{"startContainer", {ShellHook("sleep 1")}}, {"poststart", {hook}}};
  bundle.Args({"/bin/payload", "sleep", "1000"}).MergePatch({{"hooks", hooks}});
  std::string id = NewId();
  CreateOrDie(bundle, id);
  RunResult start = rt().Run({"start", id});
  ASSERT_EQ(start.exit_code, 0) << start;
  EXPECT_EQ(ReadFile(log), "/bin/payload sleep 1000 ");
}

TEST_P(HooksTest, PoststartOfAWorkloadThatExitsAtOnceStillRuns) {
  if (!IsRunsc()) GTEST_SKIP() << "runc 1.1 runs poststart hooks at create";
  std::string log = tmp() + "/poststart.log";
  BundleBuilder bundle = NewBundle();
  bundle.Args({"/bin/payload", "exit", "0"}).MergePatch({{"hooks", {{"poststart", {Recorder("poststart", log)}}}}});
  std::string id = NewId();
  CreateOrDie(bundle, id);
  RunResult start = rt().Run({"start", id});
  EXPECT_EQ(start.exit_code, 0) << start;
  EXPECT_THAT(ReadFile(log), ::testing::StartsWith("poststart "));
}

}  // namespace
}  // namespace runsc::testing
