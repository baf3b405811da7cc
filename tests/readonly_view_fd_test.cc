// The read-only view is invisible through file descriptors too (issue 16): attribute changes through
// an fd the workload opened itself (read-only, O_DIRECTORY, O_PATH) on host storage, the caller's
// RLIMIT_FSIZE on brokered calls, and Linux's order of errors (invalid flags before paths and
// pointers). Each expectation is Linux's on a writable mount: the payload (tests/payload/fdattrs.c)
// prints one line per step, and the same lines are expected under runc
// (RUNSC_TEST_RUNTIME=/usr/sbin/runc) and runsc.
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "tests/integration_test_base.h"

namespace runsc::testing {
namespace {

namespace fs = std::filesystem;

// `payload fdattrs DIR` as a root with Docker's capabilities, on a writable mount.
constexpr char kFdAttrs[] = R"(create ok
mkdir ok
open ok
fchmod ok
fchown ok
fsetxattr ok
xattr value=v1
fremovexattr ok
futimens ok
after mode=0640 uid=1000 gid=1001 nlink=1 mtime=2000
futimesat ok
futimens_now ok
fchmodat2_empty ok
fchownat_empty ok
utimensat_empty ok
setxattrat_empty ok
removexattrat_empty ok
linkat_empty ok
file mode=0600 uid=0 gid=0 nlink=2
open_dir ok
dir_fchmod ok
dir_fchown ok
dir_fsetxattr ok
dir_xattr value=v1
dir_fremovexattr ok
dir_futimens ok
dir_after mode=0640 uid=1000 gid=1001 nlink=2 mtime=2000
dir_futimesat ok
dir_futimens_now ok
dir_fchmod_700 ok
dir mode=0700 uid=1000 gid=1001 nlink=2
open_path ok
path_fchmod EBADF
path_fchown EBADF
path_fsetxattr EBADF
path_futimens EBADF
path_fchmodat2_empty ok
path_fchownat_empty ok
path mode=0604 uid=7 gid=7 nlink=2
futimens_flags EINVAL
fchmod_badfd EBADF
)";

// The lines of `out` without the mtime of steps that set the time to now.
std::string WithoutNow(const std::string& out) {
  std::string kept;
  for (const std::string& line : Lines(out)) {
    const size_t at = line.find(" mtime=");
    const bool now = line.starts_with("file ") || line.starts_with("dir ") || line.starts_with("path ");
    kept += (now && at != std::string::npos ? line.substr(0, at) : line) + "\n";
  }
  return kept;
}

class ReadonlyViewFdTest : public IntegrationTest {
 protected:
  // A bundle whose root has Docker's default capabilities (no CAP_DAC_READ_SEARCH, no CAP_SYS_ADMIN).
  BundleBuilder DockerBundle() {
    BundleBuilder bundle = NewBundle();
    bundle.Capabilities({"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_MKNOD", "CAP_SETFCAP",
                         "CAP_SETUID", "CAP_SETGID", "CAP_KILL", "CAP_AUDIT_WRITE", "CAP_NET_BIND_SERVICE"});
    return bundle;
  }

  // A host directory of mode `mode` owned by root, for bind mounts.
  std::string HostDir(const std::string& name, mode_t mode) {
    std::string dir = tmp() + "/" + name;
    fs::create_directories(dir);
    chmod(dir.c_str(), mode);
    return dir;
  }

  // A root-owned host file of mode `mode` holding "data".
  std::string HostFile(const std::string& path, mode_t mode) {
    std::ofstream(path) << "data";
    chmod(path.c_str(), mode);
    return path;
  }

