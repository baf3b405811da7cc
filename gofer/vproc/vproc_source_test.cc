// MachineSource on fake cgroup v1 and v2 trees and a fake host procfs.
#include "gofer/vproc/vproc_source.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gofer::vproc {
namespace {

class VprocSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/vproc_source_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    Write("proc/stat", "cpu  1 0 1 1 0 0 0 0 0 0\ncpu0 1 0 1 1 0 0 0 0 0 0\ncpu1 1 0 1 1 0 0 0 0 0 0\n"
                       "cpu2 1 0 1 1 0 0 0 0 0 0\nprocs_running 5\n");
    Write("proc/meminfo", "MemTotal:       16314060 kB\nSwapTotal:       1000000 kB\n");
    Write("proc/loadavg", "3.00 3.00 3.00 1/100 77\n");
    Write("proc/100/stat", "100 (a) b) R 1 1\n");
    Write("proc/101/stat", "101 (sleep) S 1 1\n");
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  void Write(const std::string& path, const std::string& text) {
    std::filesystem::create_directories(std::filesystem::path(root_ + "/" + path).parent_path());
    std::ofstream(root_ + "/" + path) << text;
  }
  std::unique_ptr<MachineSource> Open(const CgroupDirs& dirs) {
    SourceOptions options;
    options.host_proc = root_ + "/proc";
    options.cgroup = dirs;
    auto source = MachineSource::Open(options);
    EXPECT_TRUE(source.ok()) << source.status();
    return source.ok() ? *std::move(source) : nullptr;
  }

  std::string root_;
};

TEST_F(VprocSourceTest, ReadsV2) {
  Write("cg/memory.max", "268435456\n");
  Write("cg/memory.current", "1048576\n");
  Write("cg/memory.stat", "anon 0\nfile 4096\nshmem 8192\n");
  Write("cg/memory.swap.max", "max\n");
  Write("cg/cpu.max", "150000 100000\n");
  Write("cg/cpu.stat", "usage_usec 3000\nuser_usec 2000\nsystem_usec 1000\n");
  Write("cg/cpuset.cpus.effective", "0-1\n");
  Write("cg/cgroup.threads", "100\n101\n");
  const std::string cg = root_ + "/cg";
  auto source = Open({cg, cg, "", cg, cg});
  ASSERT_NE(source, nullptr);
  auto mem = source->Read(VFile::kMeminfo);
  ASSERT_TRUE(mem.ok()) << mem.status();
  EXPECT_EQ(mem->memory_limit, 268435456u);
  EXPECT_EQ(mem->memory_usage, 1048576u);
  EXPECT_EQ(mem->memory_cache, 4096u);
  EXPECT_EQ(mem->memory_shmem, 8192u);
  EXPECT_EQ(mem->swap_limit, std::nullopt);
  EXPECT_THAT(MeminfoText(*mem), ::testing::HasSubstr("MemTotal:         262144 kB"));
  auto cpu = source->Read(VFile::kLoadavg);
  ASSERT_TRUE(cpu.ok());
  EXPECT_EQ(cpu->cpu_quota_us, 150000u);
  EXPECT_EQ(cpu->cpu_period_us, 100000u);
  EXPECT_EQ(cpu->cpuset, (std::vector<uint64_t>{0, 1}));
  EXPECT_EQ(cpu->cpu_user_ns, 2000000u);
  EXPECT_EQ(cpu->tasks_total, 2u);
  EXPECT_EQ(cpu->tasks_running, 1u);
  EXPECT_EQ(CpuOnlineText(*cpu), "0-1\n");
  EXPECT_EQ(LoadavgText(*cpu), "2.00 2.00 2.00 1/2 0\n");
}

