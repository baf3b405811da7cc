// Generator tests on fixed inputs (no FUSE, no cgroup).
#include "gofer/vproc/vproc_files.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gofer::vproc {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kHostMeminfo[] =
    "MemTotal:       16314060 kB\n"
    "MemFree:         8000000 kB\n"
    "MemAvailable:   12000000 kB\n"
    "Buffers:          500000 kB\n"
    "Cached:          3000000 kB\n"
    "SwapCached:            0 kB\n"
    "Active:          4000000 kB\n"
    "Shmem:            100000 kB\n"
    "SReclaimable:     600000 kB\n"
    "SwapTotal:       2097148 kB\n"
    "SwapFree:        2097148 kB\n"
    "VmallocTotal:   34359738367 kB\n"
    "HugePages_Total:       0\n"
    "Hugepagesize:       2048 kB\n";

std::string HostCpuinfo(int cpus) {
  std::string text;
  for (int i = 0; i < cpus; ++i) {
    text += "processor\t: " + std::to_string(i) + "\nmodel name\t: Test CPU\ncore id\t\t: " + std::to_string(i) +
            "\n\n";
  }
  return text;
}

std::string HostStat(int cpus) {
  std::string text = "cpu  400 0 200 10000 0 0 0 0 0 0\n";
  for (int i = 0; i < cpus; ++i) text += "cpu" + std::to_string(i) + " 100 0 50 2500 0 0 0 0 0 0\n";
  return text + "intr 1 2 3\nctxt 99\nbtime 1700000000\nprocesses 1234\nprocs_running 7\nprocs_blocked 2\n";
}

MachineInputs Host(int cpus = 4) {
  MachineInputs in;
  in.host.meminfo = kHostMeminfo;
  in.host.cpuinfo = HostCpuinfo(cpus);
  in.host.stat = HostStat(cpus);
  in.host.loadavg = "2.00 1.00 0.40 3/500 4242\n";
  in.host.diskstats = "   8       0 sda 1 2 3 4 5 6 7 8 9 10 11\n";
  in.host.uptime = "5000.00 18000.00\n";
  return in;
}

TEST(VprocFilesTest, MemoryLimitSizesMeminfo) {
  MachineInputs in = Host();
  in.memory_limit = 256ull << 20;
  in.memory_usage = 56ull << 20;
  in.memory_cache = 16ull << 20;
  std::string text = MeminfoText(in);
  EXPECT_THAT(text, HasSubstr("MemTotal:         262144 kB\n"));
  EXPECT_THAT(text, HasSubstr("MemFree:          204800 kB\n"));
  EXPECT_THAT(text, HasSubstr("MemAvailable:     221184 kB\n"));
  EXPECT_THAT(text, HasSubstr("Cached:            16384 kB\n"));
  EXPECT_THAT(text, HasSubstr("Buffers:               0 kB\n"));
  EXPECT_THAT(text, HasSubstr("SReclaimable:          0 kB\n"));
  EXPECT_THAT(text, HasSubstr("Active:           262144 kB\n"));  // capped at MemTotal
  EXPECT_THAT(text, HasSubstr("VmallocTotal:   34359738367 kB\n"));  // untouched
  EXPECT_THAT(text, HasSubstr("HugePages_Total:       0\n"));
  EXPECT_THAT(text, HasSubstr("Hugepagesize:       2048 kB\n"));
  // No swap limit: the host's swap is usable.
  EXPECT_THAT(text, HasSubstr("SwapTotal:       2097148 kB\n"));
}

TEST(VprocFilesTest, SwapLimitAndSwaps) {
  MachineInputs in = Host();
  in.memory_limit = 256ull << 20;
  in.swap_limit = 64ull << 20;
  in.swap_usage = 1ull << 20;
  EXPECT_THAT(MeminfoText(in), HasSubstr("SwapTotal:         65536 kB\nSwapFree:          64512 kB\n"));
  EXPECT_EQ(SwapsText(in), "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"
                           "none\t\t\t\t\tvirtual\t\t65536\t\t1024\t\t0\n");
  in.swap_limit = 0;
  EXPECT_THAT(MeminfoText(in), HasSubstr("SwapTotal:             0 kB\n"));
  EXPECT_EQ(SwapsText(in), "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n");
}

