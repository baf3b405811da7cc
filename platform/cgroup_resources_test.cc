#include "platform/cgroup_resources.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "platform/cgroup_oom.h"
#include "platform/cgroup_stats.h"
#include "platform/status_matchers.h"

namespace platform {
namespace {

using ::platform::testing::IsOk;
using ::platform::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// The value of an OK StatusOr (fails the test otherwise).
template <typename T>
T ValueOrDie(absl::StatusOr<T> value) {
  EXPECT_THAT(value, IsOk());
  return value.ok() ? *std::move(value) : T{};
}

// "controller/file=value" for compact expectations.
std::vector<std::string> Flatten(const std::vector<CgroupWrite>& writes) {
  std::vector<std::string> out;
  for (const CgroupWrite& write : writes) {
    out.push_back((write.controller.empty() ? "" : write.controller + "/") + write.file + "=" + write.value);
  }
  return out;
}

TEST(CgroupResourcesTest, ConversionsMatchRunc) {
  EXPECT_EQ(CpuSharesToWeight(1024), 39u);
  EXPECT_EQ(CpuSharesToWeight(2), 1u);
  EXPECT_EQ(CpuSharesToWeight(262144), 10000u);
  EXPECT_EQ(BlkioWeightToIoWeight(10), 1u);
  EXPECT_EQ(BlkioWeightToIoWeight(1000), 10000u);
  EXPECT_EQ(BlkioWeightToIoWeight(500), 4950u);
  EXPECT_EQ(ValueOrDie(SwapToV2(-1, 100)), "max");
  EXPECT_EQ(ValueOrDie(SwapToV2(300, 100)), "200");
  EXPECT_THAT(SwapToV2(50, 100), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("memory.swap")));
  EXPECT_THAT(SwapToV2(300, 0), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("memory limit")));
}

TEST(CgroupResourcesTest, EmptyResourcesWriteNothing) {
  CgroupResources resources;
  EXPECT_TRUE(resources.empty());
  EXPECT_THAT(ValueOrDie(V1Writes(resources, false)), ::testing::IsEmpty());
  EXPECT_THAT(ValueOrDie(V2Writes(resources)), ::testing::IsEmpty());
}

TEST(CgroupResourcesTest, V1Mapping) {
  CgroupResources r;
  r.memory_limit = 1 << 20;
  r.memory_swap = 2 << 20;
  r.memory_reservation = 1 << 19;
  r.cpu_shares = 512;
  r.cpu_quota = 50000;
  r.cpu_period = 100000;
  r.cpus = "0";
  r.pids_limit = -1;
  r.throttle_read_bps = {{8, 0, 1000}};
  r.hugepage_limits = {{"2MB", 4194304}};
  std::vector<CgroupWrite> writes = ValueOrDie(V1Writes(r, /*swap_first=*/true));
  EXPECT_THAT(Flatten(writes),
              ElementsAre("memory/memory.memsw.limit_in_bytes=2097152", "memory/memory.limit_in_bytes=1048576",
                          "memory/memory.soft_limit_in_bytes=524288", "cpu/cpu.shares=512",
                          "cpu/cpu.cfs_period_us=100000", "cpu/cpu.cfs_quota_us=50000", "cpuset/cpuset.cpus=0",
                          "pids/pids.max=max", "blkio/blkio.throttle.read_bps_device=8:0 1000",
                          "hugetlb/hugetlb.2MB.limit_in_bytes=4194304"));
  EXPECT_EQ(writes[0].field, "memory.swap");
}

TEST(CgroupResourcesTest, V1SwapOrder) {
  CgroupResources r;
  r.memory_limit = 100;
  r.memory_swap = 200;
  EXPECT_TRUE(SwapBeforeLimitV1(r, 150));
  EXPECT_FALSE(SwapBeforeLimitV1(r, 300));
  r.memory_swap = -1;
  EXPECT_TRUE(SwapBeforeLimitV1(r, 300));
}

TEST(CgroupResourcesTest, V1RejectsBadSwappinessAndUnified) {
  CgroupResources r;
  r.memory_swappiness = 101;
  EXPECT_THAT(V1Writes(r, false), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("memory.swappiness")));
  CgroupResources unified;
  unified.unified["memory.high"] = "1000";
  EXPECT_THAT(V1Writes(unified, false), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unified")));
}