  // Runs `bundle` with `args`; its stdout, EXPECTing exit 0.
  std::string Output(BundleBuilder bundle, std::vector<std::string> args) {
    bundle.Args(std::move(args));
    RunResult result = RunInBundle(bundle);
    EXPECT_EQ(result.exit_code, 0) << result;
    return result.out;
  }
};
RUNSC_INSTANTIATE_FOR_RUNTIMES(ReadonlyViewFdTest);

// ---- item 1: attribute changes through the workload's own fds ----

TEST_P(ReadonlyViewFdTest, AttributeChangesThroughFdsOnABindMount) {
  std::string host = HostDir("data", 0755);
  BundleBuilder bundle = DockerBundle();
  bundle.AddMount("/data", "bind", host, {"rbind", "rw"});
  EXPECT_EQ(WithoutNow(Output(bundle, {"/bin/payload", "fdattrs", "/data"})), kFdAttrs);
  // The changes are on the host's inodes, where runc makes them.
  struct stat st = {};
  ASSERT_EQ(stat((host + "/sub").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u);
  EXPECT_EQ(st.st_uid, 1000u);
}

TEST_P(ReadonlyViewFdTest, AttributeChangesThroughFdsOnTheRootfs) {
  BundleBuilder bundle = DockerBundle();
  fs::create_directories(bundle.rootfs() + "/work");
  bundle.ReadonlyRoot(false);
  EXPECT_EQ(WithoutNow(Output(bundle, {"/bin/payload", "fdattrs", "/work"})), kFdAttrs);
}

TEST_P(ReadonlyViewFdTest, AttributeChangesThroughFdsAreRefusedAsLinuxRefusesANonOwner) {
  std::string host = HostDir("data", 0755);
  HostFile(host + "/rootfile", 0644);
  BundleBuilder bundle = NewBundle();
  bundle.AddMount("/data", "bind", host, {"rbind", "rw"}).User(1000, 1000);
  EXPECT_EQ(WithoutNow(Output(bundle, {"/bin/payload", "fdperm", "/data/rootfile"})),
            "open ok\nfchmod EPERM\nfchown EPERM\nfutimens EPERM\nfutimens_now EACCES\nfsetxattr EACCES\n"
            "file mode=0644 uid=0 gid=0 nlink=1\n");
}

// ---- the attacks: fds the broker must not turn into writes ----

// The same host directory bound twice: read-only at /ro, writable at /rw. An fd opened through /ro
// names an inode the container may write through /rw, but Linux refuses the change through the
// read-only mount (EROFS), and so must the broker: it acts only through the mount the fd is on.
TEST_P(ReadonlyViewFdTest, AttackAnFdOnAReadOnlyAliasOfAWritableBindStaysReadOnly) {
  std::string host = HostDir("data", 0755);
  HostFile(host + "/file", 0644);
  BundleBuilder bundle = DockerBundle();
  bundle.AddMount("/rw", "bind", host, {"rbind", "rw"}).AddMount("/ro", "bind", host, {"rbind", "ro"});
  std::string out = Output(bundle, {"/bin/payload", "fdperm", "/ro/file"});
  EXPECT_THAT(out, ::testing::StartsWith("open ok\nfchmod EROFS\nfchown EROFS\nfutimens EROFS\nfutimens_now EROFS\n"
                                         "fsetxattr EROFS\nfile mode=0644 uid=0 gid=0 nlink=1"));
  struct stat st = {};
  ASSERT_EQ(stat((host + "/file").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0644u);
}

// A read-only root (root.readonly): every fd on it stays read-only, as under runc.
TEST_P(ReadonlyViewFdTest, AttackAnFdOnAReadOnlyRootStaysReadOnly) {
  BundleBuilder bundle = DockerBundle();
  bundle.ReadonlyRoot(true);
  std::string out = Output(bundle, {"/bin/payload", "fdperm", "/bin/payload"});
  EXPECT_THAT(out, ::testing::StartsWith("open ok\nfchmod EROFS\nfchown EROFS\nfutimens EROFS\n"));
}

// /proc is not host storage: its answers are the kernel's, as under runc.
TEST_P(ReadonlyViewFdTest, AttackAnFdOnProcIsTheKernels) {
  BundleBuilder bundle = DockerBundle();
  std::string out = Output(bundle, {"/bin/payload", "fdperm", "/proc/self/comm"});
  EXPECT_THAT(out, ::testing::StartsWith("open ok\nfchmod EPERM\nfchown ok\nfutimens ok\nfutimens_now ok\n"
                                         "fsetxattr EOPNOTSUPP\n"));
}

// A masked file: under runsc a read-only bind of a /dev/null of the container's own, so the change
// is refused. Not run under runc 1.1, which binds the host's /dev/null there: a root with
// CAP_FOWNER would change the host's /dev/null (the host-integrity guard would catch it).
TEST_P(ReadonlyViewFdTest, AttackAnFdOnAMaskedFileCannotChangeIt) {
  if (!IsRunsc()) GTEST_SKIP() << "runc 1.1 masks with the host's /dev/null, which a chmod would change";
  BundleBuilder bundle = DockerBundle();
  std::string out = Output(bundle, {"/bin/payload", "fdperm", "/proc/keys"});
  EXPECT_THAT(out, ::testing::StartsWith("open ok\nfchmod EROFS\nfchown EROFS\nfutimens EROFS\n"));
}

// ---- item 2: the caller's RLIMIT_FSIZE ----

TEST_P(ReadonlyViewFdTest, TruncateBeyondTheFileSizeLimitIsEfbigWithSigxfsz) {
  std::string host = HostDir("data", 0755);
  BundleBuilder bundle = DockerBundle();
  bundle.AddMount("/data", "bind", host, {"rbind", "rw"});
  EXPECT_EQ(Output(bundle, {"/bin/payload", "fsize", "/data"}),
            "create ok\nsetrlimit ok\n"
            "truncate_beyond EFBIG sigxfsz=1\n"
            "truncate_within ok sigxfsz=1\n"
            "truncate_missing ENOENT sigxfsz=1\n"
            "truncate_dir EISDIR sigxfsz=1\n"
            "open_write ok\n"
            "ftruncate_beyond EFBIG sigxfsz=2\n"
            "pwrite_beyond EFBIG sigxfsz=3\n"
            "stat ok\nsize 4096\n"
            "child killed_by_SIGXFSZ\n");
  struct stat st = {};
  ASSERT_EQ(stat((host + "/big").c_str(), &st), 0);
  EXPECT_EQ(st.st_size, 4096);
}

// ---- item 3: invalid flags are EINVAL before any path or pointer ----

TEST_P(ReadonlyViewFdTest, InvalidFlagsAreEinvalBeforePathsAndPointers) {
  std::string host = HostDir("data", 0755);
  BundleBuilder bundle = DockerBundle();
  bundle.AddMount("/data", "bind", host, {"rbind", "rw"});
  EXPECT_EQ(Output(bundle, {"/bin/payload", "badflags", "/data"}),
            "create ok\n"
            "linkat EINVAL\nlinkat_nopath EINVAL\n"
            "setxattr EINVAL\nsetxattr_file EINVAL\nlsetxattr EINVAL\n"
            "setxattrat_atflags EINVAL\nremovexattrat_atflags EINVAL\n"
            "unlinkat EINVAL\nrenameat2 EINVAL\nrenameat2_exchange EINVAL\n"
            "fchownat EINVAL\nfchmodat2 EINVAL\nutimensat EINVAL\n"
            "utimes_usec EINVAL\nfutimesat_usec EINVAL\ntruncate EINVAL\n"
            "open_creat_directory EINVAL\nopenat_tmpfile_rdonly EINVAL\nopenat_tmpfile_nodir EINVAL\n"
            "symlink_empty ENOENT\nrename_empty ENOENT\nlink_empty ENOENT\n");
}

}  // namespace
}  // namespace runsc::testing