TEST(VprocFilesTest, NoLimitsShowTheHost) {
  MachineInputs in = Host();
  EXPECT_EQ(MeminfoText(in), kHostMeminfo);
  in.memory_limit = 64ull << 40;  // above the host's memory: no effective limit
  EXPECT_EQ(MeminfoText(in), kHostMeminfo);
  EXPECT_EQ(VisibleCpus(in).size(), 4u);
  EXPECT_EQ(CpuOnlineText(in), "0-3\n");
  EXPECT_EQ(CpuinfoText(in), HostCpuinfo(4));
  EXPECT_EQ(DiskstatsText(in), in.host.diskstats);
  EXPECT_EQ(LoadavgText(in), "2.00 1.00 0.40 1/1 0\n");
}

TEST(VprocFilesTest, QuotaRoundsUp) {
  MachineInputs in = Host();
  in.cpu_quota_us = 150000;
  in.cpu_period_us = 100000;
  EXPECT_EQ(VisibleCpus(in), (std::vector<uint64_t>{0, 1}));
  EXPECT_EQ(CpuOnlineText(in), "0-1\n");
  in.cpu_quota_us = 50000;  // half a CPU is still one
  EXPECT_EQ(CpuOnlineText(in), "0\n");
  in.cpu_quota_us = 1000000;  // 10 CPUs of quota on 4: the host's 4
  EXPECT_EQ(VisibleCpus(in).size(), 4u);
}

TEST(VprocFilesTest, CpusetLimits) {
  MachineInputs in = Host();
  in.cpuset = {0};
  EXPECT_EQ(CpuOnlineText(in), "0\n");
  in.cpuset = {1, 3};
  EXPECT_EQ(VisibleCpus(in), (std::vector<uint64_t>{1, 3}));
  in.cpu_quota_us = 100000;  // min(quota 1, cpuset 2)
  EXPECT_EQ(VisibleCpus(in), (std::vector<uint64_t>{1}));
  in.cpuset = {9};  // not a host CPU: kept rather than showing none
  in.cpu_quota_us.reset();
  EXPECT_EQ(VisibleCpus(in).size(), 1u);
}

TEST(VprocFilesTest, CpuinfoRenumbersTheVisibleBlocks) {
  MachineInputs in = Host();
  in.cpuset = {2, 3};
  std::string text = CpuinfoText(in);
  EXPECT_EQ(text,
            "processor\t: 0\nmodel name\t: Test CPU\ncore id\t\t: 2\n\n"
            "processor\t: 1\nmodel name\t: Test CPU\ncore id\t\t: 3\n\n");
}

TEST(VprocFilesTest, CpuinfoKeepsNonCpuBlocks) {
  MachineInputs in = Host(2);
  in.host.cpuinfo = "processor\t: 0\nBogoMIPS\t: 50\n\nprocessor\t: 1\nBogoMIPS\t: 50\n\nHardware\t: X\n";
  in.cpuset = {1};
  EXPECT_EQ(CpuinfoText(in), "processor\t: 0\nBogoMIPS\t: 50\n\nHardware\t: X\n\n");
}

TEST(VprocFilesTest, StatWithoutUsageShowsVisibleHostCpus) {
  MachineInputs in = Host();
  in.cpuset = {1, 2};
  in.tasks_running = 1;
  std::string text = StatText(in);
  EXPECT_THAT(text, HasSubstr("cpu  200 0 100 5000 0 0 0 0 0 0\ncpu0 100 0 50 2500 0 0 0 0 0 0\n"
                              "cpu1 100 0 50 2500 0 0 0 0 0 0\nintr"));
  EXPECT_THAT(text, Not(HasSubstr("cpu2")));
  EXPECT_THAT(text, HasSubstr("btime 1700000000\n"));
  EXPECT_THAT(text, HasSubstr("procs_running 1\nprocs_blocked 0\n"));
}

