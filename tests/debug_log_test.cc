// Integration tests of the debug log (--debug-log, independent of --log, as
// gVisor's: every runsc process of a container appends its debug-level log
// there) and of `--version`'s shape.
#include <filesystem>
#include <regex>
#include <string>
#include <vector>

#include "fmt/format.h"
#include "tests/integration_test_base.h"

namespace runsc::testing {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

class DebugLogTest : public IntegrationTest {
 protected:
  // A bundle whose workload makes one trapped call (uname).
  BundleBuilder UnameBundle() {
    BundleBuilder bundle = NewBundle();
    bundle.Args({"/bin/payload", "uname"});
    EXPECT_TRUE(bundle.Write().ok());
    return bundle;
  }
};
RUNSC_INSTANTIATE_FOR_RUNTIMES(DebugLogTest);

// runc's shape: "runc version 1.1.5\ncommit: ...\nspec: 1.0.2-dev\ngo:
// ...\nlibseccomp: 2.5.4".
TEST_P(DebugLogTest, VersionNamesTheCommitTheSpecAndLibseccomp) {
  RunResult result = rt().RunRaw({"--version"});
  ASSERT_EQ(result.exit_code, 0) << result;
  std::vector<std::string> lines = Lines(result.out);
  ASSERT_GE(lines.size(), 4u) << result;
  EXPECT_TRUE(std::regex_match(
      lines[0], std::regex("runs?c version [0-9]+\\.[0-9]+\\.[0-9]+.*")))
      << lines[0];
  // runsc's is git's at configure time; Debian's runc names its package
  // version.
  std::string commit =
      IsRunsc() ? "commit: ([0-9a-f]{40}|unknown)" : "commit: \\S+";
  EXPECT_TRUE(std::regex_match(lines[1], std::regex(commit))) << lines[1];
  EXPECT_TRUE(
      std::regex_match(lines[2], std::regex("spec: 1\\.[0-9]+\\.[0-9]+.*")))
      << lines[2];
  EXPECT_TRUE(std::regex_match(
      lines.back(), std::regex("libseccomp: [0-9]+\\.[0-9]+\\.[0-9]+")))
      << lines.back();
}

// Docker's case: runtimeArgs carry --debug-log and --strace, the shim's own
// --log (json) comes later. The strace lines land in the debug log named by the
// container id; the --log file stays runc's: JSON lines of info and above, no
// strace.
TEST_P(DebugLogTest, StraceGoesToTheDebugLogAndLogStaysRuncStyle) {
  if (!IsRunsc()) GTEST_SKIP() << "--debug-log and --strace are runsc flags";
  BundleBuilder bundle = UnameBundle();
  std::string log = tmp() + "/log.json", debug_dir = tmp() + "/debug",
              id = NewId();
  RunResult result = rt().Run({"--debug-log", debug_dir + "/%ID%.log",
                               "--strace", "--log", log, "--log-format", "json",
                               "run", "--bundle", bundle.dir(), id});
  ASSERT_EQ(result.exit_code, 0) << result;
  std::string debug = ReadFile(debug_dir + "/" + id + ".log");
  EXPECT_THAT(debug, HasSubstr("strace: "))
      << "no strace line in the debug log";
  EXPECT_THAT(debug, HasSubstr("uname(")) << debug;
  for (const std::string& line : Lines(ReadFile(log))) {
    json entry = json::parse(line, nullptr, false);
    ASSERT_TRUE(entry.is_object()) << "not a JSON line in --log: " << line;
    EXPECT_TRUE(entry.contains("level") && entry.contains("msg") &&
                entry.contains("time"))
        << line;
    EXPECT_NE(entry.value("level", ""), "debug") << line;
    EXPECT_THAT(line, Not(HasSubstr("strace"))) << line;
  }
}

// The start-up timeline (issue 17): one debug line per phase, the init's
// own phases included (it reports them with its set-up answer), in order.
TEST_P(DebugLogTest, StartupTimelineNamesEachPhase) {
  if (!IsRunsc()) GTEST_SKIP() << "--debug-log is a runsc flag";
  BundleBuilder bundle = UnameBundle();
  std::string debug_log = tmp() + "/debug.log", id = NewId();
  RunResult result = rt().Run({"--debug-log", debug_log, "run", "--bundle", bundle.dir(), id});
  ASSERT_EQ(result.exit_code, 0) << result;
  std::string debug = ReadFile(debug_log);
  size_t last = 0;
  for (const char* phase : {"init spawned", "init: namespaces entered", "init: mounts made",
                            "init: process prepared (sandbox filter compiled)", "init set up (handshake answered)",
                            "sentry and watchdog started", "state saved"}) {
    size_t at = debug.find(std::string("timeline run: ") + phase + " +", last);
    ASSERT_NE(at, std::string::npos) << "no timeline line for \"" << phase << "\" in order in:\n" << debug;
    last = at;
  }
}

// %COMMAND% names each process: the CLI's command, and the sandbox's own
// processes.
TEST_P(DebugLogTest, EachProcessOfTheContainerNamesItsCommand) {
  if (!IsRunsc()) GTEST_SKIP() << "--debug-log is a runsc flag";
  BundleBuilder bundle = NewBundle();
  bundle.Args({"sh", "-c", "/bin/payload uname; exec /bin/payload sleep 1000"});
  ASSERT_TRUE(bundle.Write().ok());
  std::string id = NewId(), pattern = tmp() + "/debug/%ID%-%COMMAND%.log";
  auto file = [&](const char* command) {
    return fmt::format("{}/debug/{}-{}.log", tmp(), id, command);
  };
  RunResult created = rt().Run({"--debug-log", pattern, "--strace", "create",
                                "--bundle", bundle.dir(), id});
  ASSERT_EQ(created.exit_code, 0) << created;
  RunResult started = rt().Run({"--debug-log", pattern, "start", id});
  ASSERT_EQ(started.exit_code, 0) << started;
  // The watchdog may still be starting when create returns: wait for its file
  // (bounded).
  for (const char* command : {"create", "boot", "gofer", "watchdog", "start"}) {
    EXPECT_TRUE(WaitUntil([&] {
      return std::filesystem::exists(file(command));
    })) << "no debug log of "
        << command;
  }
  EXPECT_TRUE(WaitUntil([&] {
    return ReadFile(file("boot")).find("uname(") != std::string::npos;
  })) << "no strace line for uname in the sentry's debug log:\n"
      << ReadFile(file("boot"));
  RunResult deleted =
      rt().Run({"--debug-log", pattern, "delete", "--force", id});
  EXPECT_EQ(deleted.exit_code, 0) << deleted;
  EXPECT_TRUE(std::filesystem::exists(file("delete")));
}

}  // namespace
}  // namespace runsc::testing
