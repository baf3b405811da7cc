// Kernel tests of the single-file vproc mounts (in a child with its own
// mount namespace): attached over a real procfs file they serve our text;
// a hostile tree (symlinked or non-procfs targets) gets nothing attached.
#include "gofer/vproc/vproc_mount.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "fmt/format.h"
#include "gofer/vproc/vproc_server.h"
#include "gtest/gtest.h"
#include "platform/child_test_util.h"

namespace gofer::vproc {
namespace {

using platform::testing::ExpectInChild;

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return in ? text.str() : "<unreadable>";
}

// A container-like root in a temp dir: proc/ with a procfs mounted (unless
// `mount_proc` is false) and whatever `shape` adds.
std::string MakeRoot(bool mount_proc) {
  char tmpl[] = "/tmp/vproc_root_XXXXXX";
  if (mkdtemp(tmpl) == nullptr) return "";
  std::string root = tmpl;
  mkdir((root + "/proc").c_str(), 0755);
  if (mount_proc && mount("proc", (root + "/proc").c_str(), "proc", 0, nullptr) != 0) return "";
  return root;
}

// Serves `mount` on a thread; returns it (join after unmounting).
std::thread ServeFile(FileMount& mount) {
  return std::thread([fd = mount.fuse.get(), file = mount.file] {
    Options options;
    options.root_file = file;
    options.generate = [](VFile f) -> absl::StatusOr<std::string> {
      return fmt::format("virtual {}\n", AllFiles()[static_cast<int>(f)].name);
    };
    (void)Serve(fd, options);
  });
}

TEST(VprocMountTest, AttachedOverProcfsFileServesOurText) {
  ExpectInChild([]() -> std::string {
    alarm(60);
    const std::string root = MakeRoot(true);
    CHILD_EXPECT(!root.empty());
    absl::StatusOr<FileMount> mount = CreateFileMount(VFile::kMeminfo, 0, 0);
    CHILD_EXPECT_OK(mount);
    platform::UniqueFd root_fd(open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    absl::StatusOr<bool> attached = AttachOver(root_fd.get(), "/proc/meminfo", mount->mount.get());
    CHILD_EXPECT_OK(attached);
    CHILD_EXPECT(*attached);
    mount->mount.reset();  // else the fd keeps the superblock (and the connection) after umount
    std::thread server = ServeFile(*mount);
    CHILD_EXPECT(Slurp(root + "/proc/meminfo") == "virtual meminfo\n");
    struct stat st;
    CHILD_EXPECT(stat((root + "/proc/meminfo").c_str(), &st) == 0);
    CHILD_EXPECT(S_ISREG(st.st_mode) && (st.st_mode & 07777) == 0444 && st.st_uid == 0);
    CHILD_EXPECT(open((root + "/proc/meminfo").c_str(), O_WRONLY | O_CLOEXEC) < 0);
    // The host's file is untouched, and the other procfs files are the kernel's.
    CHILD_EXPECT(Slurp("/proc/meminfo").rfind("MemTotal:", 0) == 0);
    CHILD_EXPECT(Slurp(root + "/proc/uptime") != "virtual uptime\n");
    CHILD_EXPECT(umount2((root + "/proc/meminfo").c_str(), 0) == 0);
    server.join();  // the connection ends with the mount
    umount2((root + "/proc").c_str(), MNT_DETACH);
    std::filesystem::remove_all(root);
    return "";
  });
}

// Attack: the container's tree places symlinks where the targets are (an
// absolute one to the host's /proc/meminfo, a relative one climbing out),
// or a plain file instead of procfs: nothing is attached anywhere.
TEST(VprocMountTest, HostileTargetsGetNothing) {
  ExpectInChild([]() -> std::string {
    alarm(60);
    const std::string root = MakeRoot(false);
    CHILD_EXPECT(!root.empty());
    CHILD_EXPECT(symlink("/proc/meminfo", (root + "/proc/meminfo").c_str()) == 0);
    CHILD_EXPECT(symlink("../../../../proc/stat", (root + "/proc/stat").c_str()) == 0);
    CHILD_EXPECT(symlink("/proc", (root + "/sys").c_str()) == 0);
    { std::ofstream(root + "/proc/uptime") << "a file of the image\n"; }
    platform::UniqueFd root_fd(open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    for (const char* target : {"/proc/meminfo", "/proc/stat", "/proc/uptime", "/proc/missing", "/sys/meminfo",
                               "/../../proc/meminfo"}) {
      absl::StatusOr<FileMount> mount = CreateFileMount(VFile::kMeminfo, 0, 0);
      CHILD_EXPECT_OK(mount);
      absl::StatusOr<bool> attached = AttachOver(root_fd.get(), target, mount->mount.get());
      CHILD_EXPECT_OK(attached);
      if (*attached) return fmt::format("attached over {}", target);
    }
    // Nothing of ours reached the host's procfs.
    CHILD_EXPECT(Slurp("/proc/meminfo").rfind("MemTotal:", 0) == 0);
    CHILD_EXPECT(Slurp("/proc/stat").rfind("cpu ", 0) == 0);
    CHILD_EXPECT(Slurp(root + "/proc/uptime") == "a file of the image\n");
    std::filesystem::remove_all(root);
    return "";
  });
}

}  // namespace
}  // namespace gofer::vproc
