// ChangeMountAttrs on real mounts, in a private mount namespace.
#include "platform/mount_attrs.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <string>

#include "platform/child_test_util.h"

namespace platform {
namespace {

using testing::ExpectInChild;

// A root directory with "real" (a bind mount of itself), "plain" (no mount)
// and "escape" (an absolute symlink to /etc), on a tmpfs of the child's own
// mount namespace: nothing is left on disk.
std::string MakeRoot() {
  std::string root = "/tmp/runsc-mount-attrs";
  if (mkdir(root.c_str(), 0755) != 0 && errno != EEXIST) return "";
  if (mount("tmpfs", root.c_str(), "tmpfs", 0, nullptr) != 0) return "";
  mkdir((root + "/real").c_str(), 0755);
  mkdir((root + "/plain").c_str(), 0755);
  if (symlink("/etc", (root + "/escape").c_str()) != 0) return "";
  if (mount((root + "/real").c_str(), (root + "/real").c_str(), nullptr, MS_BIND, nullptr) != 0) return "";
  return root;
}

bool ReadOnly(const std::string& path) {
  struct statvfs st;
  return statvfs(path.c_str(), &st) == 0 && (st.f_flag & ST_RDONLY) != 0;
}

TEST(MountAttrsTest, MakesAMountReadOnlyAndWritableAgain) {
  ExpectInChild([]() -> std::string {
    std::string root = MakeRoot();
    CHILD_EXPECT(!root.empty());
    int root_fd = open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    CHILD_EXPECT(root_fd >= 0);
    CHILD_EXPECT_OK(ChangeMountAttrs(root_fd, {{"/real", false}}, {MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID, 0}));
    CHILD_EXPECT(ReadOnly(root + "/real"));
    CHILD_EXPECT_OK(ChangeMountAttrs(root_fd, {{"/real", false}}, {0, MOUNT_ATTR_RDONLY}));
    CHILD_EXPECT(!ReadOnly(root + "/real"));
    return "";
  });
}

// Security rule 3: a destination the container made a symlink out of the
// root resolves inside the root (here: to nothing), never to the host's /etc.
TEST(MountAttrsTest, ASymlinkedDestinationNeverReachesAHostMount) {
  ExpectInChild([]() -> std::string {
    std::string root = MakeRoot();
    CHILD_EXPECT(!root.empty());
    // /etc made a mount point, so that escaping would find one to change.
    CHILD_EXPECT(mount("/etc", "/etc", nullptr, MS_BIND, nullptr) == 0);
    int root_fd = open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    CHILD_EXPECT(root_fd >= 0);
    CHILD_EXPECT(!ChangeMountAttrs(root_fd, {{"/escape", false}}, {MOUNT_ATTR_RDONLY, 0}).ok());
    CHILD_EXPECT(!ReadOnly("/etc"));
    return "";
  });
}

// A destination that is not a mount point changes nothing and is an error:
// a host mount left writable must never pass silently.
TEST(MountAttrsTest, ADestinationThatIsNotAMountIsAnError) {
  ExpectInChild([]() -> std::string {
    std::string root = MakeRoot();
    CHILD_EXPECT(!root.empty());
    int root_fd = open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    CHILD_EXPECT(root_fd >= 0);
    CHILD_EXPECT(!ChangeMountAttrs(root_fd, {{"/plain", false}}, {MOUNT_ATTR_RDONLY, 0}).ok());
    CHILD_EXPECT(!ChangeMountAttrs(root_fd, {{"/missing", false}}, {MOUNT_ATTR_RDONLY, 0}).ok());
    CHILD_EXPECT(!ReadOnly(root));
    return "";
  });
}

}  // namespace
}  // namespace platform
