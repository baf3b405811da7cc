// The read-only view is invisible (DESIGN.md, "What happens to each system call"): host storage the
// container may write is mounted read-only in the workload's view, and no call may tell. Each
// expectation is Linux's on a writable mount, so the same tests pass under runc
// (RUNSC_TEST_RUNTIME=/usr/sbin/runc). Also here: the small Linux behaviours of issue 16 (the init
// is its session leader, seccomp's unknown flags, the virtual /proc files' seq-file answers).
#include <sys/stat.h>
#include <sys/syscall.h>

#include <filesystem>
#include <string>

#include "fmt/format.h"
#include "tests/integration_test_base.h"
#include "tests/leftovers.h"

namespace runsc::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

constexpr char kAllOk[] = "access=ok faccessat=ok faccessat2=ok eaccess=ok\n";
constexpr char kAllEacces[] = "access=EACCES faccessat=EACCES faccessat2=EACCES eaccess=EACCES\n";
constexpr char kAllErofs[] = "access=EROFS faccessat=EROFS faccessat2=EROFS eaccess=EROFS\n";
constexpr char kWritable[] = "statfs.rdonly=0 fstatfs.rdonly=0 statvfs.rdonly=0\n";
constexpr char kReadOnly[] = "statfs.rdonly=1 fstatfs.rdonly=1 statvfs.rdonly=1\n";

class ReadonlyViewTest : public IntegrationTest {
 protected:
  // A bundle whose root has Docker's default capabilities (CAP_DAC_OVERRIDE, CAP_SETUID...).
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

  // Runs a bundle made by `make` (a bundle is written once) with `args`; its stdout, EXPECTing exit 0.
  template <typename Make>
  std::string Output(Make make, std::vector<std::string> args) {
    BundleBuilder bundle = make();
    bundle.Args(std::move(args));
    RunResult result = RunInBundle(bundle);
    EXPECT_EQ(result.exit_code, 0) << result;
    return result.out;
  }
};
RUNSC_INSTANTIATE_FOR_RUNTIMES(ReadonlyViewTest);

// ---- access, faccessat, faccessat2 with W_OK (issue 16, item 1) ----

TEST_P(ReadonlyViewTest, WriteAccessAsRootOnTheRootfsAndABindIsGranted) {
  std::string host = HostDir("data", 0755);
  auto make = [&] {
    BundleBuilder bundle = DockerBundle();
    fs::create_directories(bundle.rootfs() + "/work");
    chmod((bundle.rootfs() + "/work").c_str(), 0755);
    bundle.ReadonlyRoot(false).AddMount("/data", "bind", host, {"rbind", "rw"});
    return bundle;
  };
  EXPECT_EQ(Output(make, {"/bin/payload", "access", "/work", "2"}), kAllOk);
  EXPECT_EQ(Output(make, {"/bin/payload", "access", "/data", "2"}), kAllOk);
  EXPECT_EQ(Output(make, {"/bin/payload", "access", "/bin/payload", "6"}), kAllOk);  // R_OK|W_OK
  // busybox's test(1): what shell scripts and dpkg's maintainer scripts ask.
  EXPECT_EQ(Output(make, {"sh", "-c", "[ -w / ] && [ -w /tmp ] && [ -w /data ] && echo writable"}), "writable\n");
}

TEST_P(ReadonlyViewTest, WriteAccessIsTheCallersForANonRootUser) {
  std::string host = HostDir("data", 0777);
  HostDir("data/rootdir", 0755);
  HostDir("data/open", 0777);
  auto make = [&] {
    BundleBuilder bundle = NewBundle();
    bundle.AddMount("/data", "bind", host, {"rbind", "rw"}).User(1000, 1000);
    return bundle;
  };
  EXPECT_EQ(Output(make, {"/bin/payload", "access", "/data/rootdir", "2"}), kAllEacces);
  EXPECT_EQ(Output(make, {"/bin/payload", "access", "/data/open", "2"}), kAllOk);
  EXPECT_EQ(Output(make, {"/bin/payload", "access", "/data/missing", "2"}),
            "access=ENOENT faccessat=ENOENT faccessat2=ENOENT eaccess=ENOENT\n");
}