TEST(VprocFilesTest, TheReaderCountsAsRunning) {
  MachineInputs in = Host();
  in.tasks_running = 0;  // the reader sleeps in open(2) while the gofer reads the cgroup
  EXPECT_THAT(StatText(in), HasSubstr("procs_running 1\n"));
  EXPECT_THAT(LoadavgText(in), HasSubstr(" 1/1 0\n"));
}

TEST(VprocFilesTest, StatWithUsageShowsTheContainer) {
  MachineInputs in = Host();
  in.cpu_quota_us = 200000;  // 2 CPUs
  in.cpu_user_ns = 3'000'000'000;    // 3 s
  in.cpu_system_ns = 1'000'000'000;  // 1 s
  in.uptime_seconds = 10;
  // USER_HZ 100: user 300, system 100, idle 2*10*100 - 400 = 1600.
  std::string text = StatText(in);
  EXPECT_THAT(text, HasSubstr("cpu  300 0 100 1600 0 0 0 0 0 0\n"
                              "cpu0 150 0 50 800 0 0 0 0 0 0\n"
                              "cpu1 150 0 50 800 0 0 0 0 0 0\n"));
  EXPECT_EQ(UptimeText(in), "10.00 16.00\n");
}

TEST(VprocFilesTest, UptimeStartsAtTheContainer) {
  MachineInputs in = Host();
  in.cpuset = {0};
  in.uptime_seconds = 0.5;
  EXPECT_EQ(UptimeText(in), "0.50 0.50\n");
  in.uptime_seconds = -3;  // clock skew: never negative
  EXPECT_EQ(UptimeText(in), "0.00 0.00\n");
}

TEST(VprocFilesTest, LoadavgScalesToTheVisibleCpus) {
  MachineInputs in = Host();
  in.cpuset = {0, 1};
  in.tasks_running = 2;
  in.tasks_total = 9;
  EXPECT_EQ(LoadavgText(in), "1.00 0.50 0.20 2/9 0\n");
  in.host.loadavg = "garbage";
  EXPECT_EQ(LoadavgText(in), "0.00 0.00 0.00 2/9 0\n");
}

TEST(VprocFilesTest, EmptyHostFilesDoNotCrash) {
  MachineInputs in;
  in.memory_limit = 1 << 20;
  in.cpu_quota_us = 1;
  for (const VFileInfo& file : AllFiles()) (void)Generate(file.file, in);
  EXPECT_EQ(CpuOnlineText(in), "0\n");
  EXPECT_THAT(MeminfoText(in), Not(HasSubstr("kB")));  // nothing to rewrite
}

TEST(VprocFilesTest, FileTableNamesAndTargets) {
  ASSERT_EQ(AllFiles().size(), 10u);
  EXPECT_STREQ(AllFiles()[0].name, "meminfo");
  EXPECT_STREQ(AllFiles()[7].target, "/sys/devices/system/cpu/online");
  EXPECT_STREQ(AllFiles().back().target, "/proc/sys/kernel/random/boot_id");
}

TEST(VprocFilesTest, CmdlineAndBootIdNameNothingOfTheHost) {
  MachineInputs in;
  in.boot_id = "0f3e1a2b-1c2d-4e5f-8a9b-0c1d2e3f4a5b";
  EXPECT_EQ(Generate(VFile::kCmdline, in), "BOOT_IMAGE=/vmlinuz quiet\n");
  EXPECT_EQ(Generate(VFile::kBootId, in), "0f3e1a2b-1c2d-4e5f-8a9b-0c1d2e3f4a5b\n");
}

}  // namespace
}  // namespace gofer::vproc
