#include "platform/copy_tree.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "gtest/gtest.h"
#include "platform/unique_fd.h"

namespace platform {
namespace {

namespace fs = std::filesystem;

class CopyTreeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/copy_tree_test.XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    base_ = dir;
    fs::create_directories(base_ + "/from/sub/deeper");
    fs::create_directories(base_ + "/to");
  }
  void TearDown() override { fs::remove_all(base_); }
  UniqueFd Dir(const std::string& name) {
    return UniqueFd(open((base_ + "/" + name).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  }
  std::string base_;
};

TEST_F(CopyTreeTest, CopiesFilesDirectoriesSymlinksAndFifosWithTheirAttributes) {
  std::ofstream(base_ + "/from/file") << "content";
  chmod((base_ + "/from/file").c_str(), 0640);
  chown((base_ + "/from/file").c_str(), 1000, 1001);
  std::ofstream(base_ + "/from/sub/deeper/x") << "x";
  chmod((base_ + "/from/sub").c_str(), 0500);  // read-only: its contents are still copied
  ASSERT_EQ(symlink("/etc/passwd", (base_ + "/from/link").c_str()), 0);
  ASSERT_EQ(mkfifo((base_ + "/from/fifo").c_str(), 0600), 0);
  ASSERT_TRUE(CopyTree(Dir("from").get(), Dir("to").get()).ok());
  std::ifstream in(base_ + "/to/file");
  std::string content((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(content, "content");
  struct stat st = {};
  ASSERT_EQ(stat((base_ + "/to/file").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  EXPECT_EQ(st.st_uid, 1000u);
  EXPECT_EQ(st.st_gid, 1001u);
  ASSERT_EQ(stat((base_ + "/to/sub").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0500u);
  EXPECT_TRUE(fs::exists(base_ + "/to/sub/deeper/x"));
  EXPECT_EQ(fs::read_symlink(base_ + "/to/link"), "/etc/passwd");  // copied, never followed
  EXPECT_TRUE(fs::is_fifo(base_ + "/to/fifo"));
}

}  // namespace
}  // namespace platform
