// The read-only view is invisible through file descriptors too (issue 16):
// attribute changes through an fd the workload opened itself (read-only,
// O_DIRECTORY, O_PATH) on host storage, the caller's RLIMIT_FSIZE on brokered
// calls, and Linux's order of errors (invalid flags before paths and pointers).
// Each expectation is Linux's on a writable mount: the payload
// (tests/payload/fdattrs.c) prints one line per step, and the same lines are
// expected under runc (RUNSC_TEST_RUNTIME=/usr/sbin/runc) and runsc.
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "tests/integration_test_base.h"

namespace runsc::testing {
namespace {

namespace fs = std::filesystem;

// `payload fdattrs DIR` as a root with Docker's capabilities, on a writable
// mount.
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
    const bool now = line.starts_with("file ") || line.starts_with("dir ") ||
                     line.starts_with("path ");
    kept += (now && at != std::string::npos ? line.substr(0, at) : line) + "\n";
  }
  return kept;
}

// `text` with whole lines replaced: the answers where runsc knowingly differs
// from Linux, each listed and explained in docs/syscalls.md ("Known
// differences").
std::string WithLinesReplaced(
    std::string text,
    const std::vector<std::pair<std::string, std::string>>& lines) {
  for (const auto& [from, to] : lines) {
    const size_t at = text.find(from + "\n");
    if (at != std::string::npos) text.replace(at, from.size(), to);
  }
  return text;
}

// linkat(fd, "", ..., AT_EMPTY_PATH) of an fd the workload opened natively:
// Linux 6.10+ lets the task whose credentials opened it link it; the broker
// cannot tell who opened it and requires CAP_DAC_READ_SEARCH (ENOENT, as Linux
// before 6.10): never wider than Linux.
const std::vector<std::pair<std::string, std::string>> kRunscFdAttrs = {
    {"linkat_empty ok", "linkat_empty ENOENT"},
    {"file mode=0600 uid=0 gid=0 nlink=2",
     "file mode=0600 uid=0 gid=0 nlink=1"},
    {"path mode=0604 uid=7 gid=7 nlink=2",
     "path mode=0604 uid=7 gid=7 nlink=1"},
};