TEST(CgroupResourcesTest, V2Mapping) {
  CgroupResources r;
  r.memory_limit = 1000;
  r.memory_swap = 3000;
  r.memory_reservation = 500;
  r.cpu_shares = 1024;
  r.cpu_quota = 50000;
  r.cpu_period = 100000;
  r.mems = "0";
  r.pids_limit = 64;
  r.blkio_weight = 1000;
  r.blkio_weight_devices = {{8, 0, 10, std::nullopt}};
  r.throttle_write_iops = {{8, 16, 300}};
  r.hugepage_limits = {{"2MB", 0}};
  r.unified["memory.high"] = "900";
  std::vector<CgroupWrite> writes = ValueOrDie(V2Writes(r));
  EXPECT_THAT(Flatten(writes),
              ElementsAre("memory.swap.max=2000", "memory.max=1000", "memory.low=500", "cpu.weight=39",
                          "cpu.max=50000 100000", "cpuset.mems=0", "pids.max=64", "io.weight=10000",
                          "io.weight=8:0 1", "io.max=8:16 wiops=300", "hugetlb.2MB.max=0", "memory.high=900"));
  EXPECT_THAT(V2Controllers(r), ElementsAre("memory", "cpu", "cpuset", "pids", "io", "hugetlb"));
}

TEST(CgroupResourcesTest, V2QuotaUnlimited) {
  CgroupResources r;
  r.cpu_quota = -1;
  std::vector<CgroupWrite> writes = ValueOrDie(V2Writes(r));
  EXPECT_THAT(Flatten(writes), ElementsAre("cpu.max=max"));
  r.cpu_period = 20000;
  writes = ValueOrDie(V2Writes(r));
  EXPECT_THAT(Flatten(writes), ElementsAre("cpu.max=max 20000"));
}

TEST(CgroupResourcesTest, V2RejectsWhatItCannotExpress) {
  auto expect_error = [](CgroupResources r, const char* field) {
    EXPECT_THAT(V2Writes(r), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(field))) << field;
  };
  CgroupResources r;
  r.memory_kernel = 100;
  expect_error(r, "linux.resources.memory.kernel");
  r = {};
  r.memory_swappiness = 10;
  expect_error(r, "memory.swappiness");
  r = {};
  r.cpu_realtime_runtime = 10;
  expect_error(r, "cpu.realtime");
  r = {};
  r.net_class_id = 1;
  expect_error(r, "network");
  r = {};
  r.blkio_leaf_weight = 100;
  expect_error(r, "blockIO.leafWeight");
  r = {};
  r.unified["../x"] = "1";
  expect_error(r, "unified");
}

// A fake v2 cgroup dir with the files the stats reader uses.
class FakeTree : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/cgroup-fake-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void Put(const std::string& name, const std::string& text) { std::ofstream(dir_ + "/" + name) << text; }
  std::string dir_;
};

TEST_F(FakeTree, V2StatsShape) {
  Put("cpu.stat", "usage_usec 10\nuser_usec 6\nsystem_usec 4\nnr_periods 5\nnr_throttled 2\nthrottled_usec 7\n");
  Put("memory.current", "4096\n");
  Put("memory.max", "max\n");
  Put("memory.events", "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n");
  Put("memory.stat", "anon 100\nfile 200\n");
  Put("pids.current", "2\n");
  Put("pids.max", "max\n");
  Put("io.stat", "8:0 rbytes=10 wbytes=20 rios=1 wios=2 dbytes=0 dios=0\n");
  Put("hugetlb.2MB.max", "0\n");
  Put("hugetlb.2MB.current", "0\n");
  Put("cpuset.cpus.effective", "0-1\n");
  nlohmann::ordered_json stats = V2Stats(dir_);
  EXPECT_EQ(stats["cpu"]["usage"]["total"], 10000);
  EXPECT_EQ(stats["cpu"]["usage"]["user"], 6000);
  EXPECT_EQ(stats["cpu"]["throttling"]["throttled_periods"], 2);
  EXPECT_EQ(stats["cpu"]["throttling"]["throttled_time"], 7000);
  EXPECT_EQ(stats["memory"]["usage"]["usage"], 4096);
  EXPECT_EQ(stats["memory"]["usage"]["failcnt"], 3);
  EXPECT_EQ(stats["memory"]["cache"], 200);
  EXPECT_EQ(stats["pids"], nlohmann::ordered_json({{"current", 2}}));
  EXPECT_EQ(stats["blkio"]["ioServiceBytesRecursive"][1]["op"], "Write");
  EXPECT_EQ(stats["blkio"]["ioServicedRecursive"][0]["value"], 1);
  EXPECT_EQ(stats["hugetlb"]["2MB"]["failcnt"], 0);
  EXPECT_EQ(stats["cpuset"]["cpus"], nlohmann::ordered_json({0, 1}));
  EXPECT_TRUE(stats["network_interfaces"].is_null());
}

