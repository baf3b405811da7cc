// Integration tests of mount types and options (mqueue, cgroup, sysfs, propagation, atime) and of
// security rule 3 at integration level: symlinks in the rootfs never lead set-up to the host.
#include <sys/mount.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "fmt/format.h"
#include "tests/integration_test_base.h"

namespace runsc::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::StartsWith;

class MountsTest : public IntegrationTest {};

// A tmpfs mounted at `path` on the host and made shared; unmounted by the destructor.
class SharedHostMount {
 public:
  // Mounts it; ok() tells whether it worked.
  explicit SharedHostMount(std::string path) : path_(std::move(path)) {
    std::filesystem::create_directories(path_);
    ok_ = mount("tmpfs", path_.c_str(), "tmpfs", 0, "size=64k") == 0 &&
          mount(nullptr, path_.c_str(), nullptr, MS_SHARED, nullptr) == 0;
  }
  ~SharedHostMount() { umount2(path_.c_str(), MNT_DETACH); }
  SharedHostMount(const SharedHostMount&) = delete;
  SharedHostMount& operator=(const SharedHostMount&) = delete;

  // True if the mount was made.
  bool ok() const { return ok_; }
  // The mount point.
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  bool ok_ = false;
};
RUNSC_INSTANTIATE_FOR_RUNTIMES(MountsTest);


TEST_P(MountsTest, MqueueIsAPrivateInstance) {
  // The default bundle mounts mqueue on /dev/mqueue with nosuid,noexec,nodev.
  RunResult run = RunPayload({"sh", "-c",
                              "/bin/payload mountopts /dev/mqueue; /bin/payload write "
                              "/dev/mqueue/it-queue; /bin/payload ls /dev/mqueue"});
  EXPECT_EQ(run.exit_code, 0) << run;
  std::vector<std::string> lines = Lines(run.out);
  ASSERT_EQ(lines.size(), 3u) << run;
  EXPECT_THAT(lines[0], MatchesRegex("rw,nosuid,nodev,noexec[^ ]* mqueue .*")) << run;
  // A queue can be created (open O_CREAT on mqueue), and the host's namespace does not see it.
  EXPECT_EQ(lines[2], "it-queue") << run;
  EXPECT_FALSE(std::filesystem::exists("/dev/mqueue/it-queue"));
}

TEST_P(MountsTest, SysfsIsReadOnly) {
  RunResult run = RunPayload(
      {"sh", "-c", "/bin/payload mountopts /sys; /bin/payload write /sys/kernel/it-new"});
  EXPECT_EQ(run.out, "ro,nosuid,nodev,noexec,relatime sysfs ro\nEROFS\n") << run;
}

TEST_P(MountsTest, CgroupMountIsReadOnlyAndShowsTheContainersOwnCgroup) {
  // cgroup v2 hosts get one cgroup2 mount; v1 (and hybrid) hosts a tmpfs with one mount per
  // hierarchy, of which the pids one is probed.
  bool v2 = std::filesystem::exists("/sys/fs/cgroup/cgroup.controllers");
  std::string probe = v2 ? "/sys/fs/cgroup" : "/sys/fs/cgroup/pids";
  BundleBuilder bundle = NewBundle();
  // With a cgroup namespace the cgroup mount's root is the container's own cgroup, which holds
  // only the container's processes: the shell (pid 1) and, unless the shell runs cat in-process,
  // the cat. (The host's root cgroup would list no pid at all: they are outside the pid ns.)
  bundle.Namespace("cgroup").Args(
      {"sh", "-c",
       fmt::format("/bin/payload mountopts {0}; /bin/payload mkdir {0}/it-x; cat {0}/cgroup.procs",
                   probe)});
  RunResult run = RunInBundle(bundle);
  EXPECT_EQ(run.exit_code, 0) << run;
  std::vector<std::string> lines = Lines(run.out);
  ASSERT_GE(lines.size(), 2u) << run;
  EXPECT_THAT(lines[0], MatchesRegex("ro,nosuid,nodev,noexec,relatime cgroup2? .*")) << run;
  EXPECT_EQ(lines[1], "EROFS") << run;
  std::vector<std::string> procs(lines.begin() + 2, lines.end());
  ASSERT_THAT(procs.size(), ::testing::AllOf(::testing::Ge(1u), ::testing::Le(2u)))
      << "cgroup.procs is not the container's own: " << run;
  EXPECT_EQ(procs[0], "1") << run;
}