TEST_P(ReadonlyViewTest, WriteAccessChecksTheRealIdsUnlessAtEaccess) {
  // Real uid 1000, effective 0: access(2) asks as uid 1000 without capabilities; AT_EACCESS as root.
  std::string host = HostDir("data", 0777);
  HostDir("data/rootdir", 0755);
  auto make = [&] {
    BundleBuilder bundle = DockerBundle();
    bundle.AddMount("/data", "bind", host, {"rbind", "rw"});
    return bundle;
  };
  EXPECT_EQ(Output(make, {"/bin/payload", "access", "/data/rootdir", "2", "1000"}),
            "access=EACCES faccessat=EACCES faccessat2=EACCES eaccess=ok\n");
}

TEST_P(ReadonlyViewTest, WriteAccessOnReadOnlyMountsIsStillRefused) {
  std::string host = HostDir("data", 0777);
  auto make = [&] {
    BundleBuilder bundle = DockerBundle();
    bundle.ReadonlyRoot(true).AddMount("/data", "bind", host, {"rbind", "ro"});
    return bundle;
  };
  EXPECT_EQ(Output(make, {"/bin/payload", "access", "/bin", "2"}), kAllErofs);
  EXPECT_EQ(Output(make, {"/bin/payload", "access", "/data", "2"}), kAllErofs);
  EXPECT_EQ(Output(make, {"/bin/payload", "access", "/data", "4"}), kAllOk);  // R_OK: native
}

TEST_P(ReadonlyViewTest, WriteAccessOnVirtualFilesystemsIsTheKernels) {
  auto make = [&] { return DockerBundle(); };
  EXPECT_EQ(Output(make, {"/bin/payload", "access", "/dev/null", "2"}), kAllOk);
  EXPECT_EQ(Output(make, {"/bin/payload", "access", "/proc/self/comm", "2"}), kAllOk);
}

// ---- statfs, fstatfs (item 2) ----

TEST_P(ReadonlyViewTest, StatfsReportsWritableHostStorageAsWritable) {
  std::string host = HostDir("data", 0777);
  auto make = [&] {
    BundleBuilder bundle = DockerBundle();
    bundle.ReadonlyRoot(false).AddMount("/data", "bind", host, {"rbind", "rw"});
    fs::create_directories(bundle.rootfs());
    std::error_code exists;  // the rootfs is shared by the runs of one test
    fs::create_directory_symlink("/data", bundle.rootfs() + "/to-data", exists);
    return bundle;
  };
  EXPECT_EQ(Output(make, {"/bin/payload", "statfs", "/"}), kWritable);
  EXPECT_EQ(Output(make, {"/bin/payload", "statfs", "/bin"}), kWritable);
  EXPECT_EQ(Output(make, {"/bin/payload", "statfs", "/data"}), kWritable);
  // A relative path, from a cwd on the bind; a symlink into it.
  EXPECT_EQ(Output(make, {"sh", "-c", "cd /data && /bin/payload statfs ."}), kWritable);
  EXPECT_EQ(Output(make, {"/bin/payload", "statfs", "/to-data"}), kWritable);
}

// Attack on the sentry's resolution (emulation_statfs.cc): symlinks to a directory that exists on the
// host but not in the container, absolute and climbing out with "..", resolve inside the container.
TEST_P(ReadonlyViewTest, StatfsFollowsSymlinksOnlyInsideTheContainer) {
  std::string host_only = HostDir("host-only", 0777);
  BundleBuilder bundle = DockerBundle();
  fs::create_directories(bundle.rootfs());
  fs::create_directory_symlink(host_only, bundle.rootfs() + "/absolute");
  fs::create_directory_symlink("../../../../../../.." + host_only, bundle.rootfs() + "/climbing");
  bundle.Args({"sh", "-c", "/bin/payload statfs /absolute; /bin/payload statfs /climbing; cd /tmp && /bin/payload statfs ../climbing"});
  RunResult result = RunInBundle(bundle);
  EXPECT_EQ(result.out, "ENOENT\nENOENT\nENOENT\n") << result;
}

TEST_P(ReadonlyViewTest, StatfsKeepsAReadOnlyBindInsideAWritableOneReadOnly) {
  std::string host = HostDir("data", 0777);
  std::string inner = HostDir("inner", 0777);
  auto make = [&] {
    BundleBuilder bundle = DockerBundle();
    bundle.AddMount("/data", "bind", host, {"rbind", "rw"})
        .AddMount("/data/inner", "bind", inner, {"rbind", "ro"});
    return bundle;
  };
  EXPECT_EQ(Output(make, {"/bin/payload", "statfs", "/data"}), kWritable);
  EXPECT_EQ(Output(make, {"/bin/payload", "statfs", "/data/inner"}), kReadOnly);
}