TEST_F(VprocSourceTest, TheBootIdIsRandomPerSourceAndStable) {
  const std::string cg = root_ + "/cg";
  auto first = Open({cg, cg, "", cg, cg});
  auto second = Open({cg, cg, "", cg, cg});
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  auto a = first->Read(VFile::kBootId), again = first->Read(VFile::kBootId), b = second->Read(VFile::kBootId);
  ASSERT_TRUE(a.ok() && again.ok() && b.ok());
  EXPECT_THAT(a->boot_id, ::testing::MatchesRegex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"));
  EXPECT_EQ(a->boot_id, again->boot_id);
  EXPECT_NE(a->boot_id, b->boot_id);
}

TEST_F(VprocSourceTest, ReadsV1) {
  Write("memory/memory.limit_in_bytes", "268435456\n");
  Write("memory/memory.usage_in_bytes", "2097152\n");
  Write("memory/memory.memsw.limit_in_bytes", "335544320\n");
  Write("memory/memory.memsw.usage_in_bytes", "3145728\n");
  Write("memory/memory.stat", "cache 1\ntotal_cache 4096\n");
  Write("cpu/cpu.cfs_quota_us", "-1\n");
  Write("cpu/cpu.cfs_period_us", "100000\n");
  Write("cpu/tasks", "100\n");
  Write("cpuacct/cpuacct.stat", "user 100\nsystem 50\n");
  Write("cpuset/cpuset.effective_cpus", "2\n");
  auto source = Open({root_ + "/memory", root_ + "/cpu", root_ + "/cpuacct", root_ + "/cpuset", ""});
  ASSERT_NE(source, nullptr);
  auto mem = source->Read(VFile::kSwaps);
  ASSERT_TRUE(mem.ok());
  EXPECT_EQ(mem->memory_limit, 268435456u);
  EXPECT_EQ(mem->swap_limit, 64u << 20);
  EXPECT_EQ(mem->swap_usage, 1u << 20);
  EXPECT_EQ(mem->memory_cache, 4096u);
  auto cpu = source->Read(VFile::kStat);
  ASSERT_TRUE(cpu.ok());
  EXPECT_EQ(cpu->cpu_quota_us, std::nullopt);
  EXPECT_EQ(cpu->cpuset, (std::vector<uint64_t>{2}));
  EXPECT_EQ(cpu->cpu_user_ns, 100ull * 1000000000 / sysconf(_SC_CLK_TCK));
  EXPECT_EQ(cpu->tasks_total, 1u);
  EXPECT_EQ(CpuOnlineText(*cpu), "0\n");
}

TEST_F(VprocSourceTest, V1UnlimitedAndNoCgroup) {
  Write("memory/memory.limit_in_bytes", "9223372036854771712\n");
  auto source = Open({root_ + "/memory", "", "", "", ""});
  ASSERT_NE(source, nullptr);
  auto mem = source->Read(VFile::kMeminfo);
  ASSERT_TRUE(mem.ok());
  EXPECT_EQ(mem->memory_limit, std::nullopt);
  auto none = Open({});
  ASSERT_NE(none, nullptr);
  auto cpu = none->Read(VFile::kCpuOnline);
  ASSERT_TRUE(cpu.ok());
  EXPECT_EQ(CpuOnlineText(*cpu), "0-2\n");
}

TEST_F(VprocSourceTest, NeverFollowsSymlinksOrCrossesMounts) {
  symlink("/etc/hostname", (root_ + "/proc/link").c_str());
  int dir = open((root_ + "/proc").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(dir, 0);
  EXPECT_EQ(ReadBelow(dir, "link"), std::nullopt);
  EXPECT_EQ(ReadBelow(dir, "../proc/stat"), std::nullopt);
  EXPECT_EQ(ReadBelow(dir, "/etc/hostname"), std::nullopt);
  EXPECT_TRUE(ReadBelow(dir, "stat").has_value());
  close(dir);
  int proc = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
  EXPECT_EQ(ReadBelow(proc, "self/stat"), std::nullopt);  // a magic link
  EXPECT_TRUE(ReadBelow(proc, "loadavg").has_value());  // same mount: fine
  close(proc);
}

TEST_F(VprocSourceTest, MissingProcIsAnError) {
  SourceOptions options;
  options.host_proc = root_ + "/nope";
  EXPECT_FALSE(MachineSource::Open(options).ok());
}

}  // namespace
}  // namespace gofer::vproc