TEST_P(MountsTest, AtimeAndExecOptionsAreVisible) {
  BundleBuilder bundle = NewBundle();
  bundle.AddMount("/mnt/rel", "tmpfs", "tmpfs", {"noexec", "relatime"})
      .AddMount("/mnt/noa", "tmpfs", "tmpfs", {"noatime", "nodev"})
      .AddMount("/mnt/strict", "tmpfs", "tmpfs", {"strictatime"})
      .Args({"sh", "-c",
             "/bin/payload mountopts /mnt/rel; /bin/payload mountopts /mnt/noa; "
             "/bin/payload mountopts /mnt/strict"});
  RunResult run = RunInBundle(bundle);
  EXPECT_EQ(run.exit_code, 0) << run;
  std::vector<std::string> lines = Lines(run.out);
  ASSERT_EQ(lines.size(), 3u) << run;
  EXPECT_THAT(lines[0], StartsWith("rw,noexec,relatime tmpfs ")) << run;
  EXPECT_THAT(lines[1], StartsWith("rw,nodev,noatime tmpfs ")) << run;
  EXPECT_THAT(lines[2], StartsWith("rw tmpfs ")) << run;  // strictatime: neither flag shown
}

// tmpcopyup (crun's; podman's --read-only and --tmpfs send it): the tmpfs starts with what the
// image had at its target, with owners and modes, and writes to it stay in the tmpfs (issue 18).
// runc 1.1 does not implement it.
TEST_P(MountsTest, TmpcopyupStartsTheTmpfsWithTheImagesContent) {
  if (!IsRunsc()) GTEST_SKIP() << "runc 1.1 does not implement tmpcopyup (crun does)";
  BundleBuilder bundle = NewBundle();
  std::filesystem::create_directories(bundle.rootfs() + "/seed/sub");
  std::ofstream(bundle.rootfs() + "/seed/sub/file") << "from the image";
  chown((bundle.rootfs() + "/seed/sub/file").c_str(), 1000, 1000);
  bundle.AddMount("/seed", "tmpfs", "tmpfs", {"tmpcopyup", "nosuid"})
      .AddMount("/seed-ro", "tmpfs", "tmpfs", {"tmpcopyup", "ro"})
      .Args({"sh", "-c",
             "cat /seed/sub/file; echo; stat -c %u /seed/sub/file; echo new > /seed/new && cat /seed/new; "
             "/bin/payload mountopts /seed-ro | cut -d, -f1"});
  std::filesystem::create_directories(bundle.rootfs() + "/seed-ro");
  std::ofstream(bundle.rootfs() + "/seed-ro/r") << "r";
  RunResult run = RunInBundle(bundle);
  EXPECT_EQ(run.exit_code, 0) << run;
  EXPECT_EQ(run.out, "from the image\n1000\nnew\nro\n") << run;
  EXPECT_FALSE(std::filesystem::exists(bundle.rootfs() + "/seed/new"));  // the image is untouched
}

TEST_P(MountsTest, PropagationOptionsAreApplied) {
  // A shared host mount to bind as a slave: the container's copy receives, never sends, events.
  SharedHostMount shared(tmp() + "/shared");
  ASSERT_TRUE(shared.ok());
  BundleBuilder bundle = NewBundle();
  bundle.MergePatch({{"linux", {{"rootfsPropagation", "rslave"}}}})
      .AddMount("/mnt/priv", "tmpfs", "tmpfs", {"rprivate"})
      .AddMount("/mnt/shr", "tmpfs", "tmpfs", {"rshared"})
      .AddMount("/mnt/slave", "bind", shared.path(), {"rbind", "rslave"})
      .Args({"sh", "-c",
             "/bin/payload mountprop /mnt/priv; /bin/payload mountprop /mnt/shr; "
             "/bin/payload mountprop /mnt/slave"});
  RunResult run = RunInBundle(bundle);
  EXPECT_EQ(run.exit_code, 0) << run;
  std::vector<std::string> lines = Lines(run.out);
  ASSERT_EQ(lines.size(), 3u) << run;
  EXPECT_EQ(lines[0], "private") << run;
  EXPECT_THAT(lines[1], MatchesRegex("shared:[0-9]+")) << run;
  EXPECT_THAT(lines[2], MatchesRegex("master:[0-9]+")) << run;
}

