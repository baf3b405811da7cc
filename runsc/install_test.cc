#include "runsc/install.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "platform/status_matchers.h"

namespace runsc {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using ::platform::testing::IsOk;
using ::platform::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::SizeIs;

class InstallTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/runsc-install-test-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
    config_ = dir_ + "/docker/daemon.json";
  }
  void TearDown() override { fs::remove_all(dir_); }

  void Write(const std::string& text) {
    fs::create_directories(fs::path(config_).parent_path());
    std::ofstream(config_) << text;
  }
  std::string Read(const std::string& path) {
    std::ifstream in(path);
    std::stringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
  }
  json ReadJson() { return json::parse(Read(config_)); }
  std::vector<std::string> Backups() {
    std::vector<std::string> found;
    for (const auto& entry : fs::directory_iterator(fs::path(config_).parent_path())) {
      if (entry.path().filename().string().rfind("daemon.json.bak-", 0) == 0) found.push_back(entry.path());
    }
    return found;
  }

  std::string dir_, config_;
};

TEST_F(InstallTest, CreatesAMissingFile) {
  auto outcome = InstallRuntime(config_, "runsc", "/usr/bin/runsc", {});
  ASSERT_THAT(outcome.status(), IsOk());
  EXPECT_TRUE(outcome->changed);
  EXPECT_EQ(outcome->backup_path, "");
  EXPECT_EQ(ReadJson(), json::parse(R"({"runtimes": {"runsc": {"path": "/usr/bin/runsc"}}})"));
  EXPECT_THAT(Backups(), SizeIs(0));
}

TEST_F(InstallTest, KeepsOtherKeysAndRuntimesAndBacksUpOnce) {
  std::string original = R"({"log-level": "warn", "runtimes": {"crun": {"path": "/usr/bin/crun"}}})";
  Write(original);
  chmod(config_.c_str(), 0600);
  auto first = InstallRuntime(config_, "runsc-debug", "/opt/runsc", {"--debug", "--strace"});
  ASSERT_THAT(first.status(), IsOk());
  EXPECT_TRUE(first->changed);
  EXPECT_EQ(ReadJson(), json::parse(R"({"log-level": "warn", "runtimes": {
      "crun": {"path": "/usr/bin/crun"},
      "runsc-debug": {"path": "/opt/runsc", "runtimeArgs": ["--debug", "--strace"]}}})"));
  ASSERT_THAT(Backups(), SizeIs(1));
  EXPECT_EQ(Backups()[0], first->backup_path);
  EXPECT_EQ(Read(first->backup_path), original);
  struct stat st;
  ASSERT_EQ(stat(config_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  // A second change keeps the first backup (the original) and makes no other.
  auto second = InstallRuntime(config_, "runsc", "/opt/runsc", {});
  ASSERT_THAT(second.status(), IsOk());
  EXPECT_TRUE(second->changed);
  EXPECT_EQ(second->backup_path, "");
  EXPECT_THAT(Backups(), SizeIs(1));
  // No temporary file is left beside it.
  EXPECT_EQ(std::distance(fs::directory_iterator(fs::path(config_).parent_path()), fs::directory_iterator()), 2);
}

TEST_F(InstallTest, ReinstallingTheSameIsANoOp) {
  ASSERT_THAT(InstallRuntime(config_, "runsc", "/opt/runsc", {"--strace"}).status(), IsOk());
  auto again = InstallRuntime(config_, "runsc", "/opt/runsc", {"--strace"});
  ASSERT_THAT(again.status(), IsOk());
  EXPECT_FALSE(again->changed);
}

TEST_F(InstallTest, ReplacesAnExistingEntryOfTheSameName) {
  Write(R"({"runtimes": {"runsc": {"path": "/old/runsc", "runtimeArgs": ["--debug"]}}})");
  ASSERT_THAT(InstallRuntime(config_, "runsc", "/new/runsc", {}).status(), IsOk());
  EXPECT_EQ(ReadJson()["runtimes"]["runsc"], json::parse(R"({"path": "/new/runsc"})"));
}

TEST_F(InstallTest, AnEmptyFileIsAnEmptyObject) {
  Write("  \n");
  ASSERT_THAT(InstallRuntime(config_, "runsc", "/opt/runsc", {}).status(), IsOk());
  EXPECT_EQ(ReadJson(), json::parse(R"({"runtimes": {"runsc": {"path": "/opt/runsc"}}})"));
}

TEST_F(InstallTest, MalformedJsonNamesTheFileAndPosition) {
  std::string broken = "{\n  \"log-level\": \"warn\",\n  \"runtimes\": {,}\n}\n";
  Write(broken);
  auto outcome = InstallRuntime(config_, "runsc", "/opt/runsc", {});
  EXPECT_THAT(outcome.status(), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(config_)));
  EXPECT_THAT(outcome.status().message(), HasSubstr("line 3, column 16"));
  EXPECT_EQ(Read(config_), broken);  // untouched
  EXPECT_THAT(Backups(), SizeIs(0));
}

TEST_F(InstallTest, RejectsANonObjectTopLevelOrRuntimes) {
  Write("[1, 2]");
  EXPECT_THAT(InstallRuntime(config_, "runsc", "/opt/runsc", {}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not an object")));
  Write(R"({"runtimes": "runc"})");
  EXPECT_THAT(UninstallRuntime(config_, "runsc").status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("\"runtimes\" is a JSON string")));
}

TEST_F(InstallTest, RejectsARelativeBinaryOrEmptyName) {
  EXPECT_THAT(InstallRuntime(config_, "runsc", "runsc", {}).status(), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("")));
  EXPECT_THAT(InstallRuntime(config_, "", "/opt/runsc", {}).status(), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("")));
}

TEST_F(InstallTest, UninstallRemovesOnlyThatRuntime) {
  Write(R"({"debug": true, "runtimes": {"crun": {"path": "/usr/bin/crun"}, "runsc": {"path": "/opt/runsc"}}})");
  auto outcome = UninstallRuntime(config_, "runsc");
  ASSERT_THAT(outcome.status(), IsOk());
  EXPECT_TRUE(outcome->changed);
  EXPECT_EQ(ReadJson(), json::parse(R"({"debug": true, "runtimes": {"crun": {"path": "/usr/bin/crun"}}})"));
}

TEST_F(InstallTest, UninstallDropsAnEmptyRuntimesAndIsIdempotent) {
  Write(R"({"debug": true, "runtimes": {"runsc": {"path": "/opt/runsc"}}})");
  ASSERT_THAT(UninstallRuntime(config_, "runsc").status(), IsOk());
  EXPECT_EQ(ReadJson(), json::parse(R"({"debug": true})"));
  auto again = UninstallRuntime(config_, "runsc");
  ASSERT_THAT(again.status(), IsOk());
  EXPECT_FALSE(again->changed);
  auto missing = UninstallRuntime(dir_ + "/none/daemon.json", "runsc");
  ASSERT_THAT(missing.status(), IsOk());
  EXPECT_FALSE(missing->changed);
  EXPECT_FALSE(fs::exists(dir_ + "/none"));
}

}  // namespace
}  // namespace runsc
