// Integration tests of brokered writes (the gofer): every write the workload makes to host-backed
// storage goes sentry -> gofer, which performs it with the caller's credentials. Each expectation is
// Linux's: the same payload passes under runc (RUNSC_TEST_RUNTIME=/usr/sbin/runc), natively.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "fmt/format.h"
#include "tests/integration_test_base.h"

namespace runsc::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

// `payload fsops DIR` as root on ext4, the output of the same program run natively on the host.
constexpr const char* kFsOpsAsRoot =
    "create ok\n"
    "create.stat mode=0644 uid=0 gid=0 size=5 nlink=1\n"
    "create.read content=hello\n"
    "excl EEXIST\n"
    "append ok\n"
    "append.read content=hello+more\n"
    "trunc ok\n"
    "trunc.read content=x\n"
    "tmpfile ok\n"
    "tmpfile.write ok\n"
    "umask.create ok\n"
    "umask.stat mode=0640 uid=0 gid=0 size=0 nlink=1\n"
    "umask.mkdir ok\n"
    "umask.mkdir.stat mode=0750 uid=0 gid=0 size=0 nlink=2\n"
    "creat ok\n"
    "creat.stat mode=0600 uid=0 gid=0 size=0 nlink=1\n"
    "mkdir ok\n"
    "mkdir.stat mode=0750 uid=0 gid=0 size=0 nlink=2\n"
    "mkdir.exists EEXIST\n"
    "mkdirat ok\n"
    "rmdir.notempty ENOTEMPTY\n"
    "rmdir ok\n"
    "rmdir.missing ENOENT\n"
    "openat.dirfd ok\n"
    "unlinkat.dirfd ok\n"
    "unlink.dir EISDIR\n"
    "rename ok\n"
    "rename.gone ENOENT\n"
    "rename.over.prep ok\n"
    "rename.over ok\n"
    "rename.over.read content=x\n"
    "rename.acrossdirs ok\n"
    "rename.noreplace.prep ok\n"
    "rename.noreplace EEXIST\n"
    "rename.exchange ok\n"
    "rename.exchange.read content=x\n"
    "link ok\n"
    "link.stat mode=0644 uid=0 gid=0 size=1 nlink=2\n"
    "link.exists EEXIST\n"
    "symlink.relative ok\n"
    "symlink.relative.read content=x\n"
    "symlink.absolute ok\n"
    "symlink.absolute.open ENOENT\n"
    "symlink.dangling ok\n"
    "symlink.dangling.creat ok\n"
    "symlink.dangling.target ok\n"
    "symlink.dangling.excl EEXIST\n"
    "symlink.loop1 ok\n"
    "symlink.loop2 ok\n"
    "symlink.loop.creat ELOOP\n"
    "symlink.nofollow ELOOP\n"
    "chmod ok\n"
    "chmod.stat mode=0604 uid=0 gid=0 size=1 nlink=2\n"
    "fchmodat ok\n"
    "chown ok\n"
    "chown.stat mode=0640 uid=1234 gid=2345 size=1 nlink=2\n"
    "lchown ok\n"
    "lchown.stat mode=0777 uid=1234 gid=2345 size=1 nlink=1\n"
    "utimensat ok\n"
    "utimensat.mtime 1200000000.000000500\n"
    "truncate ok\n"
    "truncate.stat mode=0640 uid=1234 gid=2345 size=1 nlink=2\n"
    "truncate.dir EISDIR\n"
    "setxattr ok\n"
    "getxattr v1\n"
    "setxattr.create.exists EEXIST\n"
    "removexattr ok\n"
    "removexattr.missing ENODATA\n"
    "mknod.fifo ok\n"
    "mknod.fifo.stat mode=0644 uid=0 gid=0 size=0 nlink=1\n"
    "bind.unix ok\n"
    "listen ok\n"
    "getsockname sock\n"
    "connect ok\n"
    "accept ok\n"
    "unix.echo z\n"
    "bind.stat mode=0755 uid=0 gid=0 size=0 nlink=1\n"
    "bind.again EADDRINUSE\n"
    "cleanup ok\n";

