#include "sentry/broker_view.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "gtest/gtest.h"
#include "platform/child_test_util.h"
#include "platform/unique_fd.h"

namespace sentry {
namespace {

using platform::testing::ExpectInChild;

// A scratch directory tree: dir/ (writable), dir/file, dir/link -> /elsewhere.
class BrokerViewTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char name[] = "/tmp/broker-view-XXXXXX";
    ASSERT_NE(mkdtemp(name), nullptr);
    dir_ = name;
    ASSERT_EQ(close(open((dir_ + "/file").c_str(),
                         O_CREAT | O_WRONLY | O_CLOEXEC, 0644)),
              0);
    ASSERT_EQ(symlink("/elsewhere", (dir_ + "/link").c_str()), 0);
    ASSERT_EQ(mkdir((dir_ + "/ro").c_str(), 0755), 0);
    root_.reset(open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
    ASSERT_TRUE(root_.valid());
  }
  void TearDown() override {
    for (const char* name : {"/file", "/link"}) unlink((dir_ + name).c_str());
    rmdir((dir_ + "/ro").c_str());
    rmdir(dir_.c_str());
  }

  std::string dir_;
  platform::UniqueFd root_;
};

TEST_F(BrokerViewTest, AnEntryOnAWritableMountIsOffHostStorage) {
  EXPECT_TRUE(OnWritableMountInView(root_.get(), dir_ + "/new", true));
  EXPECT_TRUE(OnWritableMountInView(root_.get(), dir_ + "/file", true));
  EXPECT_TRUE(OnWritableMountInView(root_.get(), dir_ + "/new/", true))
      << "trailing slash (mkdir d/)";
  EXPECT_TRUE(OnWritableMountInView(root_.get(), dir_ + "/ro/../new", true))
      << "'..' among the leading components";
}

TEST_F(BrokerViewTest, AFollowedSymlinkOrAnOddLastComponentGoesToTheBroker) {
  EXPECT_FALSE(OnWritableMountInView(root_.get(), dir_ + "/link", true))
      << "open may follow it anywhere";
  EXPECT_TRUE(OnWritableMountInView(root_.get(), dir_ + "/link", false))
      << "unlink acts on the link itself";
  EXPECT_FALSE(OnWritableMountInView(root_.get(), dir_ + "/missing/new", true));
  EXPECT_FALSE(OnWritableMountInView(root_.get(), dir_ + "/file/new", true));
  for (const std::string& odd :
       {std::string(""), std::string("/"), dir_ + "/.", dir_ + "/.."}) {
    EXPECT_FALSE(OnWritableMountInView(root_.get(), odd, true)) << odd;
  }
}

// Read-only mounts (host storage in the workload's view): the directory's
// mount, or the entry's own when it is a mount point (a file bind-mounted
// read-only over a writable directory).
TEST_F(BrokerViewTest, AnEntryOnAReadOnlyMountGoesToTheBroker) {
  const std::string dir = dir_;
  ExpectInChild([dir]() -> std::string {
    CHILD_EXPECT(mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) ==
                 0);
    CHILD_EXPECT(mount("tmpfs", (dir + "/ro").c_str(), "tmpfs", MS_RDONLY,
                       nullptr) == 0);
    const std::string file = dir + "/file";
    CHILD_EXPECT(mount(file.c_str(), file.c_str(), nullptr, MS_BIND, nullptr) ==
                 0);
    CHILD_EXPECT(mount(nullptr, file.c_str(), nullptr,
                       MS_BIND | MS_REMOUNT | MS_RDONLY, nullptr) == 0);
    platform::UniqueFd root(open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
    CHILD_EXPECT(!OnWritableMountInView(root.get(), dir + "/ro/new", true));
    CHILD_EXPECT(!OnWritableMountInView(root.get(), dir + "/file", true));
    CHILD_EXPECT(OnWritableMountInView(root.get(), dir + "/new", true));
    return "";
  });
}

}  // namespace
}  // namespace sentry