class ReadonlyViewFdTest : public IntegrationTest {
 protected:
  // A bundle whose root has Docker's default capabilities (no
  // CAP_DAC_READ_SEARCH, no CAP_SYS_ADMIN).
  BundleBuilder DockerBundle() {
    BundleBuilder bundle = NewBundle();
    bundle.Capabilities({"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER",
                         "CAP_FSETID", "CAP_MKNOD", "CAP_SETFCAP", "CAP_SETUID",
                         "CAP_SETGID", "CAP_KILL", "CAP_AUDIT_WRITE",
                         "CAP_NET_BIND_SERVICE"});
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

  // `linux` as this runtime answers it: `runsc_lines` replaced under runsc.
  std::string Expected(const std::string& linux,
                       const std::vector<std::pair<std::string, std::string>>&
                           runsc_lines) const {
    return IsRunsc() ? WithLinesReplaced(linux, runsc_lines) : linux;
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
  EXPECT_EQ(WithoutNow(Output(bundle, {"/bin/payload", "fdattrs", "/data"})),
            Expected(kFdAttrs, kRunscFdAttrs));
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
  EXPECT_EQ(WithoutNow(Output(bundle, {"/bin/payload", "fdattrs", "/work"})),
            Expected(kFdAttrs, kRunscFdAttrs));
}

TEST_P(ReadonlyViewFdTest,
       AttributeChangesThroughFdsAreRefusedAsLinuxRefusesANonOwner) {
  std::string host = HostDir("data", 0755);
  HostFile(host + "/rootfile", 0644);
  BundleBuilder bundle = NewBundle();
  bundle.AddMount("/data", "bind", host, {"rbind", "rw"}).User(1000, 1000);
  EXPECT_EQ(
      WithoutNow(Output(bundle, {"/bin/payload", "fdperm", "/data/rootfile"})),
      "open ok\nfchmod EPERM\nfchown EPERM\nfutimens EPERM\nfutimens_now "
      "EACCES\nfsetxattr EACCES\n"
      "file mode=0644 uid=0 gid=0 nlink=1\n");
}

// ---- the attacks: fds the broker must not turn into writes ----

// The same host directory bound twice: read-only at /ro, writable at /rw. An fd
// opened through /ro names an inode the container may write through /rw, but
// Linux refuses the change through the read-only mount (EROFS), and so must the
// broker: it acts only through the mount the fd is on.
TEST_P(ReadonlyViewFdTest,
       AttackAnFdOnAReadOnlyAliasOfAWritableBindStaysReadOnly) {
  std::string host = HostDir("data", 0755);
  HostFile(host + "/file", 0644);
  BundleBuilder bundle = DockerBundle();
  bundle.AddMount("/rw", "bind", host, {"rbind", "rw"})
      .AddMount("/ro", "bind", host, {"rbind", "ro"});
  std::string out = Output(bundle, {"/bin/payload", "fdperm", "/ro/file"});
  EXPECT_THAT(out, ::testing::StartsWith(
                       "open ok\nfchmod EROFS\nfchown EROFS\nfutimens "
                       "EROFS\nfutimens_now EROFS\n"
                       "fsetxattr EROFS\nfile mode=0644 uid=0 gid=0 nlink=1"));
  struct stat st = {};
  ASSERT_EQ(stat((host + "/file").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0644u);
}

// A read-only root (root.readonly): every fd on it stays read-only, as under
// runc.
TEST_P(ReadonlyViewFdTest, AttackAnFdOnAReadOnlyRootStaysReadOnly) {
  BundleBuilder bundle = DockerBundle();
  bundle.ReadonlyRoot(true);
  std::string out = Output(bundle, {"/bin/payload", "fdperm", "/bin/payload"});
  EXPECT_THAT(out,
              ::testing::StartsWith(
                  "open ok\nfchmod EROFS\nfchown EROFS\nfutimens EROFS\n"));
}

// /proc is not host storage: its answers are the kernel's, as under runc.
TEST_P(ReadonlyViewFdTest, AttackAnFdOnProcIsTheKernels) {
  BundleBuilder bundle = DockerBundle();
  std::string out =
      Output(bundle, {"/bin/payload", "fdperm", "/proc/self/comm"});
  EXPECT_THAT(
      out,
      ::testing::StartsWith(
          "open ok\nfchmod EPERM\nfchown ok\nfutimens ok\nfutimens_now ok\n"
          "fsetxattr EOPNOTSUPP\n"));
}

// A masked file: under runsc a read-only bind of a /dev/null of the container's
// own, so the change is refused. Not run under runc 1.1, which binds the host's
// /dev/null there: a root with CAP_FOWNER would change the host's /dev/null
// (the host-integrity guard would catch it).
TEST_P(ReadonlyViewFdTest, AttackAnFdOnAMaskedFileCannotChangeIt) {
  if (!IsRunsc())
    GTEST_SKIP() << "runc 1.1 masks with the host's /dev/null, which a chmod "
                    "would change";
  BundleBuilder bundle = DockerBundle();
  std::string out = Output(bundle, {"/bin/payload", "fdperm", "/proc/keys"});
  EXPECT_THAT(out,
              ::testing::StartsWith(
                  "open ok\nfchmod EROFS\nfchown EROFS\nfutimens EROFS\n"));
}

// ---- fd calls that look nothing up: an unlinked file, a caller who lost
// search permission ----

// The lines of `out` without their mtime (steps on files made now).
std::string WithoutMtime(const std::string& out) {
  std::string kept;
  for (const std::string& line : Lines(out))
    kept += line.substr(0, line.find(" mtime=")) + "\n";
  return kept;
}

TEST_P(ReadonlyViewFdTest,
       AttributeChangesThroughAnFdAfterTheCallerLostSearchPermission) {
  std::string host = HostDir("data", 0777);
  BundleBuilder bundle = NewBundle();
  bundle.AddMount("/data", "bind", host, {"rbind", "rw"})
      .User(1000, 1000)
      .Capabilities({});
  EXPECT_EQ(
      Output(bundle, {"/bin/payload", "fdlocked", "/data"}),
      "mkdir ok\ncreate ok\nopen ok\nopen_dir ok\nlock ok\n"
      "fchmod ok\nfchown ok\nfsetxattr ok\nfremovexattr ok\nfutimens ok\n"
      "file mode=0600 uid=1000 gid=1000 nlink=1 mtime=2000\n"
      "dir_fchmod ok\ndir_fsetxattr ok\ndir_fremovexattr ok\ndir_futimens ok\n"
      "dir mode=0600 uid=1000 gid=1000 nlink=2 mtime=2000\nunlock ok\n"
      "write_only ok\nwrite_only_fsetxattr ok\nwrite_only_fremovexattr ok\n");
}

// The broker finds the file with its own credentials once the caller's walk
// fails, but performs the call with the caller's: a user who does not own the
// file still gets Linux's refusals.
TEST_P(ReadonlyViewFdTest,
       AttackLostSearchPermissionGrantsNothingOnAFileTheCallerDoesNotOwn) {
  std::string host = HostDir("data", 0777);
  std::string locked = HostDir("data/locked", 0755);
  ASSERT_EQ(chown(locked.c_str(), 1000, 1000), 0);
  HostFile(locked + "/file", 0644);
  BundleBuilder bundle = NewBundle();
  bundle.AddMount("/data", "bind", host, {"rbind", "rw"})
      .User(1000, 1000)
      .Capabilities({});
  EXPECT_EQ(
      WithoutNow(Output(bundle, {"/bin/payload", "fdlockedperm", "/data"})),
      "open ok\nlock ok\nfchmod EPERM\nfchown EPERM\nfutimens "
      "EPERM\nfutimens_now EACCES\n"
      "fsetxattr EACCES\nfile mode=0644 uid=0 gid=0 nlink=1\ntrusted_fsetxattr "
      "EPERM\nunlock ok\n");
  struct stat st = {};
  ASSERT_EQ(stat((locked + "/file").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0644u);
}

// open, unlink, fchmod: the inode lives on while the fd is open, and Linux
// changes it. runsc answers EROFS (docs/syscalls.md, "Known differences"): the
// file is reachable by no path in the gofer's writable view, and the only ways
// to reach its inode there (a handle, a writable clone of the workload's
// read-only mount) are refused to the broker by design.
TEST_P(ReadonlyViewFdTest, AttributeChangesThroughAnFdOfAnUnlinkedFile) {
  std::string host = HostDir("data", 0755);
  BundleBuilder bundle = DockerBundle();
  bundle.AddMount("/data", "bind", host, {"rbind", "rw"});
  const std::string linux =
      "create ok\nopen ok\nunlink ok\nfchmod ok\nfchown ok\nfsetxattr "
      "ok\nfremovexattr ok\nfutimens ok\n"
      "file mode=0640 uid=0 gid=0 nlink=0\n";
  EXPECT_EQ(
      WithoutMtime(Output(bundle, {"/bin/payload", "fdunlinked", "/data"})),
      Expected(linux, {{"fchmod ok", "fchmod EROFS"},
                       {"fchown ok", "fchown EROFS"},
                       {"fsetxattr ok", "fsetxattr EROFS"},
                       {"fremovexattr ok", "fremovexattr EROFS"},
                       {"futimens ok", "futimens EROFS"},
                       {"file mode=0640 uid=0 gid=0 nlink=0",
                        "file mode=0644 uid=0 gid=0 nlink=0"}}));
}

// ---- linkat(fd, "", ..., AT_EMPTY_PATH): the kernel's credential rule ----

// Linux 6.10+ (fs/namei.c, path_init with LOOKUP_LINKAT_EMPTY): the task whose
// credentials opened the fd may link it; another (a forked child has
// credentials of its own) needs CAP_DAC_READ_SEARCH, else ENOENT. Docker's root
// has no CAP_DAC_READ_SEARCH. The O_TMPFILE file is also linked through its
// magic link with AT_SYMLINK_FOLLOW (open(2)'s example), which needs no
// capability.
constexpr char kLinkWithoutSearchCap[] = R"(create ok
open ok
link_inherited ENOENT
link_own ok
file mode=0644 uid=UID gid=UID nlink=2
open_tmpfile ok
tmpfile_link_inherited ENOENT
tmpfile_link_own ok
tmpfile_link_magic ok
tmpfile mode=0600 uid=UID gid=UID nlink=2
)";

std::string WithUid(std::string text, const std::string& uid) {
  for (size_t at = text.find("UID"); at != std::string::npos;
       at = text.find("UID"))
    text.replace(at, 3, uid);
  return text;
}

// runsc's known differences (docs/syscalls.md, "Known differences"): the
// opener's own link is ENOENT without CAP_DAC_READ_SEARCH (the broker cannot
// tell who opened the fd; never wider than Linux), and an O_TMPFILE file, which
// the gofer opened on its writable view, cannot be linked into the workload's
// read-only view (its link is run natively: ENOENT without the capability, else
// EROFS).
std::vector<std::pair<std::string, std::string>> RunscLinkLines(
    const std::string& uid) {
  return {{"link_own ok", "link_own ENOENT"},
          {WithUid("file mode=0644 uid=UID gid=UID nlink=2", uid),
           WithUid("file mode=0644 uid=UID gid=UID nlink=1", uid)},
          {"tmpfile_link_own ok", "tmpfile_link_own ENOENT"},
          {"tmpfile_link_magic ok", "tmpfile_link_magic EROFS"},
          {WithUid("tmpfile mode=0600 uid=UID gid=UID nlink=2", uid),
           WithUid("tmpfile mode=0600 uid=UID gid=UID nlink=0", uid)}};
}

TEST_P(ReadonlyViewFdTest, LinkAnFdWithEmptyPathAsRootWithoutCapDacReadSearch) {
  std::string host = HostDir("data", 0755);
  BundleBuilder bundle = DockerBundle();
  bundle.AddMount("/data", "bind", host, {"rbind", "rw"});
  EXPECT_EQ(WithoutMtime(Output(bundle, {"/bin/payload", "fdlink", "/data"})),
            Expected(WithUid(kLinkWithoutSearchCap, "0"), RunscLinkLines("0")));
}

TEST_P(ReadonlyViewFdTest, LinkAnFdWithEmptyPathAsAUser) {
  std::string host = HostDir("data", 0777);
  BundleBuilder bundle = NewBundle();
  bundle.AddMount("/data", "bind", host, {"rbind", "rw"})
      .User(1000, 1000)
      .Capabilities({});
  EXPECT_EQ(
      WithoutMtime(Output(bundle, {"/bin/payload", "fdlink", "/data"})),
      Expected(WithUid(kLinkWithoutSearchCap, "1000"), RunscLinkLines("1000")));
}

TEST_P(ReadonlyViewFdTest, LinkAnFdWithEmptyPathWithCapDacReadSearch) {
  std::string host = HostDir("data", 0755);
  BundleBuilder bundle = NewBundle();
  bundle.Capabilities({"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH",
                       "CAP_FOWNER", "CAP_KILL"});
  bundle.AddMount("/data", "bind", host, {"rbind", "rw"});
  const std::string linux =
      "create ok\nopen ok\nlink_inherited ok\nlink_own ok\nfile mode=0644 "
      "uid=0 gid=0 nlink=3\n"
      "open_tmpfile ok\ntmpfile_link_inherited ok\ntmpfile_link_own "
      "ok\ntmpfile_link_magic ok\n"
      "tmpfile mode=0600 uid=0 gid=0 nlink=3\n";
  EXPECT_EQ(
      WithoutMtime(Output(bundle, {"/bin/payload", "fdlink", "/data"})),
      Expected(linux,
               {{"tmpfile_link_inherited ok", "tmpfile_link_inherited EROFS"},
                {"tmpfile_link_own ok", "tmpfile_link_own EROFS"},
                {"tmpfile_link_magic ok", "tmpfile_link_magic EROFS"},
                {"tmpfile mode=0600 uid=0 gid=0 nlink=3",
                 "tmpfile mode=0600 uid=0 gid=0 nlink=0"}}));
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
            "open_creat_directory EINVAL\nopenat_tmpfile_rdonly "
            "EINVAL\nopenat_tmpfile_nodir EINVAL\n"
            "symlink_empty ENOENT\nrename_empty ENOENT\nlink_empty ENOENT\n");
}

}  // namespace
}  // namespace runsc::testing