TEST_P(ReadonlyViewTest, StatfsReportsReadOnlyMountsAsReadOnly) {
  std::string host = HostDir("data", 0777);
  auto make = [&] {
    BundleBuilder bundle = DockerBundle();
    bundle.ReadonlyRoot(true).AddMount("/data", "bind", host, {"rbind", "ro"});
    return bundle;
  };
  EXPECT_EQ(Output(make, {"/bin/payload", "statfs", "/"}), kReadOnly);
  EXPECT_EQ(Output(make, {"/bin/payload", "statfs", "/data"}), kReadOnly);
  EXPECT_EQ(Output(make, {"/bin/payload", "statfs", "/dev"}), kWritable);  // a tmpfs of its own
}

// ---- the init is its session and process-group leader (item 3) ----

TEST_P(ReadonlyViewTest, TheInitLeadsItsSessionAndProcessGroup) {
  EXPECT_EQ(Output([&] { return NewBundle(); }, {"/bin/payload", "session"}), "pid=1 pgrp=1 sid=1\n");
}

TEST_P(ReadonlyViewTest, AnExecdProcessLeadsItsSessionAndProcessGroup) {
  const std::string id = NewId();
  StartSleeper(id);
  RunResult exec = rt().Run({"exec", id, "/bin/payload", "session"});
  ASSERT_EQ(exec.exit_code, 0) << exec;
  std::map<std::string, long long> ids = KeyValues(Lines(exec.out).at(0));
  EXPECT_GT(ids["pid"], 1) << exec;
  EXPECT_EQ(ids["pgrp"], ids["pid"]) << exec;
  EXPECT_EQ(ids["sid"], ids["pid"]) << exec;
}

// ---- seccomp: unknown filter flags (item 4) ----

TEST_P(ReadonlyViewTest, SeccompRefusesUnknownFilterFlagsWithEinval) {
  const std::string nr = std::to_string(SYS_seccomp);
  // 0xffffffff and 0x80000008 hold the listener's bit: Linux checks the flags before anything else.
  // 0x9 is TSYNC with NEW_LISTENER without TSYNC_ESRCH, which the kernel refuses the same way.
  for (const char* flags : {"0xffffffff", "0x80000008", "0x80000000", "0x9"}) {
    BundleBuilder bundle = NewBundle();
    bundle.Args({"/bin/payload", "syscall", nr, "1", flags, "0"});
    RunResult result = RunInBundle(bundle);
    EXPECT_EQ(result.out, "EINVAL\n") << "flags " << flags << ": " << result;
  }
}

// ---- the virtual /proc files are seq files (item 5) ----

TEST_P(ReadonlyViewTest, SeekingToTheEndOfProcFilesIsEinval) {
  for (const char* file : {"/proc/meminfo", "/proc/stat"}) {
    BundleBuilder bundle = NewBundle();
    bundle.Args({"/bin/payload", "seekend", file});
    RunResult result = RunInBundle(bundle);
    EXPECT_EQ(result.out, "EINVAL\n") << file << ": " << result;
  }
}

TEST_P(ReadonlyViewTest, ProcStatCountsTheReaderAsRunning) {
  std::string stat = Output([&] { return NewBundle(); }, {"/bin/payload", "cat", "/proc/stat"});
  size_t at = stat.find("procs_running ");
  ASSERT_NE(at, std::string::npos) << stat;
  EXPECT_GE(std::stol(stat.substr(at + 14)), 1) << stat;
}

// ---- what a workload learns about the host (issue 21, item 4; docs/syscalls.md) ----

// runc shows the host's /proc/cmdline and boot_id on purpose (it has no virtual /proc): the leak is
// closed under runsc only, so this runs under runsc.
TEST_P(ReadonlyViewTest, CmdlineAndBootIdAreTheContainersOwn) {
  if (!IsRunsc()) GTEST_SKIP() << "runc shows the host's /proc/cmdline and boot_id by design";
  const std::string host_boot_id = ReadFile("/proc/sys/kernel/random/boot_id");
  std::vector<std::string> lines = Lines(Output([&] { return NewBundle(); },
                                                {"sh", "-c",
                                                 "cat /proc/cmdline /proc/sys/kernel/random/boot_id && "
                                                 "cat /proc/sys/kernel/random/boot_id"}));
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], "BOOT_IMAGE=/vmlinuz quiet");
  EXPECT_THAT(lines[1], ::testing::MatchesRegex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"));
  EXPECT_EQ(lines[1], lines[2]);  // stable for the container
  EXPECT_NE(lines[1] + "\n", host_boot_id);
}

}  // namespace
}  // namespace runsc::testing
