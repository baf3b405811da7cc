#include "runsc/filter_cache.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "gtest/gtest.h"
#include "platform/status_matchers.h"
#include "runsc/sandbox_filter.h"
#include "sentry/config.h"

namespace runsc {
namespace {

using ::platform::testing::IsOk;

class FilterCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/runsc-filter-cache-test-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    root_ = pattern;
    sandbox_ = sentry::SandboxConfig().ToJson();
    key_ = FilterKey(sandbox_, false);
    ASSERT_FALSE(key_.empty()) << "the test binary has no GNU build id";
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  // The one cache file under root_.
  std::string CacheFile() {
    std::string found;
    for (const auto& entry : std::filesystem::directory_iterator(root_)) {
      if (entry.path().filename().string().rfind("@filter-", 0) == 0)
        found = entry.path();
    }
    return found;
  }

  std::string root_;
  nlohmann::json sandbox_;
  std::string key_;
  const std::vector<sock_filter> program_ = {{0x20, 0, 0, 4},
                                             {0x06, 0, 0, 0x7fff0000}};
};

bool Same(const std::vector<sock_filter>& a,
          const std::vector<sock_filter>& b) {
  return a.size() == b.size() &&
         memcmp(a.data(), b.data(), a.size() * sizeof(sock_filter)) == 0;
}

TEST_F(FilterCacheTest, AStoredProgramIsLoadedForTheSameKey) {
  EXPECT_FALSE(LoadCachedFilter(root_, key_).has_value());
  StoreCachedFilter(root_, key_, program_);
  std::optional<std::vector<sock_filter>> loaded =
      LoadCachedFilter(root_, key_);
  ASSERT_TRUE(loaded.has_value());
  EXPECT_TRUE(Same(*loaded, program_));
  struct stat st;
  ASSERT_EQ(stat(CacheFile().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(FilterCacheTest, TheKeyNamesEveryInput) {
  nlohmann::json other = sandbox_;
  other["platform"] = "ptrace";
  EXPECT_NE(FilterKey(other, false), key_);
  EXPECT_NE(FilterKey(sandbox_, true), key_);
  EXPECT_EQ(FilterKey(sandbox_, false), key_);
  StoreCachedFilter(root_, key_, program_);
  EXPECT_FALSE(LoadCachedFilter(root_, FilterKey(sandbox_, true)).has_value());
}

// Attack: a file under the expected name that holds another key (a stale
// binary's, or a hash collision) is never loaded.
TEST_F(FilterCacheTest, AttackAFileForAnotherKeyIsNotLoaded) {
  StoreCachedFilter(root_, key_, program_);
  std::string path = CacheFile();
  std::string other_key = FilterKey(sandbox_, true);
  std::ofstream(path, std::ios::trunc) << other_key << "\n"
                                       << std::string(16, 'x');
  EXPECT_FALSE(LoadCachedFilter(root_, key_).has_value());
}

// Attack: a cache file another user could have written is ignored.
TEST_F(FilterCacheTest, AttackAFileWritableByOthersIsIgnored) {
  StoreCachedFilter(root_, key_, program_);
  ASSERT_EQ(chmod(CacheFile().c_str(), 0622), 0);
  EXPECT_FALSE(LoadCachedFilter(root_, key_).has_value());
}

// Attack: a symlink in place of the cache file is not followed.
TEST_F(FilterCacheTest, AttackASymlinkIsNotFollowed) {
  StoreCachedFilter(root_, key_, program_);
  std::string path = CacheFile();
  ASSERT_EQ(rename(path.c_str(), (root_ + "/real").c_str()), 0);
  ASSERT_EQ(symlink((root_ + "/real").c_str(), path.c_str()), 0);
  EXPECT_FALSE(LoadCachedFilter(root_, key_).has_value());
}

TEST_F(FilterCacheTest, ATruncatedProgramIsNotLoaded) {
  StoreCachedFilter(root_, key_, program_);
  ASSERT_EQ(
      truncate(CacheFile().c_str(), static_cast<off_t>(key_.size() + 1 + 5)),
      0);
  EXPECT_FALSE(LoadCachedFilter(root_, key_).has_value());
}

TEST_F(FilterCacheTest, ProgramsRoundTripThroughTheInitConfig) {
  std::optional<std::vector<sock_filter>> decoded =
      DecodeProgram(EncodeProgram(program_));
  ASSERT_TRUE(decoded.has_value());
  EXPECT_TRUE(Same(*decoded, program_));
  EXPECT_FALSE(DecodeProgram("").has_value());
  EXPECT_FALSE(DecodeProgram("0").has_value());
  EXPECT_FALSE(DecodeProgram(std::string(16, 'g')).has_value());
  EXPECT_FALSE(DecodeProgram(std::string(15, '0')).has_value());
}

// The init gets the program create would have compiled, and the second
// create of the same policy finds it cached.
TEST_F(FilterCacheTest, ThePrecompiledFilterIsTheCompiledOne) {
  absl::StatusOr<platform::CompiledSeccomp> compiled =
      CompileSandboxFilter(sandbox_, false);
  ASSERT_THAT(compiled.status(), IsOk());
  for (int round = 0; round < 2; ++round) {
    absl::StatusOr<nlohmann::json> precompiled =
        PrecompiledSandboxFilter(root_, sandbox_, false);
    ASSERT_THAT(precompiled.status(), IsOk());
    EXPECT_EQ(precompiled->value("oci_takes_listener", true), false);
    std::optional<std::vector<sock_filter>> program =
        DecodeProgram(precompiled->value("program", ""));
    ASSERT_TRUE(program.has_value());
    EXPECT_TRUE(Same(*program, compiled->program)) << "round " << round;
    EXPECT_TRUE(LoadCachedFilter(root_, key_).has_value());
  }
}

}  // namespace
}  // namespace runsc