TEST_F(FakeTree, V1StatsShape) {
  Put("cpuacct.usage", "123\n");
  Put("cpuacct.usage_percpu", "100 23 \n");
  Put("cpuacct.stat", "user 1\nsystem 2\n");
  Put("cpu.stat", "nr_periods 0\nnr_throttled 0\nthrottled_time 0\n");
  Put("memory.limit_in_bytes", "1048576\n");
  Put("memory.usage_in_bytes", "4096\n");
  Put("memory.failcnt", "5\n");
  Put("pids.current", "1\n");
  Put("pids.max", "10\n");
  nlohmann::ordered_json stats = V1Stats(dir_, dir_, dir_, dir_, dir_, dir_, "");
  EXPECT_EQ(stats["cpu"]["usage"]["total"], 123);
  EXPECT_EQ(stats["cpu"]["usage"]["percpu"], nlohmann::ordered_json({100, 23}));
  EXPECT_EQ(stats["cpu"]["throttling"], nlohmann::ordered_json::object());
  EXPECT_EQ(stats["memory"]["usage"], nlohmann::ordered_json({{"limit", 1048576}, {"usage", 4096}, {"failcnt", 5}}));
  EXPECT_EQ(stats["pids"], nlohmann::ordered_json({{"current", 1}, {"limit", 10}}));
}

// sysinfo's process count is the workload's: on v1 the freezer's tasks,
// which leave out the sandbox's threads that pids.current counts.
TEST_F(FakeTree, V1ProcessCountIsTheFreezersTasks) {
  Put("pids.current", "11\n");
  Put("tasks", "7\n9\n12\n");
  EXPECT_EQ(V1MemoryAndPids("", dir_, dir_).pids, 3u);
  EXPECT_EQ(V1MemoryAndPids("", dir_, dir_ + "/missing").pids, 11u);
}

TEST_F(FakeTree, MemoryAndPidsMatchTheStats) {
  Put("memory.limit_in_bytes", "1048576\n");
  Put("memory.usage_in_bytes", "4096\n");
  Put("pids.current", "3\n");
  MemoryAndPids v1 = V1MemoryAndPids(dir_, dir_);
  EXPECT_EQ(v1.memory_limit, 1048576u);
  EXPECT_EQ(v1.memory_usage, 4096u);
  EXPECT_EQ(v1.pids, 3u);
  MemoryAndPids no_controllers = V1MemoryAndPids("", "");
  EXPECT_EQ(no_controllers.memory_limit + no_controllers.memory_usage + no_controllers.pids, 0u);
  Put("memory.max", "max\n");
  Put("memory.current", "8192\n");
  MemoryAndPids v2 = V2MemoryAndPids(dir_);
  EXPECT_EQ(v2.memory_limit, UINT64_MAX);
  EXPECT_EQ(v2.memory_usage, 8192u);
  EXPECT_EQ(v2.pids, 3u);
}

TEST(CgroupStatsTest, CpuList) {
  EXPECT_THAT(ParseCpuList("0-2,5"), ElementsAre(0, 1, 2, 5));
  EXPECT_THAT(ParseCpuList(""), ::testing::IsEmpty());
}

TEST(CgroupOomTest, EventsCount) {
  EXPECT_EQ(OomCountFromEvents("low 0\nhigh 0\nmax 4\noom 2\noom_kill 1\n"), 2u);
  EXPECT_EQ(OomCountFromEvents(""), 0u);
}

}  // namespace
}  // namespace platform