TEST_P(MountsTest, DefaultRootfsPropagationIsRslaveAsRuncs) {
  // Without linux.rootfsPropagation runc makes the container's copy of the host's mounts rslave
  // (libcontainer's prepareRoot: MS_SLAVE|MS_REC), so host mount events reach bind mounts.
  SharedHostMount shared(tmp() + "/shared");
  ASSERT_TRUE(shared.ok());
  BundleBuilder bundle = NewBundle();
  bundle.AddMount("/mnt/vol", "bind", shared.path(), {"rbind"})
      .Args({"/bin/payload", "mountprop", "/mnt/vol"});
  RunResult run = RunInBundle(bundle);
  EXPECT_EQ(run.exit_code, 0) << run;
  EXPECT_THAT(run.out, MatchesRegex("master:[0-9]+\n")) << run;
}

TEST_P(MountsTest, MountDestinationSymlinkToAHostDirStaysInTheRootfs) {
  // Security rule 3: /data in the rootfs is an absolute symlink to a host directory. Resolved in
  // the rootfs, the mount target is <rootfs>/<hostdir>/sub, created there; the host dir is
  // untouched (a naive runtime would mkdir <hostdir>/sub on the host and mount over it).
  std::string host_dir = tmp() + "/hostdir";
  std::filesystem::create_directories(host_dir);
  std::ofstream(host_dir + "/data") << "host data";
  BundleBuilder bundle = NewBundle();
  bundle.AddMount("/data/sub", "tmpfs", "tmpfs", {"size=64k"})
      .Args({"sh", "-c",
             fmt::format("/bin/payload mountopts {}/sub; /bin/payload write /data/sub/f; "
                         "/bin/payload ls /data",
                         host_dir)});
  ASSERT_TRUE(bundle.Write().ok());
  std::filesystem::create_symlink(host_dir, bundle.rootfs() + "/data");
  RunResult run = rt().Run({"run", "--bundle", bundle.dir(), NewId()});
  EXPECT_EQ(run.exit_code, 0) << run;
  std::vector<std::string> lines = Lines(run.out);
  ASSERT_EQ(lines.size(), 3u) << run;
  EXPECT_THAT(lines[0], HasSubstr(" tmpfs ")) << run;
  EXPECT_EQ(lines[1], "ok") << run;
  EXPECT_EQ(lines[2], "sub") << run;  // /data is the rootfs's dir, without the host's file
  EXPECT_THAT(DirEntries(host_dir), ElementsAre("data"));
  EXPECT_EQ(ReadFile(host_dir + "/data"), "host data");
  EXPECT_TRUE(std::filesystem::is_directory(bundle.rootfs() + host_dir + "/sub"));
}

TEST_P(MountsTest, BindMountDestinationSymlinkToAHostFileStaysInTheRootfs) {
  // A bind-mounted file's destination is a symlink to a host file: the host file keeps its
  // content; the bind lands on the rootfs's own file at the same path.
  std::string host_file = tmp() + "/host-target";
  std::ofstream(host_file) << "host file";
  std::string source = tmp() + "/source";
  std::ofstream(source) << "mounted";
  BundleBuilder bundle = NewBundle();
  bundle.AddMount("/etc/it-conf", "bind", source, {"bind", "ro"})
      .Args({"sh", "-c", fmt::format("/bin/payload cat {}", host_file)});
  ASSERT_TRUE(bundle.Write().ok());
  std::filesystem::create_directories(bundle.rootfs() + tmp());
  std::ofstream(bundle.rootfs() + host_file) << "rootfs file";
  std::filesystem::create_symlink(host_file, bundle.rootfs() + "/etc/it-conf");
  RunResult run = rt().Run({"run", "--bundle", bundle.dir(), NewId()});
  EXPECT_EQ(run.exit_code, 0) << run;
  EXPECT_EQ(run.out, "mounted") << run;
  EXPECT_EQ(ReadFile(host_file), "host file");
}

