// Integration tests of the virtual /proc and /sys (issue: the container's own view of the
// machine): with cgroup limits the container's free, nproc, top, uptime, glibc's get_nprocs,
// Python's os.cpu_count/sched_getaffinity and sysinfo(2) show the limits; without limits, or with
// --virtual-proc=false or the dev.runsc.virtual-proc=false annotation, they show the host.
//
// Tests whose expectation also holds under runc (the host's view) run on every runtime; the
// others skip on runc, which shows the host's files.
#include <sys/sysinfo.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "fmt/format.h"
#include "tests/integration_test_base.h"

namespace runsc::testing {
namespace {

using ::testing::HasSubstr;

constexpr char kHostView[] = "runc shows the host's /proc files";
constexpr long long kLimit = 256LL << 20;

std::string HostFile(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// The number after `key` in /proc/meminfo-like text ("MemTotal:  262144 kB" -> 262144).
long long Field(const std::string& text, const std::string& key) {
  size_t at = text.find(key + ":");
  if (at == std::string::npos) return -1;
  return std::stoll(text.substr(at + key.size() + 1));
}

class VirtualProcTest : public IntegrationTest {
 protected:
  BundleBuilder Bundle(std::vector<std::string> args) {
    BundleBuilder bundle = NewBundle();
    bundle.Args(std::move(args));
    return bundle;
  }
  static void LimitMemory(BundleBuilder& bundle) {
    bundle.MergePatch({{"linux", {{"resources", {{"memory", {{"limit", kLimit}}}}}}}});
  }
  // Half a CPU: the container sees one CPU (this machine has two).
  static void LimitCpu(BundleBuilder& bundle) {
    bundle.MergePatch({{"linux", {{"resources", {{"cpu", {{"quota", 50000}, {"period", 100000}}}}}}}});
  }
  RunResult RunWithFlags(const std::vector<std::string>& flags, BundleBuilder& bundle) {
    EXPECT_TRUE(bundle.Write().ok());
    std::vector<std::string> args = flags;
    for (const char* arg : {"run", "--bundle"}) args.push_back(arg);
    args.push_back(bundle.dir());
    args.push_back(NewId());
    return rt().Run(args);
  }
};

TEST_P(VirtualProcTest, MemoryLimitShowsInFreeMeminfoAndSysinfo) {
  if (!IsRunsc()) GTEST_SKIP() << kHostView;
  BundleBuilder bundle = Bundle({"sh", "-c", "free -m | grep Mem:; cat /proc/meminfo; /bin/payload sysinfo"});
  LimitMemory(bundle);
  RunResult result = RunInBundle(bundle);
  ASSERT_EQ(result.exit_code, 0) << result;
  std::vector<std::string> lines = Lines(result.out);
  ASSERT_GE(lines.size(), 3u) << result;
  std::istringstream free_line(lines[0]);
  std::string label;
  long long total_mib = 0;
  free_line >> label >> total_mib;
  EXPECT_EQ(total_mib, 256) << result;
  EXPECT_EQ(Field(result.out, "MemTotal"), kLimit / 1024) << result;
  EXPECT_LE(Field(result.out, "MemFree"), kLimit / 1024) << result;
  EXPECT_LE(Field(result.out, "MemAvailable"), kLimit / 1024) << result;
  // sysinfo(2), emulated by the sentry, agrees with the file.
  std::map<std::string, long long> info = KeyValues(lines.back());
  EXPECT_EQ(info["totalram"], Field(result.out, "MemTotal") * 1024) << result;
}

TEST_P(VirtualProcTest, CpuQuotaShowsInNprocCpuinfoAndGlibc) {
  if (!IsRunsc()) GTEST_SKIP() << kHostView;
  if (sysconf(_SC_NPROCESSORS_ONLN) < 2) GTEST_SKIP() << "needs a host with 2 CPUs or more";
  BundleBuilder bundle = Bundle({"sh", "-c",
                                 "nproc; cat /sys/devices/system/cpu/online; grep -c ^processor /proc/cpuinfo; "
                                 "grep -c '^cpu[0-9]' /proc/stat; /bin/payload cpus"});
  LimitCpu(bundle);
  RunResult result = RunInBundle(bundle);
  ASSERT_EQ(result.exit_code, 0) << result;
  EXPECT_EQ(result.out, "1\n0\n1\n1\nnprocs=1 online=1 affinity=1\n") << result;
}

TEST_P(VirtualProcTest, CpusetShowsItsSize) {
  if (!IsRunsc()) GTEST_SKIP() << kHostView;
  if (sysconf(_SC_NPROCESSORS_ONLN) < 2) GTEST_SKIP() << "needs a host with 2 CPUs or more";
  BundleBuilder bundle = Bundle({"sh", "-c", "nproc; grep -c ^processor /proc/cpuinfo; /bin/payload cpus"});
  bundle.MergePatch({{"linux", {{"resources", {{"cpu", {{"cpus", "1"}}}}}}}});
  RunResult result = RunInBundle(bundle);
  ASSERT_EQ(result.exit_code, 0) << result;
  EXPECT_EQ(result.out, "1\n1\nnprocs=1 online=1 affinity=1\n") << result;
}

// The host's Python (bound read-only): os.cpu_count (glibc's get_nprocs) and
// os.sched_getaffinity (the emulated call) agree.
TEST_P(VirtualProcTest, PythonSeesTheVisibleCpus) {
  if (!IsRunsc()) GTEST_SKIP() << kHostView;
  if (access("/usr/bin/python3", X_OK) != 0) GTEST_SKIP() << "no python3 on this host";
  if (sysconf(_SC_NPROCESSORS_ONLN) < 2) GTEST_SKIP() << "needs a host with 2 CPUs or more";
  BundleBuilder bundle = Bundle(
      {"/usr/bin/python3", "-c", "import os; print(os.cpu_count(), len(os.sched_getaffinity(0)))"});
  // The host's python, its libraries and its loader, bound read-only into the test rootfs.
  for (auto [destination, source] : {std::pair<const char*, const char*>{"/usr", "/usr"},
                                     {"/lib", "/usr/lib"}, {"/lib64", "/usr/lib64"}}) {
    bundle.AddMount(destination, "bind", source, {"rbind", "ro"});
  }
  LimitCpu(bundle);
  RunResult result = RunInBundle(bundle);
  ASSERT_EQ(result.exit_code, 0) << result;
  EXPECT_EQ(result.out, "1 1\n") << result;
}

TEST_P(VirtualProcTest, UptimeStartsNearZeroAndTopWorks) {
  if (!IsRunsc()) GTEST_SKIP() << kHostView;
  struct sysinfo host = {};
  ASSERT_EQ(sysinfo(&host), 0);
  if (host.uptime < 120) GTEST_SKIP() << "the host booted less than 2 minutes ago";
  BundleBuilder bundle = Bundle({"sh", "-c", "cat /proc/uptime; top -bn1; cat /proc/loadavg"});
  LimitMemory(bundle);
  RunResult result = RunInBundle(bundle);
  ASSERT_EQ(result.exit_code, 0) << result;
  EXPECT_LT(std::stod(result.out), 60.0) << result;
  // busybox top: "Mem: <used>K used, <free>K free, ..." from /proc/meminfo.
  size_t mem = result.out.find("Mem: ");
  ASSERT_NE(mem, std::string::npos) << result;
  long long used = std::stoll(result.out.substr(mem + 5));
  long long free_kb = std::stoll(result.out.substr(result.out.find("used, ", mem) + 6));
  EXPECT_EQ(used + free_kb, kLimit / 1024) << result;
  EXPECT_THAT(result.out, HasSubstr("PID")) << result;
  // loadavg's last field (the last pid) does not leak the host's.
  EXPECT_EQ(Lines(result.out).back().substr(Lines(result.out).back().rfind(' ')), " 0") << result;
}

TEST_P(VirtualProcTest, WithoutLimitsTheFilesShowTheHost) {
  BundleBuilder bundle = Bundle({"sh", "-c", "grep MemTotal /proc/meminfo; cat /sys/devices/system/cpu/online; "
                                             "grep -c ^processor /proc/cpuinfo; /bin/payload cpus"});
  RunResult result = RunInBundle(bundle);
  ASSERT_EQ(result.exit_code, 0) << result;
  const long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  EXPECT_EQ(Field(result.out, "MemTotal"), Field(HostFile("/proc/meminfo"), "MemTotal")) << result;
  EXPECT_EQ(Lines(result.out)[1], HostFile("/sys/devices/system/cpu/online").substr(0, Lines(result.out)[1].size()))
      << result;
  EXPECT_EQ(Lines(result.out)[2], std::to_string(cpus)) << result;
  EXPECT_EQ(Lines(result.out)[3], fmt::format("nprocs={} online={} affinity={}", cpus, cpus, cpus)) << result;
}

// busybox cat (sendfile), dd with odd block sizes (short reads), and head agree.
TEST_P(VirtualProcTest, SendfileShortReadsAndSeeksReadTheSameText) {
  BundleBuilder bundle = Bundle(
      {"sh", "-c",
       "for f in /proc/swaps /sys/devices/system/cpu/online /proc/cpuinfo; do "
       "  a=$(cat $f | md5sum); b=$(dd if=$f bs=7 2>/dev/null | md5sum); c=$(dd if=$f bs=1 2>/dev/null | md5sum); "
       "  [ \"$a\" = \"$b\" ] && [ \"$a\" = \"$c\" ] || echo \"differs: $f\"; done; "
       "dd if=/proc/cpuinfo bs=1 skip=10 count=5 2>/dev/null | wc -c; "
       "dd if=/proc/meminfo bs=1 skip=1000000 2>/dev/null | wc -c; "
       "for i in 1 2 3 4 5 6 7 8; do (cat /proc/meminfo > /tmp/m$i) & done; wait; grep -c MemTotal /tmp/m*"});
  bundle.AddMount("/tmp", "tmpfs", "tmpfs", {});
  LimitMemory(bundle);
  RunResult result = RunInBundle(bundle);
  ASSERT_EQ(result.exit_code, 0) << result;
  EXPECT_EQ(result.out, "5\n0\n/tmp/m1:1\n/tmp/m2:1\n/tmp/m3:1\n/tmp/m4:1\n/tmp/m5:1\n/tmp/m6:1\n/tmp/m7:1\n/tmp/m8:1\n")
      << result;
}

TEST_P(VirtualProcTest, FilesAreReadOnly) {
  if (!IsRunsc()) GTEST_SKIP() << kHostView;
  BundleBuilder bundle = Bundle({"sh", "-c", "echo x > /proc/meminfo; echo $?; ls -l /proc/meminfo"});
  RunResult result = RunInBundle(bundle);
  ASSERT_EQ(result.exit_code, 0) << result;
  EXPECT_THAT(result.out, HasSubstr("1\n-r--r--r--")) << result;
  EXPECT_THAT(result.out, HasSubstr(" root ")) << result;
}

TEST_P(VirtualProcTest, ExecdProcessesSeeTheSameFiles) {
  if (!IsRunsc()) GTEST_SKIP() << kHostView;
  BundleBuilder bundle = Bundle({"/bin/payload", "sleep", "1000"});
  LimitMemory(bundle);
  const std::string id = NewId();
  CreateOrDie(bundle, id);
  ASSERT_EQ(rt().Run({"start", id}).exit_code, 0);
  RunResult result = rt().Run({"exec", id, "grep", "MemTotal", "/proc/meminfo"});
  ASSERT_EQ(result.exit_code, 0) << result;
  EXPECT_EQ(Field(result.out, "MemTotal"), kLimit / 1024) << result;
}

TEST_P(VirtualProcTest, FlagAndAnnotationTurnItOff) {
  if (!IsRunsc()) GTEST_SKIP() << "--virtual-proc and its annotation are runsc's";
  const long long host_total = Field(HostFile("/proc/meminfo"), "MemTotal");
  BundleBuilder flagged = Bundle({"sh", "-c", "grep MemTotal /proc/meminfo; /bin/payload cpus"});
  LimitMemory(flagged);
  LimitCpu(flagged);
  RunResult result = RunWithFlags({"--virtual-proc=false"}, flagged);
  ASSERT_EQ(result.exit_code, 0) << result;
  EXPECT_EQ(Field(result.out, "MemTotal"), host_total) << result;
  const long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  EXPECT_THAT(result.out, HasSubstr(fmt::format("affinity={}", cpus))) << result;

  BundleBuilder annotated = Bundle({"sh", "-c", "grep MemTotal /proc/meminfo"});
  LimitMemory(annotated);
  annotated.Annotation("dev.runsc.virtual-proc", "false");
  result = RunInBundle(annotated);
  ASSERT_EQ(result.exit_code, 0) << result;
  EXPECT_EQ(Field(result.out, "MemTotal"), host_total) << result;

  // The annotation also turns it on over the flag.
  BundleBuilder on = Bundle({"sh", "-c", "grep MemTotal /proc/meminfo"});
  LimitMemory(on);
  on.Annotation("dev.runsc.virtual-proc", "true");
  result = RunWithFlags({"--virtual-proc=false"}, on);
  ASSERT_EQ(result.exit_code, 0) << result;
  EXPECT_EQ(Field(result.out, "MemTotal"), kLimit / 1024) << result;
}

TEST_P(VirtualProcTest, BadAnnotationIsAClearErrorAndLeavesNothing) {
  if (!IsRunsc()) GTEST_SKIP() << "the annotation is runsc's";
  BundleBuilder bundle = Bundle({"true"});
  bundle.Annotation("dev.runsc.virtual-proc", "yes");
  RunResult result = RunInBundle(bundle);
  ExpectOneLineError(result);
  EXPECT_THAT(result.err, HasSubstr("annotations[\"dev.runsc.virtual-proc\"] is \"yes\"")) << result;
  ExpectNothingLeft();
}

RUNSC_INSTANTIATE_FOR_RUNTIMES(VirtualProcTest);

}  // namespace
}  // namespace runsc::testing
