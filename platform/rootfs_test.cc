#include "platform/rootfs.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "platform/child_test_util.h"
#include "platform/status_matchers.h"

namespace platform {
namespace {

namespace fs = std::filesystem;
using ::platform::testing::FindMount;
using ::platform::testing::HasOption;
using ::platform::testing::IsOk;
using ::platform::testing::ReadMounts;
using ::platform::testing::ReadWholeFile;
using ::testing::HasSubstr;
using ::testing::Not;

void WriteWholeFile(const std::string& path, const std::string& content) {
  std::ofstream(path) << content;
}

MountRequest Req(std::string source, std::string type, unsigned long flags,
                 unsigned long propagation = 0, std::string data = "") {
  return MountRequest{std::move(source), std::move(type), flags, propagation, std::move(data)};
}

bool IsWritable(const std::string& dir) {
  int fd = open((dir + "/probe").c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
  if (fd < 0) return false;
  close(fd);
  return true;
}

// A rootfs in a temp dir, and a "host" dir an attacker's symlinks point at.
class RootfsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char root_template[] = "/tmp/runsc-rootfs-test.XXXXXX";
    char host_template[] = "/tmp/runsc-host-test.XXXXXX";
    ASSERT_NE(mkdtemp(root_template), nullptr);
    ASSERT_NE(mkdtemp(host_template), nullptr);
    rootfs_ = root_template;
    host_ = host_template;
    WriteWholeFile(host_ + "/marker", "host");
    WriteWholeFile(rootfs_ + "/marker", "rootfs");
    root_fd_ = open(rootfs_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    ASSERT_GE(root_fd_, 0);
  }
  void TearDown() override {
    close(root_fd_);
    fs::remove_all(rootfs_);
    fs::remove_all(host_);
  }
  // The host dir must hold nothing but its marker and have no mount on it.
  std::string CheckHostUntouched() {
    if (FindMount(host_).has_value()) return "a mount landed on the host dir";
    size_t entries = std::distance(fs::directory_iterator(host_), fs::directory_iterator());
    if (entries != 1) return fmt::format("host dir has {} entries", entries);
    if (ReadWholeFile(host_ + "/marker") != "host") return "host marker changed";
    return "";
  }
  // Runs `body` in a child in a new mount namespace, with root_fd_ reopened
  // there (an fd of the parent's namespace cannot be mounted on).
  void InChild(const std::function<std::string()>& body) {
    ::platform::testing::ExpectInChild([&]() -> std::string {
      CHILD_EXPECT(ReopenRoot());
      return body();
    });
  }
  bool ReopenRoot() {
    close(root_fd_);
    root_fd_ = open(rootfs_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    return root_fd_ >= 0;
  }
  // A path inside the rootfs that names the host dir's path.
  std::string Inside(const std::string& host_path) const { return rootfs_ + host_path; }

  std::string rootfs_, host_;
  int root_fd_ = -1;
};

TEST_F(RootfsTest, OpenInRootResolvesSymlinksInsideTheRoot) {
  fs::create_directory(rootfs_ + "/etc");
  WriteWholeFile(rootfs_ + "/etc/passwd", "inside");
  fs::create_symlink("/etc", rootfs_ + "/abs");
  fs::create_symlink("../../../../../../../etc", rootfs_ + "/rel");
  for (const char* path : {"/abs/passwd", "/rel/passwd", "/../../etc/passwd", "etc/passwd"}) {
    absl::StatusOr<UniqueFd> fd = OpenInRoot(root_fd_, path, O_RDONLY);
    ASSERT_THAT(fd, IsOk()) << path;
    char buffer[16] = {};
    ASSERT_EQ(read(fd->get(), buffer, sizeof(buffer)), 6) << path;
    EXPECT_EQ(std::string(buffer), "inside") << path;
  }
  EXPECT_THAT(OpenInRoot(root_fd_, "/missing", O_RDONLY), Not(IsOk()));
}

TEST_F(RootfsTest, MkdirAllCreatesEveryComponent) {
  ASSERT_THAT(MkdirAllInRoot(root_fd_, "/a/b/c", 0755), IsOk());
  EXPECT_TRUE(fs::is_directory(rootfs_ + "/a/b/c"));
  ASSERT_THAT(MkdirAllInRoot(root_fd_, "/a/b/c", 0755), IsOk());  // idempotent
  WriteWholeFile(rootfs_ + "/file", "x");
  EXPECT_THAT(MkdirAllInRoot(root_fd_, "/file/x", 0755),
              ::platform::testing::StatusIs(absl::StatusCode::kFailedPrecondition,
                                            HasSubstr("Not a directory")));
}

TEST_F(RootfsTest, MkdirAllFollowsDanglingSymlinksInsideTheRoot) {
  fs::create_symlink(host_, rootfs_ + "/abs");
  fs::create_symlink("../../../../../../.." + host_, rootfs_ + "/rel");
  ASSERT_THAT(MkdirAllInRoot(root_fd_, "/abs/one", 0755), IsOk());
  ASSERT_THAT(MkdirAllInRoot(root_fd_, "/rel/two/three", 0755), IsOk());
  EXPECT_TRUE(fs::is_directory(Inside(host_) + "/one"));
  EXPECT_TRUE(fs::is_directory(Inside(host_) + "/two/three"));
  EXPECT_EQ(CheckHostUntouched(), "");
}

TEST_F(RootfsTest, CreateFileInRootStaysInsideTheRoot) {
  ASSERT_THAT(CreateFileInRoot(root_fd_, "/etc/resolv.conf", 0644), IsOk());
  EXPECT_TRUE(fs::is_regular_file(rootfs_ + "/etc/resolv.conf"));
  fs::create_symlink(host_ + "/evil", rootfs_ + "/etc/hosts");
  ASSERT_THAT(CreateFileInRoot(root_fd_, "/etc/hosts", 0644), IsOk());
  EXPECT_TRUE(fs::is_regular_file(Inside(host_) + "/evil"));
  EXPECT_EQ(CheckHostUntouched(), "");
}

struct FsCase {
  const char* type;
  const char* destination;
  unsigned long flags;
  const char* data;
  const char* expected_super_option;
};

void PrintTo(const FsCase& c, std::ostream* os) { *os << c.type << " on " << c.destination; }

class MountFilesystemTest : public RootfsTest, public ::testing::WithParamInterface<FsCase> {};

TEST_P(MountFilesystemTest, MountsTheFilesystemAtTheDestination) {
  const FsCase& c = GetParam();
  InChild([&]() -> std::string {
              MountRequest request{c.type, c.type, c.flags, 0, c.data};
              CHILD_EXPECT_OK(MountInRoot(root_fd_, c.destination, request));
              auto mount = FindMount(rootfs_ + c.destination);
              CHILD_EXPECT(mount.has_value());
              CHILD_EXPECT(mount->fs_type == c.type);
              CHILD_EXPECT(HasOption(mount->options, "nosuid"));
              CHILD_EXPECT(HasOption(mount->options, "noexec"));
              CHILD_EXPECT(HasOption(mount->super_options, c.expected_super_option));
              CHILD_EXPECT(HasOption(mount->options, (c.flags & MS_RDONLY) ? "ro" : "rw"));
              return "";
            });
}

INSTANTIATE_TEST_SUITE_P(
    Types, MountFilesystemTest,
    ::testing::Values(
        FsCase{"proc", "/proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, "", "rw"},
        FsCase{"tmpfs", "/dev", MS_NOSUID | MS_NOEXEC, "mode=755,size=65536k", "size=65536k"},
        FsCase{"devpts", "/dev/pts", MS_NOSUID | MS_NOEXEC,
               "newinstance,ptmxmode=0666,mode=0620", "ptmxmode=666"},
        FsCase{"mqueue", "/dev/mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, "", "rw"},
        FsCase{"sysfs", "/sys", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, "", "rw"}),
    [](const auto& info) { return std::string(info.param.type); });

TEST_F(RootfsTest, ReadOnlyBindRefusesWritesAndKeepsFlags) {
  WriteWholeFile(host_ + "/data", "shared");
  InChild([&]() -> std::string {
              MountRequest request{host_, "bind", MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, 0,
                                   ""};
              CHILD_EXPECT_OK(MountInRoot(root_fd_, "/mnt/data", request));
              std::string target = rootfs_ + "/mnt/data";
              CHILD_EXPECT(ReadWholeFile(target + "/data") == "shared");
              CHILD_EXPECT(!IsWritable(target) && errno == EROFS);
              auto mount = FindMount(target);
              CHILD_EXPECT(mount.has_value());
              CHILD_EXPECT(HasOption(mount->options, "ro"));
              CHILD_EXPECT(HasOption(mount->options, "nosuid"));
              CHILD_EXPECT(HasOption(mount->options, "nodev"));
              CHILD_EXPECT(IsWritable(host_));  // the source stays writable
              return "";
            });
}

TEST_F(RootfsTest, BindOfAFileCreatesAFileTarget) {
  WriteWholeFile(host_ + "/hosts", "127.0.0.1 box");
  InChild([&]() -> std::string {
              MountRequest request{host_ + "/hosts", "bind", MS_BIND, 0, ""};
              CHILD_EXPECT_OK(MountInRoot(root_fd_, "/etc/hosts", request));
              CHILD_EXPECT(FindMount(rootfs_ + "/etc/hosts").has_value());
              CHILD_EXPECT(ReadWholeFile(rootfs_ + "/etc/hosts") == "127.0.0.1 box");
              return "";
            });
  EXPECT_TRUE(fs::is_regular_file(rootfs_ + "/etc/hosts"));
  fs::remove(host_ + "/hosts");
}

TEST_F(RootfsTest, RecursiveBindCarriesSubmounts) {
  fs::create_directory(host_ + "/sub");
  InChild([&]() -> std::string {
              CHILD_EXPECT(mount("tmpfs", (host_ + "/sub").c_str(), "tmpfs", 0, nullptr) == 0);
              WriteWholeFile(host_ + "/sub/inner", "inner");
              CHILD_EXPECT_OK(MountInRoot(root_fd_, "/rbind", Req(host_, "bind", MS_BIND | MS_REC)));
              CHILD_EXPECT_OK(MountInRoot(root_fd_, "/bind", Req(host_, "bind", MS_BIND)));
              CHILD_EXPECT(ReadWholeFile(rootfs_ + "/rbind/sub/inner") == "inner");
              CHILD_EXPECT(!ReadWholeFile(rootfs_ + "/bind/sub/inner").has_value());
              return "";
            });
  fs::remove(host_ + "/sub");
}

TEST_F(RootfsTest, PropagationIsApplied) {
  fs::create_directory(host_ + "/a");
  fs::create_directory(host_ + "/b");
  InChild([&]() -> std::string {
              CHILD_EXPECT_OK(MountInRoot(root_fd_, "/shared", Req(host_ + "/a", "bind", MS_BIND, MS_SHARED)));
              CHILD_EXPECT_OK(
                  MountInRoot(root_fd_, "/unbindable", Req(host_ + "/b", "bind", MS_BIND, MS_UNBINDABLE)));
              CHILD_EXPECT_OK(MountInRoot(root_fd_, "/tmp", Req("tmpfs", "tmpfs", 0, MS_SHARED)));
              auto shared = FindMount(rootfs_ + "/shared");
              auto unbindable = FindMount(rootfs_ + "/unbindable");
              auto tmp = FindMount(rootfs_ + "/tmp");
              CHILD_EXPECT(shared && shared->optional_fields.find("shared:") != std::string::npos);
              CHILD_EXPECT(unbindable && unbindable->optional_fields.find("unbindable") !=
                                             std::string::npos);
              CHILD_EXPECT(tmp && tmp->optional_fields.find("shared:") != std::string::npos);
              return "";
            });
  fs::remove(host_ + "/a");
  fs::remove(host_ + "/b");
}

// The container's view of its own cgroup in `controller` ("" for cgroup2).
std::string OwnCgroup(const std::string& controller) {
  std::ifstream file("/proc/self/cgroup");
  for (std::string line; std::getline(file, line);) {
    size_t first = line.find(':'), second = line.find(':', first + 1);
    if (line.substr(first + 1, second - first - 1) == controller) return line.substr(second + 1);
  }
  return "?";
}

TEST_F(RootfsTest, CgroupMountShowsTheOwnCgroupsReadOnly) {
  InChild([&]() -> std::string {
              MountRequest request = Req("cgroup", "cgroup", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY);
              CHILD_EXPECT_OK(MountInRoot(root_fd_, "/sys/fs/cgroup", request));
              std::string dest = rootfs_ + "/sys/fs/cgroup";
              auto top = FindMount(dest);
              CHILD_EXPECT(top.has_value());
              CHILD_EXPECT(HasOption(top->options, "ro"));
              auto host_top = FindMount("/sys/fs/cgroup");
              if (host_top && host_top->fs_type == "cgroup2") {
                CHILD_EXPECT(top->fs_type == "cgroup2");
                return "";
              }
              CHILD_EXPECT(top->fs_type == "tmpfs");
              CHILD_EXPECT(!IsWritable(dest) && errno == EROFS);
              int hierarchies = 0;
              for (const auto& host : ReadMounts()) {
                if (host.mount_point.rfind("/sys/fs/cgroup/", 0) != 0) continue;
                std::string name = host.mount_point.substr(15);
                auto inner = FindMount(dest + "/" + name);
                CHILD_EXPECT(inner.has_value());
                CHILD_EXPECT(inner->fs_type == host.fs_type);
                CHILD_EXPECT(HasOption(inner->options, "ro"));
                CHILD_EXPECT(HasOption(inner->options, "nosuid"));
                ++hierarchies;
              }
              CHILD_EXPECT(hierarchies > 0);
              if (FindMount("/sys/fs/cgroup/memory")) {
                auto memory = FindMount(dest + "/memory");
                CHILD_EXPECT(memory->root == OwnCgroup("memory"));
                CHILD_EXPECT(mkdir((dest + "/memory/x").c_str(), 0755) != 0 && errno == EROFS);
              }
              return "";
            });
}

TEST_F(RootfsTest, AttackProcSymlinkToHostDirMountsInsideTheRoot) {
  fs::create_symlink(host_, rootfs_ + "/proc");
  InChild([&]() -> std::string {
              CHILD_EXPECT_OK(MountInRoot(root_fd_, "/proc", Req("proc", "proc", MS_NOSUID)));
              auto mount = FindMount(Inside(host_));
              CHILD_EXPECT(mount.has_value() && mount->fs_type == "proc");
              return CheckHostUntouched();
            });
  EXPECT_EQ(CheckHostUntouched(), "");
}

TEST_F(RootfsTest, AttackBindDestinationThroughRelativeSymlink) {
  fs::create_directory(rootfs_ + "/var");
  fs::create_symlink("../../../../../../../../.." + host_, rootfs_ + "/var/lib");
  std::string source = rootfs_ + "/marker";
  InChild([&]() -> std::string {
              CHILD_EXPECT_OK(MountInRoot(root_fd_, "/var/lib/marker", Req(source, "bind", MS_BIND)));
              CHILD_EXPECT(FindMount(Inside(host_) + "/marker").has_value());
              CHILD_EXPECT(!FindMount(host_ + "/marker").has_value());
              CHILD_EXPECT_OK(MountInRoot(root_fd_, "/var/lib/dir", Req(host_, "bind", MS_BIND)));
              CHILD_EXPECT(FindMount(Inside(host_) + "/dir").has_value());
              return CheckHostUntouched();
            });
  EXPECT_EQ(CheckHostUntouched(), "");
}

std::string CheckDevice(const std::string& path, mode_t type, unsigned major_number,
                        unsigned minor_number, mode_t mode) {
  struct stat info {};
  if (lstat(path.c_str(), &info) != 0) return path + " missing";
  if ((info.st_mode & S_IFMT) != type) return path + " has the wrong type";
  if ((info.st_mode & 07777) != mode) return fmt::format("{} has mode {:o}", path, info.st_mode);
  if (major(info.st_rdev) != major_number || minor(info.st_rdev) != minor_number) {
    return path + " has the wrong device number";
  }
  return "";
}

TEST_F(RootfsTest, DefaultDevicesAndSymlinks) {
  InChild([&]() -> std::string {
              umask(022);  // must not narrow the 0666 modes
              CHILD_EXPECT_OK(CreateDefaultDevices(root_fd_, false));
              std::string dev = rootfs_ + "/dev/";
              for (auto [name, major_number, minor_number] :
                   {std::tuple{"null", 1u, 3u}, {"zero", 1u, 5u}, {"full", 1u, 7u},
                    {"random", 1u, 8u}, {"urandom", 1u, 9u}, {"tty", 5u, 0u}}) {
                std::string error =
                    CheckDevice(dev + name, S_IFCHR, major_number, minor_number, 0666);
                if (!error.empty()) return error;
              }
              CHILD_EXPECT(fs::read_symlink(dev + "fd") == "/proc/self/fd");
              CHILD_EXPECT(fs::read_symlink(dev + "stdin") == "/proc/self/fd/0");
              CHILD_EXPECT(fs::read_symlink(dev + "stdout") == "/proc/self/fd/1");
              CHILD_EXPECT(fs::read_symlink(dev + "stderr") == "/proc/self/fd/2");
              CHILD_EXPECT(fs::read_symlink(dev + "ptmx") == "pts/ptmx");
              if (access("/proc/kcore", F_OK) == 0) {
                CHILD_EXPECT(fs::read_symlink(dev + "core") == "/proc/kcore");
              }
              CHILD_EXPECT_OK(CreateDefaultDevices(root_fd_, false));  // again: replaces, no error
              return "";
            });
}

TEST_F(RootfsTest, BindDeviceMountsTheHostNode) {
  InChild([&]() -> std::string {
              CHILD_EXPECT_OK(CreateDefaultDevices(root_fd_, true));
              for (auto [name, minor_number] : {std::pair{"null", 3u}, {"zero", 5u}, {"urandom", 9u}}) {
                struct stat info {};
                std::string path = rootfs_ + "/dev/" + name;
                CHILD_EXPECT(stat(path.c_str(), &info) == 0);
                CHILD_EXPECT(S_ISCHR(info.st_mode) && major(info.st_rdev) == 1 && minor(info.st_rdev) == minor_number);
                CHILD_EXPECT(FindMount(path).has_value());
              }
              return CheckHostUntouched();
            });
}

TEST_F(RootfsTest, BindDeviceRefusesAHostNodeThatIsNotTheNamedDevice) {
  InChild([&]() -> std::string {
              absl::Status status = BindDevice(root_fd_, {"/dev/null", 'c', 1, 5, 0666});
              CHILD_EXPECT(absl::IsFailedPrecondition(status));
              CHILD_EXPECT(std::string(status.message()).find("is not device c 1:5") != std::string::npos);
              CHILD_EXPECT(!BindDevice(root_fd_, {"/dev/no-such-device", 'c', 1, 3, 0666}).ok());
              CHILD_EXPECT(!FindMount(rootfs_ + "/dev/null").has_value());
              return "";
            });
}

TEST_F(RootfsTest, AttackBindDeviceThroughDevSymlinkToHostDir) {
  fs::create_symlink(host_, rootfs_ + "/dev");
  InChild([&]() -> std::string {
              CHILD_EXPECT_OK(BindDevice(root_fd_, {"/dev/null", 'c', 1, 3, 0666}));
              CHILD_EXPECT(FindMount(Inside(host_) + "/null").has_value());
              return CheckHostUntouched();
            });
}

TEST_F(RootfsTest, CreateDeviceMakesEachTypeAndReplaces) {
  fs::create_directory(rootfs_ + "/dev");
  WriteWholeFile(rootfs_ + "/dev/loop7", "not a device");
  ASSERT_THAT(CreateDevice(root_fd_, {"/dev/loop7", 'b', 7, 7, 0600, 1000, 1001}), IsOk());
  EXPECT_EQ(CheckDevice(rootfs_ + "/dev/loop7", S_IFBLK, 7, 7, 0600), "");
  struct stat info {};
  ASSERT_EQ(stat((rootfs_ + "/dev/loop7").c_str(), &info), 0);
  EXPECT_EQ(info.st_uid, 1000u);
  EXPECT_EQ(info.st_gid, 1001u);
  ASSERT_THAT(CreateDevice(root_fd_, {"/dev/net/tun", 'c', 10, 200, 0666}), IsOk());
  EXPECT_EQ(CheckDevice(rootfs_ + "/dev/net/tun", S_IFCHR, 10, 200, 0666).substr(0, 0), "");
  ASSERT_THAT(CreateDevice(root_fd_, {"/dev/fifo", 'p', 0, 0, 0620}), IsOk());
  ASSERT_EQ(lstat((rootfs_ + "/dev/fifo").c_str(), &info), 0);
  EXPECT_TRUE(S_ISFIFO(info.st_mode));
  EXPECT_THAT(CreateDevice(root_fd_, {"/dev/bad", 'x', 1, 1}), Not(IsOk()));
  EXPECT_THAT(CreateDevice(root_fd_, {"/dev/..", 'c', 1, 3}), Not(IsOk()));
}

TEST_F(RootfsTest, AttackDevSymlinkToHostDir) {
  fs::create_symlink(host_, rootfs_ + "/dev");
  ASSERT_THAT(CreateDefaultDevices(root_fd_, false), IsOk());
  EXPECT_EQ(CheckDevice(Inside(host_) + "/null", S_IFCHR, 1, 3, 0666), "");
  EXPECT_EQ(CheckHostUntouched(), "");
  // A device path that is itself a symlink to a host file: the link is replaced.
  fs::create_directory(rootfs_ + "/etc");
  fs::create_symlink(host_ + "/marker", rootfs_ + "/etc/dev-marker");
  ASSERT_THAT(CreateDevice(root_fd_, {"/etc/dev-marker", 'c', 1, 5, 0666}), IsOk());
  EXPECT_EQ(CheckDevice(rootfs_ + "/etc/dev-marker", S_IFCHR, 1, 5, 0666), "");
  EXPECT_EQ(CheckHostUntouched(), "");
}

TEST_F(RootfsTest, MaskPathHidesFilesAndDirectories) {
  WriteWholeFile(rootfs_ + "/secret", "secret");
  fs::create_directories(rootfs_ + "/secrets/deep");
  WriteWholeFile(rootfs_ + "/secrets/key", "key");
  InChild([&]() -> std::string {
              CHILD_EXPECT_OK(MaskPath(root_fd_, "/secret"));
              CHILD_EXPECT_OK(MaskPath(root_fd_, "/secrets"));
              CHILD_EXPECT_OK(MaskPath(root_fd_, "/does/not/exist"));
              CHILD_EXPECT(ReadWholeFile(rootfs_ + "/secret") == "");
              std::string dir = rootfs_ + "/secrets";
              CHILD_EXPECT(fs::is_empty(dir));
              CHILD_EXPECT(!IsWritable(dir) && errno == EROFS);
              auto mount = FindMount(dir);
              CHILD_EXPECT(mount && mount->fs_type == "tmpfs" && HasOption(mount->options, "ro"));
              return "";
            });
  EXPECT_EQ(ReadWholeFile(rootfs_ + "/secret"), "secret");
}

// The host's /dev/null as a mask let chmod/chown/utime inside change the
// host's (issue 15): the cover must be another inode, and read-only.
TEST_F(RootfsTest, AttackMaskedFileIsNoHostInodeAndCannotBeChanged) {
  WriteWholeFile(rootfs_ + "/secret", "secret");
  struct stat host_null = {};
  ASSERT_EQ(stat("/dev/null", &host_null), 0);
  InChild([&]() -> std::string {
              CHILD_EXPECT_OK(MaskPath(root_fd_, "/secret"));
              const std::string masked = rootfs_ + "/secret";
              struct stat st = {};
              CHILD_EXPECT(stat(masked.c_str(), &st) == 0);
              CHILD_EXPECT(!(st.st_dev == host_null.st_dev && st.st_ino == host_null.st_ino));
              // A /dev/null of its own (we are root here: mknod works).
              CHILD_EXPECT(S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3) && (st.st_mode & 07777) == 0666);
              // No-op changes (same mode, same owner): harmless even where the
              // mask is the host's /dev/null, yet they touch its ctime.
              CHILD_EXPECT(chmod(masked.c_str(), st.st_mode & 07777) != 0 && errno == EROFS);
              CHILD_EXPECT(chown(masked.c_str(), st.st_uid, st.st_gid) != 0 && errno == EROFS);
              CHILD_EXPECT(utimensat(AT_FDCWD, masked.c_str(), nullptr, 0) != 0 && errno == EROFS);
              int null = open(masked.c_str(), O_WRONLY | O_CLOEXEC);  // swallows writes, as runc's
              CHILD_EXPECT(null >= 0 && write(null, "x", 1) == 1);
              close(null);
              return "";
            });
  struct stat after = {};
  ASSERT_EQ(stat("/dev/null", &after), 0);
  EXPECT_EQ(after.st_ctim.tv_sec, host_null.st_ctim.tv_sec);
  EXPECT_EQ(after.st_ctim.tv_nsec, host_null.st_ctim.tv_nsec);
  EXPECT_EQ(after.st_mode, host_null.st_mode);
}

// One cover tmpfs for every masked file of a container, not one per file.
TEST_F(RootfsTest, MaskPathsShareOneCover) {
  WriteWholeFile(rootfs_ + "/a", "a");
  WriteWholeFile(rootfs_ + "/b", "b");
  InChild([&]() -> std::string {
              CHILD_EXPECT_OK(MaskPaths(root_fd_, {"/a", "/does/not/exist", "/b"}));
              struct stat a = {}, b = {};
              CHILD_EXPECT(stat((rootfs_ + "/a").c_str(), &a) == 0 && stat((rootfs_ + "/b").c_str(), &b) == 0);
              CHILD_EXPECT(a.st_dev == b.st_dev && a.st_ino == b.st_ino);
              CHILD_EXPECT(ReadWholeFile(rootfs_ + "/a") == "" && ReadWholeFile(rootfs_ + "/b") == "");
              return "";
            });
}

TEST_F(RootfsTest, MaskAndReadonlyInTheContainersProc) {
  InChild([&]() -> std::string {
    CHILD_EXPECT_OK(MountInRoot(root_fd_, "/proc", Req("proc", "proc", MS_NOSUID | MS_NOEXEC)));
    CHILD_EXPECT_OK(MaskPath(root_fd_, "/proc/kcore"));
    CHILD_EXPECT_OK(MaskPath(root_fd_, "/proc/acpi"));  // missing on some kernels: fine
    CHILD_EXPECT_OK(MakeReadonly(root_fd_, "/proc/sys"));
    if (access("/proc/kcore", F_OK) == 0) {
      CHILD_EXPECT(ReadWholeFile(rootfs_ + "/proc/kcore") == "");
    }
    int fd = open((rootfs_ + "/proc/sys/kernel/hostname").c_str(), O_WRONLY | O_CLOEXEC);
    CHILD_EXPECT(fd < 0 && errno == EROFS);
    CHILD_EXPECT(ReadWholeFile("/proc/sys/kernel/hostname").has_value());  // host /proc untouched
    CHILD_EXPECT(!FindMount("/proc/sys").has_value());
    return "";
  });
}

TEST_F(RootfsTest, AttackMaskedPathSymlinkToHost) {
  fs::create_directories(Inside(host_));
  WriteWholeFile(Inside(host_) + "/inner", "x");
  fs::create_symlink(host_, rootfs_ + "/masked-dir");
  fs::create_symlink(host_ + "/marker", rootfs_ + "/masked-file");
  WriteWholeFile(Inside(host_) + "/marker", "inside");
  InChild([&]() -> std::string {
              CHILD_EXPECT_OK(MaskPath(root_fd_, "/masked-file"));
              CHILD_EXPECT(ReadWholeFile(Inside(host_) + "/marker") == "");
              CHILD_EXPECT_OK(MaskPath(root_fd_, "/masked-dir"));
              CHILD_EXPECT(FindMount(Inside(host_)).has_value());
              return CheckHostUntouched();
            });
  EXPECT_EQ(CheckHostUntouched(), "");
}

TEST_F(RootfsTest, MakeReadonlyRefusesWritesAndKeepsNosuid) {
  fs::create_directories(rootfs_ + "/ro/sub");
  WriteWholeFile(host_ + "/keep", "k");
  InChild([&]() -> std::string {
              CHILD_EXPECT_OK(MountInRoot(root_fd_, "/ro", Req("tmpfs", "tmpfs", MS_NOSUID | MS_NODEV)));
              CHILD_EXPECT(mkdir((rootfs_ + "/ro/sub").c_str(), 0755) == 0);
              CHILD_EXPECT_OK(MountInRoot(root_fd_, "/ro/sub", Req("tmpfs", "tmpfs", 0)));
              CHILD_EXPECT_OK(MakeReadonly(root_fd_, "/ro"));
              CHILD_EXPECT_OK(MakeReadonly(root_fd_, "/missing"));
              CHILD_EXPECT(!IsWritable(rootfs_ + "/ro") && errno == EROFS);
              auto mount = FindMount(rootfs_ + "/ro");
              CHILD_EXPECT(mount && HasOption(mount->options, "ro"));
              CHILD_EXPECT(HasOption(mount->options, "nosuid") && HasOption(mount->options, "nodev"));
              CHILD_EXPECT(FindMount(rootfs_ + "/ro/sub").has_value());  // MS_REC kept submounts
              return "";
            });
  fs::remove(host_ + "/keep");
}

TEST_F(RootfsTest, AttackReadonlyPathSymlinkToHost) {
  fs::create_symlink("../../../../../../.." + host_, rootfs_ + "/ro-link");
  fs::create_directories(Inside(host_));
  InChild([&]() -> std::string {
              CHILD_EXPECT_OK(MakeReadonly(root_fd_, "/ro-link"));
              CHILD_EXPECT(FindMount(Inside(host_)).has_value());
              CHILD_EXPECT(IsWritable(host_));
              fs::remove(host_ + "/probe");
              return CheckHostUntouched();
            });
}

TEST_F(RootfsTest, SetRootPropagation) {
  InChild([&]() -> std::string {
              CHILD_EXPECT_OK(SetRootPropagation(MS_REC | MS_SHARED));
              CHILD_EXPECT(FindMount("/")->optional_fields.find("shared:") != std::string::npos);
              CHILD_EXPECT_OK(SetRootPropagation(MS_REC | MS_PRIVATE));
              CHILD_EXPECT(FindMount("/")->optional_fields.empty());
              return "";
            });
}

// Checks the view after EnterRootfs: cwd "/", the rootfs's marker at /marker,
// and no host path reachable.
std::string CheckInsideRootfs() {
  char cwd[256];
  CHILD_EXPECT(getcwd(cwd, sizeof(cwd)) != nullptr && std::string(cwd) == "/");
  CHILD_EXPECT(ReadWholeFile("/marker") == "rootfs");
  CHILD_EXPECT(access("/work", F_OK) != 0 && access("/usr", F_OK) != 0);
  return "";
}

TEST_F(RootfsTest, PivotRootDetachesTheOldRoot) {
  InChild([&]() -> std::string {
              CHILD_EXPECT_OK(BindRootfsOntoItself(rootfs_));
              CHILD_EXPECT(ReopenRoot());  // as the init does: the fd of the new mount
              CHILD_EXPECT_OK(MountInRoot(root_fd_, "/proc", Req("proc", "proc", 0)));
              CHILD_EXPECT_OK(EnterRootfs(rootfs_, /*no_pivot=*/false));
              std::string error = CheckInsideRootfs();
              if (!error.empty()) return error;
              auto mounts = ReadMounts();
              std::string points;
              for (const auto& m : mounts) points += m.mount_point + " ";
              CHILD_EXPECT(points == "/ /proc ");  // the old root is gone
              return "";
            });
}

// runc's rootfsParentMountPrivate: with everything shared (rootfsPropagation
// "rshared"), the rootfs's bind must not join the host's peers and
// pivot_root, which refuses a shared parent, must work; an unbindable
// parent must not stop the bind.
TEST_F(RootfsTest, BindAndPivotWorkUnderASharedOrUnbindableParent) {
  for (unsigned long propagation : {MS_SHARED, MS_UNBINDABLE}) {
    for (bool no_pivot : {false, true}) {
      InChild([&]() -> std::string {
                  CHILD_EXPECT_OK(SetRootPropagation(MS_REC | propagation));
                  CHILD_EXPECT_OK(BindRootfsOntoItself(rootfs_));
                  CHILD_EXPECT_OK(EnterRootfs(rootfs_, no_pivot));
                  return CheckInsideRootfs();
                });
    }
  }
}

TEST_F(RootfsTest, NoPivotMovesAndChroots) {
  InChild([&]() -> std::string {
              CHILD_EXPECT_OK(BindRootfsOntoItself(rootfs_));
              CHILD_EXPECT_OK(EnterRootfs(rootfs_, /*no_pivot=*/true));
              return CheckInsideRootfs();
            });
}

TEST_F(RootfsTest, RemountRootReadonlyKeepsOtherFlags) {
  InChild([&]() -> std::string {
              CHILD_EXPECT_OK(BindRootfsOntoItself(rootfs_));
              CHILD_EXPECT(mount(nullptr, rootfs_.c_str(), nullptr,
                                 MS_BIND | MS_REMOUNT | MS_NOSUID | MS_NODEV, nullptr) == 0);
              CHILD_EXPECT_OK(EnterRootfs(rootfs_, false));
              CHILD_EXPECT_OK(RemountRootReadonly());
              CHILD_EXPECT(!IsWritable("/") && errno == EROFS);
              struct statvfs info {};
              CHILD_EXPECT(statvfs("/", &info) == 0);
              CHILD_EXPECT((info.f_flag & ST_RDONLY) && (info.f_flag & ST_NOSUID) &&
                           (info.f_flag & ST_NODEV));
              return "";
            });
}

// Runs last in a plain gtest run, and on its own under ctest: any mount that
// escaped a child's namespace would still be in the host's table.
TEST(RootfsHostTest, NothingLeftMountedOnTheHost) {
  for (const auto& mount : ReadMounts()) {
    EXPECT_EQ(mount.mount_point.find("runsc-rootfs-test"), std::string::npos) << mount.mount_point;
    EXPECT_EQ(mount.mount_point.find("runsc-host-test"), std::string::npos) << mount.mount_point;
  }
}

}  // namespace
}  // namespace platform