TEST_P(MountsTest, MaskedPathSymlinkToAHostFileMasksTheRootfsFile) {
  // The masked path is a symlink to a host file's path: resolved in the rootfs it names the
  // rootfs's file of that path, which reads empty; a runtime that followed it to the host would
  // mask the host file (invisible in the container) and leave the rootfs's file readable.
  std::string host_file = tmp() + "/host-secret";
  std::ofstream(host_file) << "host secret";
  BundleBuilder bundle = NewBundle();
  bundle.MaskedPath("/etc/it-secret")
      .Args({"sh", "-c",
             fmt::format("/bin/payload cat /etc/it-secret; /bin/payload cat {}; echo end",
                         host_file)});
  ASSERT_TRUE(bundle.Write().ok());
  std::filesystem::create_directories(bundle.rootfs() + tmp());
  std::ofstream(bundle.rootfs() + host_file) << "rootfs secret";
  std::filesystem::create_symlink(host_file, bundle.rootfs() + "/etc/it-secret");
  RunResult run = rt().Run({"run", "--bundle", bundle.dir(), NewId()});
  EXPECT_EQ(run.exit_code, 0) << run;
  EXPECT_EQ(run.out, "end\n") << run;
  EXPECT_EQ(ReadFile(host_file), "host secret");
}

TEST_P(MountsTest, RroMakesEveryMountBeneathABindReadOnly) {
  // runc's recursive attributes (mount_setattr with AT_RECURSIVE), which Docker 25+ and
  // containerd 2 send for read-only binds once `features` lists "rro": a host mount beneath
  // the bind's source is read-only too. Plain "ro" leaves it writable, as under runc.
  std::string source = tmp() + "/source";
  SharedHostMount nested(source + "/nested");
  ASSERT_TRUE(nested.ok());
  BundleBuilder bundle = NewBundle();
  bundle.AddMount("/rec", "bind", source, {"rbind", "rro", "rnoexec"})
      .AddMount("/flat", "bind", source, {"rbind", "ro"})
      .Args({"sh", "-c",
             "/bin/payload write /rec/f; /bin/payload write /rec/nested/f; "
             "/bin/payload write /flat/f; /bin/payload write /flat/nested/g; "
             "/bin/payload mountopts /rec/nested"});
  RunResult run = RunInBundle(bundle);
  EXPECT_EQ(run.exit_code, 0) << run;
  std::vector<std::string> lines = Lines(run.out);
  ASSERT_EQ(lines.size(), 5u) << run;
  EXPECT_EQ(lines[0], "EROFS") << run;
  EXPECT_EQ(lines[1], "EROFS") << run;
  EXPECT_EQ(lines[2], "EROFS") << run;
  EXPECT_EQ(lines[3], "ok") << run;
  EXPECT_THAT(lines[4], HasSubstr("noexec")) << run;
  EXPECT_TRUE(std::filesystem::exists(source + "/nested/g"));
  EXPECT_FALSE(std::filesystem::exists(source + "/nested/f"));
}

TEST_P(MountsTest, RrwMakesTheBindAndTheMountsBeneathItWritable) {
  // "rrw" clears MOUNT_ATTR_RDONLY on the bind and every mount beneath it, after "ro", as
  // runc's mount_setattr; under runsc the workload's writes there still go through the gofer.
  std::string source = tmp() + "/source";
  SharedHostMount nested(source + "/nested");
  ASSERT_TRUE(nested.ok());
  BundleBuilder bundle = NewBundle();
  bundle.AddMount("/rw", "bind", source, {"rbind", "ro", "rrw"})
      .Args({"sh", "-c", "/bin/payload write /rw/f; /bin/payload write /rw/nested/f"});
  RunResult run = RunInBundle(bundle);
  EXPECT_EQ(run.exit_code, 0) << run;
  EXPECT_EQ(run.out, "ok\nok\n") << run;
  EXPECT_TRUE(std::filesystem::exists(source + "/nested/f"));
}

}  // namespace
}  // namespace runsc::testing