class BrokeredFsTest : public IntegrationTest {
 protected:
  // A bundle whose root has Docker's default capabilities (runc spec's three cannot chown).
  BundleBuilder DockerBundle() {
    BundleBuilder bundle = NewBundle();
    bundle.Capabilities({"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_MKNOD", "CAP_SETFCAP",
                         "CAP_SETUID", "CAP_SETGID", "CAP_KILL", "CAP_AUDIT_WRITE", "CAP_NET_BIND_SERVICE"});
    return bundle;
  }

  // A host directory (mode 0777) for bind mounts.
  std::string HostDir(const std::string& name) {
    std::string dir = tmp() + "/" + name;
    fs::create_directories(dir);
    chmod(dir.c_str(), 0777);
    return dir;
  }

  // Runs `bundle` with `global_flags` (runsc's) before `run`.
  RunResult RunWithFlags(const std::vector<std::string>& global_flags, BundleBuilder& bundle) {
    EXPECT_TRUE(bundle.Write().ok());
    std::vector<std::string> args = global_flags;
    for (const char* arg : {"run", "--bundle"}) args.push_back(arg);
    args.push_back(bundle.dir());
    args.push_back(NewId());
    return rt().Run(args, std::chrono::seconds(60));
  }

  // The host pid of `key` ("gofer_pid", "sentry_pid") from <root>/<id>/state.json; 0 if absent.
  int StatePid(const std::string& id, const std::string& key) {
    auto state = nlohmann::json::parse(ReadFile(fmt::format("{}/{}/state.json", rt().root(), id)), nullptr, false);
    if (state.is_discarded() || !state.contains(key)) return 0;
    return state[key].get<int>();
  }
};
RUNSC_INSTANTIATE_FOR_RUNTIMES(BrokeredFsTest);

TEST_P(BrokeredFsTest, EveryBrokeredCallBehavesAsLinuxOnTheRootfs) {
  BundleBuilder bundle = DockerBundle();
  fs::create_directories(bundle.rootfs() + "/work");
  bundle.ReadonlyRoot(false).Args({"/bin/payload", "fsops", "/work"});
  RunResult result = RunInBundle(bundle);
  EXPECT_EQ(result.exit_code, 0) << result;
  EXPECT_EQ(result.out, kFsOpsAsRoot) << result;
  EXPECT_TRUE(fs::is_empty(bundle.rootfs() + "/work"));
}

TEST_P(BrokeredFsTest, EveryBrokeredCallBehavesAsLinuxOnABindMount) {
  std::string host = HostDir("data");
  BundleBuilder bundle = DockerBundle();
  bundle.AddMount("/data", "bind", host, {"rbind", "rw"}).Args({"/bin/payload", "fsops", "/data"});
  RunResult result = RunInBundle(bundle);
  EXPECT_EQ(result.exit_code, 0) << result;
  EXPECT_EQ(result.out, kFsOpsAsRoot) << result;
}

