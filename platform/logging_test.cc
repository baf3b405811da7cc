#include "platform/logging.h"

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "platform/status_matchers.h"
#include "spdlog/sinks/stdout_sinks.h"
#include "spdlog/spdlog.h"

namespace platform {
namespace {

using ::platform::testing::IsOk;
using ::platform::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

std::string Expand(std::string_view pattern, const std::string& id,
                   const std::string& command) {
  absl::StatusOr<std::string> path = ExpandDebugLogPath(pattern, {id, command});
  EXPECT_TRUE(path.ok()) << path.status();
  return path.ok() ? *path : "";
}

std::string ReadAll(const std::string& path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

TEST(ExpandDebugLogPathTest, ReplacesIdAndCommandEverywhere) {
  EXPECT_EQ(Expand("/var/log/runsc/%ID%.log", "abc", "create"),
            "/var/log/runsc/abc.log");
  EXPECT_EQ(Expand("/l/%ID%/%COMMAND%-%ID%.txt", "c1", "boot"),
            "/l/c1/boot-c1.txt");
  EXPECT_EQ(Expand("/l/plain.log", "c1", "gofer"), "/l/plain.log");
}

TEST(ExpandDebugLogPathTest, NoContainerIdLeavesItEmpty) {
  EXPECT_EQ(Expand("/l/%ID%-%COMMAND%.log", "", "list"), "/l/-list.log");
}

TEST(ExpandDebugLogPathTest, ADirectoryGetsGvisorsFileName) {
  std::string path = Expand("/l/", "c1", "watchdog");
  EXPECT_TRUE(std::regex_match(
      path,
      std::regex(
          R"(/l/runsc\.log\.[0-9]{8}-[0-9]{6}\.[0-9]{6}\.watchdog\.txt)")))
      << path;
}

TEST(ExpandDebugLogPathTest, AnIdThatIsNoFileNameIsRefused) {
  for (const char* id : {"..", ".", "../etc", "a/b"}) {
    EXPECT_THAT(
        ExpandDebugLogPath("/l/%ID%.log", {id, "create"}),
        StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--debug-log")))
        << id;
  }
  // Without %ID% the id does not reach the path.
  EXPECT_EQ(Expand("/l/%COMMAND%.log", "../x", "state"), "/l/state.log");
}

class SetupLoggingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/runsc-logging-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    spdlog::set_default_logger(std::make_shared<spdlog::logger>(
        "test", std::make_shared<spdlog::sinks::stderr_sink_mt>()));
    std::filesystem::remove_all(dir_);
  }
  std::string dir_;
};

TEST_F(SetupLoggingTest, DebugLogTakesDebugLinesTheLogKeepsItsLevel) {
  LogOptions options{.path = dir_ + "/log.json",
                     .format = "json",
                     .debug = false,
                     .debug_log = dir_ + "/new/%ID%-%COMMAND%.log"};
  ASSERT_THAT(SetupLogging(options, {"c1", "create"}), IsOk());
  spdlog::debug("strace: [1] uname(0x1) = 0");
  spdlog::info("created container c1");
  std::string debug = ReadAll(dir_ + "/new/c1-create.log");
  EXPECT_THAT(debug, HasSubstr("debug"));
  EXPECT_THAT(debug, HasSubstr("strace: [1] uname(0x1) = 0"));
  EXPECT_THAT(debug, HasSubstr("created container c1"));
  std::string log = ReadAll(dir_ + "/log.json");
  EXPECT_THAT(log, Not(HasSubstr("strace")));
  EXPECT_THAT(log, HasSubstr(R"("level":"info","msg":"created container c1")"));
}

TEST_F(SetupLoggingTest, DebugLogAppends) {
  LogOptions options;
  options.debug_log = dir_ + "/d.log";
  ASSERT_THAT(SetupLogging(options, {"c1", "create"}), IsOk());
  spdlog::debug("first");
  ASSERT_THAT(SetupLogging(options, {"c1", "boot"}), IsOk());
  spdlog::debug("second");
  std::string debug = ReadAll(dir_ + "/d.log");
  EXPECT_THAT(debug, HasSubstr("first"));
  EXPECT_THAT(debug, HasSubstr("second"));
}

TEST_F(SetupLoggingTest, TimelinePhasesGoToTheDebugLogOnly) {
  LogOptions options{.path = dir_ + "/log.json",
                     .format = "json",
                     .debug = false,
                     .debug_log = dir_ + "/d.log"};
  ASSERT_THAT(SetupLogging(options, {"c1", "create"}), IsOk());
  LogPhase("init spawned");
  LogPhaseAt("init: mounts made", MonotonicNanos());
  std::string debug = ReadAll(dir_ + "/d.log");
  EXPECT_TRUE(std::regex_search(
      debug, std::regex(R"(timeline create: init spawned \+[0-9]+\.[0-9] ms)")))
      << debug;
  EXPECT_TRUE(std::regex_search(
      debug,
      std::regex(R"(timeline create: init: mounts made \+[0-9]+\.[0-9] ms)")))
      << debug;
  EXPECT_THAT(ReadAll(dir_ + "/log.json"), Not(HasSubstr("timeline")));
}

TEST_F(SetupLoggingTest, TimelineIsSilentWithoutDebug) {
  LogOptions options{.path = dir_ + "/log.txt",
                     .format = "text",
                     .debug = false,
                     .debug_log = ""};
  ASSERT_THAT(SetupLogging(options, {"c1", "create"}), IsOk());
  LogPhase("init spawned");
  EXPECT_THAT(ReadAll(dir_ + "/log.txt"), Not(HasSubstr("timeline")));
}

}  // namespace
}  // namespace platform