TEST_P(BrokeredFsTest, WritesReachTheHostDirectory) {
  std::string host = HostDir("data");
  BundleBuilder bundle = DockerBundle();
  bundle.AddMount("/data", "bind", host, {"rbind", "rw"})
      .Args({"sh", "-c", "echo written > /data/new && mkdir /data/dir && ln -s new /data/link && chown 1000:1001 /data/new"});
  RunResult result = RunInBundle(bundle);
  ASSERT_EQ(result.exit_code, 0) << result;
  EXPECT_EQ(ReadFile(host + "/new"), "written\n");
  EXPECT_TRUE(fs::is_directory(host + "/dir"));
  EXPECT_EQ(fs::read_symlink(host + "/link"), "new");
  struct stat st;
  ASSERT_EQ(stat((host + "/new").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 1000u);
  EXPECT_EQ(st.st_gid, 1001u);
}

// mknod of a device follows the container's device rules, as under runc (issue 20, item 6: it
// was EPERM for every device not listed in linux.devices): runc's defaults allow making any node
// ("c *:* m", "b *:* m") and using only the few it lists, so /dev/null's twin works and a block
// device is made but cannot be opened (issue 15: the gofer never opens it either).
TEST_P(BrokeredFsTest, MknodOfDevicesFollowsTheDeviceRules) {
  std::string host = HostDir("data");
  BundleBuilder bundle = DockerBundle();
  bundle.AddMount("/data", "bind", host, {"rbind", "rw"})
      .Args({"sh", "-c",
             "mknod /data/null c 1 3 && echo hi > /data/null && cat /data/null && echo null ok; "
             "mknod /data/loop b 7 0 && echo loop made; cat /data/loop || echo loop refused"});
  RunResult result = RunInBundle(bundle);
  EXPECT_EQ(result.exit_code, 0) << result;
  EXPECT_EQ(result.out, "null ok\nloop made\nloop refused\n") << result;
  EXPECT_THAT(result.err, HasSubstr("Operation not permitted")) << result;
  struct stat st = {};
  ASSERT_EQ(stat((host + "/null").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
}

TEST_P(BrokeredFsTest, PermissionsAreTheCallersForANonRootUser) {
  std::string host = HostDir("data");
  fs::create_directories(host + "/rootdir");
  chmod((host + "/rootdir").c_str(), 0755);
  std::ofstream(host + "/rootfile") << "root's";
  chmod((host + "/rootfile").c_str(), 0644);
  BundleBuilder bundle = NewBundle();
  bundle.AddMount("/data", "bind", host, {"rbind", "rw"}).User(1000, 1000).Args({"/bin/payload", "fsperm", "/data"});
  RunResult result = RunInBundle(bundle);
  EXPECT_EQ(result.exit_code, 0) << result;
  EXPECT_EQ(result.out,
            "uid 1000\n"
            "perm.create.rootdir EACCES\n"
            "perm.mkdir.rootdir EACCES\n"
            "perm.chmod.rootfile EPERM\n"
            "perm.chown.rootfile EPERM\n"
            "perm.write.rootfile EACCES\n"
            "perm.unlink.rootfile ok\n"  // the directory is 0777: unlinking needs only its write permission
            "perm.create.own ok\n"
            "perm.create.own.stat mode=0600 uid=1000 gid=1000 size=0 nlink=1\n"
            "perm.chmod.own ok\n"
            "perm.unlink.own ok\n")
      << result;
}

TEST_P(BrokeredFsTest, AbsoluteSymlinkResolvesInsideTheContainer) {
  // A host file the container names by its absolute host path, through a symlink it owns.
  std::string marker = tmp() + "/host-marker";
  std::ofstream(marker) << "host";
  BundleBuilder bundle = NewBundle();
  fs::create_directories(bundle.rootfs() + "/work");
  fs::create_symlink(marker, bundle.rootfs() + "/work/evil");
  bundle.ReadonlyRoot(false).Args({"sh", "-c", "echo pwned > /work/evil; echo rc=$?"});
  RunResult result = RunInBundle(bundle);
  EXPECT_EQ(ReadFile(marker), "host") << result;
  // The symlink resolved inside the rootfs: there is no such directory there.
  EXPECT_THAT(result.out, HasSubstr("rc=1")) << result;
}

TEST_P(BrokeredFsTest, DotDotChainsNeverLeaveTheRoot) {
  std::string escape_dir = HostDir("escape");
  std::string relative = "../../../../../../../../../.." + escape_dir + "/escaped";
  BundleBuilder bundle = NewBundle();
  fs::create_directories(bundle.rootfs() + "/work/a/b");
  fs::create_directories(bundle.rootfs() + escape_dir);  // the same path inside the rootfs
  bundle.ReadonlyRoot(false).Cwd("/work/a/b").Args({"/bin/payload", "write", relative});
  RunResult result = RunInBundle(bundle);
  EXPECT_EQ(result.exit_code, 0) << result;
  EXPECT_FALSE(fs::exists(escape_dir + "/escaped"));
  EXPECT_TRUE(fs::exists(bundle.rootfs() + escape_dir + "/escaped"));
}

TEST_P(BrokeredFsTest, FlippingThePathNeverCreatesInAReadOnlyMount) {
  // One thread flips the path between a writable tmpfs file and a file in a read-only bind mount
  // while another creates in a loop: the kernel's read-only mount and the gofer's single read of
  // the path must both hold (a path rewritten after the sentry's look only reaches the read-only view).
  std::string ro = HostDir("ro");
  BundleBuilder bundle = NewBundle();
  const char* secs = getenv("RUNSC_RACE_SECONDS");
  bundle.AddMount("/ro", "bind", ro, {"rbind", "ro"})
      .AddMount("/scratch", "tmpfs", "tmpfs", {"size=1m"})
      .Args({"/bin/payload", "fsrace", secs ? secs : "30", "/scratch/good-file", "/ro/evil-file"});
  RunResult result = RunWithFlags({}, bundle);
  EXPECT_EQ(result.exit_code, 0) << result;
  EXPECT_THAT(result.out, HasSubstr("evil absent")) << result;
  EXPECT_TRUE(fs::is_empty(ro)) << result;
  RecordProperty("race", result.out);
}

// The audit log's lines (--audit-log, JSON lines) for `syscalls`, in order.
std::vector<nlohmann::json> AuditLines(const std::string& path, const std::set<std::string>& syscalls) {
  std::vector<nlohmann::json> out;
  for (const std::string& line : Lines(ReadFile(path))) {
    auto json = nlohmann::json::parse(line, nullptr, false);
    if (!json.is_discarded() && syscalls.count(json.value("syscall", ""))) out.push_back(json);
  }
  return out;
}

const std::set<std::string> kCreateCalls = {"open", "openat", "openat2", "creat", "mkdir", "mkdirat"};

// Issue 17, item 3: a write to a mount that is not host storage (a tmpfs, /dev/shm) runs in the kernel
// as under runc (the sentry CONTINUEs it); the same write on host storage still goes to the gofer.
TEST_P(BrokeredFsTest, WritesOffHostStorageRunInTheKernel) {
  if (!IsRunsc()) GTEST_SKIP() << "the audit log is runsc's";
  std::string host = HostDir("data");
  std::string audit = tmp() + "/audit.log";
  BundleBuilder bundle = NewBundle();
  bundle.AddMount("/data", "bind", host, {"rbind", "rw"}).AddMount("/scratch", "tmpfs", "tmpfs", {"size=1m"});
  bundle.Args({"sh", "-c",
               "cd /scratch && : > a && mkdir d && mv a d/b && ln -s d/b l && rm l d/b && rmdir d && "
               ": > /dev/shm/s && rm /dev/shm/s && : > /scratch/z && mkdir /data/h && echo done"});
  RunResult result = RunWithFlags({"--audit-log", audit}, bundle);
  ASSERT_EQ(result.exit_code, 0) << result;
  EXPECT_THAT(result.out, HasSubstr("done")) << result;
  EXPECT_TRUE(fs::is_directory(host + "/h")) << result;
  std::vector<nlohmann::json> brokered;
  for (const nlohmann::json& line : AuditLines(audit, {"open", "openat", "mkdir", "mkdirat", "rename", "renameat",
                                                        "renameat2", "unlink", "unlinkat", "rmdir", "symlink",
                                                        "symlinkat"})) {
    if (line.value("disposition", "") == "broker") brokered.push_back(line);
  }
  ASSERT_GE(brokered.size(), 9u) << ReadFile(audit);
  for (size_t i = 0; i + 1 < brokered.size(); ++i) {
    EXPECT_EQ(brokered[i].value("result", ""), "continue") << "call " << i << ": " << brokered[i].dump();
  }
  EXPECT_EQ(brokered.back().value("syscall", ""), "mkdir") << brokered.back().dump();
  EXPECT_EQ(brokered.back().value("result", ""), "value 0") << "the host storage write is the gofer's: "
                                                            << brokered.back().dump();
}

// The race on that check: a symlink on a tmpfs swapped between a tmpfs directory and a directory of
// host storage while another thread creates files and directories through it. Every create succeeds
// or meets the read-only view (EROFS); everything that landed in host storage was made by the gofer
// (under runsc, each is a brokered create the audit log shows answered by the gofer, not continued).
// The functional part (every create lands somewhere, nothing else fails) passes under runc.
TEST_P(BrokeredFsTest, SwappingALinkToHostStorageNeverWritesItInTheKernel) {
  std::string host = HostDir("swaphost");
  std::string audit = tmp() + "/audit.log";
  const char* secs = getenv("RUNSC_RACE_SECONDS");
  BundleBuilder bundle = NewBundle();
  bundle.AddMount("/host", "bind", host, {"rbind", "rw"})
      .AddMount("/scratch", "tmpfs", "tmpfs", {"size=8m"})
      .Args({"sh", "-c", fmt::format("mkdir /scratch/t && /bin/payload fsswap {} /scratch/link /scratch/t /host",
                                     secs ? secs : "5")});
  std::vector<std::string> flags;
  if (IsRunsc()) flags = {"--audit-log", audit};
  RunResult result = RunWithFlags(flags, bundle);
  ASSERT_EQ(result.exit_code, 0) << result;
  long calls = -1, ok = -1, erofs = -1, other = -1, in_tmp = -1;
  char first[32] = "";
  ASSERT_EQ(sscanf(result.out.c_str(), "swap calls %ld ok %ld erofs %ld other %ld first %31s\nswap.tmpdir %ld",
                   &calls, &ok, &erofs, &other, first, &in_tmp),
            6)
      << result;
  const long in_host = std::distance(fs::directory_iterator(host), fs::directory_iterator());
  EXPECT_EQ(other, 0) << "first: " << first << "\n" << result;
  EXPECT_EQ(in_host + in_tmp, ok) << "host " << in_host << " tmp " << in_tmp << "\n" << result;
  RecordProperty("swap", result.out);
  if (!IsRunsc()) {
    EXPECT_EQ(erofs, 0) << result;
    return;
  }
  long by_gofer = 0;
  for (const nlohmann::json& line : AuditLines(audit, kCreateCalls)) {
    const std::string answer = line.value("result", "");
    if (line.value("disposition", "") == "broker" && answer != "continue" && !answer.empty()) ++by_gofer;
  }
  EXPECT_LE(in_host, by_gofer) << "files in host storage the gofer did not make\n" << result;
}

TEST_P(BrokeredFsTest, WorkloadViewOfHostStorageIsReadOnly) {
  if (!IsRunsc()) GTEST_SKIP() << "runc gives the workload a writable view";
  std::string host = HostDir("data");
  BundleBuilder bundle = NewBundle();
  bundle.ReadonlyRoot(false).AddMount("/data", "bind", host, {"rbind", "rw"})
      .Args({"sh", "-c", "/bin/payload mountopts /; /bin/payload mountopts /data; /bin/payload mountopts /tmp"});
  bundle.AddMount("/tmp", "tmpfs", "tmpfs", {});
  RunResult result = RunInBundle(bundle);
  std::vector<std::string> lines = Lines(result.out);
  ASSERT_EQ(lines.size(), 3u) << result;
  EXPECT_THAT(lines[0], ::testing::StartsWith("ro,nosuid")) << result;
  EXPECT_THAT(lines[1], ::testing::StartsWith("ro,nosuid")) << result;
  EXPECT_THAT(lines[2], ::testing::StartsWith("rw")) << result;
}

TEST_P(BrokeredFsTest, KillingTheGoferStopsTheContainer) {
  if (!IsRunsc()) GTEST_SKIP() << "runc has no gofer";
  std::string id = NewId();
  StartSleeper(id);
  int gofer = StatePid(id, "gofer_pid");
  ASSERT_GT(gofer, 0);
  ASSERT_EQ(kill(gofer, SIGKILL), 0);
  EXPECT_TRUE(WaitForStatus(id, "stopped"));
  RunResult deleted = rt().Run({"delete", id});
  EXPECT_EQ(deleted.exit_code, 0) << deleted;
}

TEST_P(BrokeredFsTest, MemoryOverlayLeavesTheHostRootfsUnchanged) {
  if (!IsRunsc()) GTEST_SKIP() << "--overlay is a runsc flag";
  BundleBuilder bundle = NewBundle();
  bundle.ReadonlyRoot(false).Args({"sh", "-c",
      "echo x > /new && rm /bin/cat && mkdir /d && chmod 700 /etc && echo y >> /etc/passwd && cat /etc/passwd | tail -1"});
  ASSERT_TRUE(bundle.Write().ok());
  auto snapshot = [&] {
    std::string all;
    for (const auto& entry : fs::recursive_directory_iterator(bundle.rootfs())) {
      struct stat st;
      lstat(entry.path().c_str(), &st);
      all += fmt::format("{} {:o} {}\n", entry.path().string(), st.st_mode, st.st_size);
      if (entry.is_regular_file() && !entry.is_symlink()) all += ReadFile(entry.path());
    }
    return all;
  };
  std::string before = snapshot();
  RunResult result = rt().Run({"--overlay=memory", "run", "--bundle", bundle.dir(), NewId()});
  EXPECT_EQ(result.exit_code, 0) << result;
  EXPECT_EQ(result.out, "y\n") << result;
  EXPECT_EQ(snapshot(), before);
}

}  // namespace
}  // namespace runsc::testing
