// The systemd cgroup driver (--systemd-cgroup) against a real systemd:
// SystemdHarness starts one as PID 1 of namespaces of its own, and the runtime
// runs inside them. Under runsc and under runc
// (RUNSC_TEST_RUNTIME=/usr/sbin/runc), which has the same driver.
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/ascii.h"
#include "fmt/format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/bundle_builder.h"
#include "tests/runtime.h"
#include "tests/systemd_harness.h"

namespace runsc::testing {
namespace {

using ::testing::HasSubstr;

class SystemdCgroupTest : public ::testing::TestWithParam<RuntimeConfig> {
 protected:
  static void SetUpTestSuite() {
    absl::StatusOr<std::unique_ptr<SystemdHarness>> started =
        SystemdHarness::Start();
    if (started.ok()) {
      harness_ = started->release();
    } else {
      *skip_reason_ = std::string(started.status().message());
    }
  }
  static void TearDownTestSuite() {
    delete harness_;
    harness_ = nullptr;
  }

  void SetUp() override {
    if (harness_ == nullptr)
      GTEST_SKIP() << "no systemd could be started here: " << *skip_reason_;
    char tmpl[] = "/tmp/runsc-sdt-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    tmp_ = tmpl;
    suffix_ = absl::AsciiStrToLower(tmp_.substr(tmp_.size() - 6));
    runtime_ = std::make_unique<Runtime>(
        harness_->Inside(GetParam(), {"--systemd-cgroup"}), tmp_ + "/root",
        tmp_);
  }
  void TearDown() override {
    runtime_.reset();  // delete --force of every container first
    std::error_code ec;
    if (!tmp_.empty()) std::filesystem::remove_all(tmp_, ec);
  }

  std::string NewId() { return fmt::format("sd-{}-{}", suffix_, counter_++); }
  // The scope a container `id` gets from CgroupsPath(id).
  static std::string Unit(const std::string& id) {
    return "runsc-test-" + id + ".scope";
  }

  // A bundle running the payload's sleep in system.slice:runsc-test:<id>.
  BundleBuilder Sleeper(const std::string& id) {
    BundleBuilder bundle(fmt::format("{}/bundle-{}", tmp_, id));
    bundle.Args({"/bin/payload", "sleep", "1000"});
    bundle.CgroupsPath("system.slice:runsc-test:" + id);
    return bundle;
  }
  void Create(BundleBuilder& bundle, const std::string& id) {
    ASSERT_TRUE(bundle.Write().ok());
    RunResult result = runtime_->Run({"create", "--bundle", bundle.dir(), id});
    ASSERT_EQ(result.exit_code, 0) << result;
  }
  std::string Status(const std::string& id) {
    RunResult result = runtime_->Run({"state", id});
    nlohmann::json state = nlohmann::json::parse(result.out, nullptr, false);
    return state.is_object() ? state.value("status", "") : "";
  }
  // systemctl show -p NAME --value UNIT.
  std::string Property(const std::string& unit, const std::string& name) {
    RunResult result =
        harness_->Systemctl({"show", "-p", name, "--value", unit});
    return std::string(absl::StripAsciiWhitespace(result.out));
  }
  std::string MemoryLimitFile(const std::string& id) {
    return std::string(absl::StripAsciiWhitespace(
        harness_->ReadInside("/sys/fs/cgroup/memory/system.slice/" + Unit(id) +
                             "/memory.limit_in_bytes")));
  }

  static SystemdHarness* harness_;
  static std::string* skip_reason_;
  std::unique_ptr<Runtime> runtime_;
  std::string tmp_, suffix_;
  int counter_ = 0;
};

SystemdHarness* SystemdCgroupTest::harness_ = nullptr;
std::string* SystemdCgroupTest::skip_reason_ = new std::string;

TEST_P(SystemdCgroupTest, LifecycleRunsInATransientScopeThatDeleteStops) {
  std::string id = NewId();
  BundleBuilder bundle = Sleeper(id);
  Create(bundle, id);
  EXPECT_EQ(Status(id), "created");
  EXPECT_EQ(Property(Unit(id), "ActiveState"), "active");
  EXPECT_EQ(Property(Unit(id), "ControlGroup"), "/system.slice/" + Unit(id));
  EXPECT_EQ(Property(Unit(id), "Delegate"), "yes");
  RunResult start = runtime_->Run({"start", id});
  ASSERT_EQ(start.exit_code, 0) << start;
  EXPECT_EQ(Status(id), "running");
  RunResult kill = runtime_->Run({"kill", id, "KILL"});
  ASSERT_EQ(kill.exit_code, 0) << kill;
  for (int i = 0; i < 100 && Status(id) != "stopped"; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(Status(id), "stopped");
  RunResult del = runtime_->Run({"delete", id});
  ASSERT_EQ(del.exit_code, 0) << del;
  // The unit is gone (stopped and collected), and so is its cgroup.
  for (int i = 0; i < 100 && Property(Unit(id), "LoadState") != "not-found";
       ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(Property(Unit(id), "LoadState"), "not-found");
  EXPECT_EQ(MemoryLimitFile(id), "");
}

TEST_P(SystemdCgroupTest,
       MemoryLimitIsSystemdsAndTheFilesAndUpdateChangesBoth) {
  std::string id = NewId();
  BundleBuilder bundle = Sleeper(id);
  bundle.config()["linux"]["resources"]["memory"]["limit"] = 128 << 20;
  Create(bundle, id);
  EXPECT_EQ(Property(Unit(id), "MemoryLimit"), std::to_string(128 << 20));
  EXPECT_EQ(MemoryLimitFile(id), std::to_string(128 << 20));
  RunResult update = runtime_->Run({"update", "--memory", "64M", id});
  ASSERT_EQ(update.exit_code, 0) << update;
  EXPECT_EQ(Property(Unit(id), "MemoryLimit"), std::to_string(64 << 20));
  EXPECT_EQ(MemoryLimitFile(id), std::to_string(64 << 20));
}

TEST_P(SystemdCgroupTest, PauseResumeAndStats) {
  std::string id = NewId();
  BundleBuilder bundle = Sleeper(id);
  Create(bundle, id);
  ASSERT_EQ(runtime_->Run({"start", id}).exit_code, 0);
  RunResult pause = runtime_->Run({"pause", id});
  ASSERT_EQ(pause.exit_code, 0) << pause;
  EXPECT_EQ(Status(id), "paused");
  RunResult resume = runtime_->Run({"resume", id});
  ASSERT_EQ(resume.exit_code, 0) << resume;
  EXPECT_EQ(Status(id), "running");
  RunResult stats = runtime_->Run({"events", "--stats", id});
  ASSERT_EQ(stats.exit_code, 0) << stats;
  nlohmann::json event = nlohmann::json::parse(stats.out, nullptr, false);
  ASSERT_TRUE(event.is_object()) << stats.out;
  EXPECT_EQ(event.value("type", ""), "stats");
  EXPECT_GT(event["data"]["memory"]["usage"].value("usage", 0), 0) << stats.out;
  EXPECT_GT(event["data"]["pids"].value("current", 0), 0) << stats.out;
}

TEST_P(SystemdCgroupTest, CpuQuotaAndPidsLimitAreSystemdsProperties) {
  std::string id = NewId();
  BundleBuilder bundle = Sleeper(id);
  Create(bundle, id);
  RunResult update =
      runtime_->Run({"update", "--cpu-period", "100000", "--cpu-quota", "50000",
                     "--pids-limit", "50", id});
  ASSERT_EQ(update.exit_code, 0) << update;
  EXPECT_EQ(Property(Unit(id), "CPUQuotaPerSecUSec"), "500ms");
  EXPECT_EQ(Property(Unit(id), "TasksMax"), "50");
  EXPECT_EQ(
      absl::StripAsciiWhitespace(harness_->ReadInside(
          "/sys/fs/cgroup/cpu/system.slice/" + Unit(id) + "/cpu.cfs_quota_us")),
      "50000");
  EXPECT_EQ(absl::StripAsciiWhitespace(harness_->ReadInside(
                "/sys/fs/cgroup/pids/system.slice/" + Unit(id) + "/pids.max")),
            "50");
}

// Kubernetes' pod slices: a dashed slice nests in each of its prefixes' slices.
TEST_P(SystemdCgroupTest, ADashedSliceNestsInItsParentSlices) {
  std::string id = NewId();
  BundleBuilder bundle = Sleeper(id);
  bundle.CgroupsPath("kubepods-besteffort-pod" + suffix_ +
                     ".slice:cri-containerd:" + id);
  Create(bundle, id);
  std::string unit = "cri-containerd-" + id + ".scope";
  EXPECT_EQ(Property(unit, "ActiveState"), "active");
  EXPECT_EQ(Property(unit, "ControlGroup"),
            fmt::format("/kubepods.slice/kubepods-besteffort.slice/"
                        "kubepods-besteffort-pod{}.slice/{}",
                        suffix_, unit));
  RunResult del = runtime_->Run({"delete", "--force", id});
  ASSERT_EQ(del.exit_code, 0) << del;
  EXPECT_EQ(Property(unit, "LoadState"), "not-found");
}

// A unit name in use (a shared cgroupsPath): joined, as runc 1.1 does.
TEST_P(SystemdCgroupTest, AUnitInUseIsJoined) {
  std::string id = NewId();
  BundleBuilder bundle = Sleeper(id);
  Create(bundle, id);
  std::string second = NewId();
  BundleBuilder same = Sleeper(second);
  same.CgroupsPath("system.slice:runsc-test:" + id);
  Create(same, second);
  EXPECT_EQ(Status(second), "created");
  RunResult state = runtime_->Run({"state", second});
  nlohmann::json json = nlohmann::json::parse(state.out, nullptr, false);
  ASSERT_TRUE(json.is_object()) << state;
  std::string procs = harness_->ReadInside(
      "/sys/fs/cgroup/memory/system.slice/" + Unit(id) + "/cgroup.procs");
  EXPECT_THAT(procs, HasSubstr(std::to_string(json.value("pid", 0)))) << procs;
}

// A create that fails once the scope holds the init leaves no unit behind.
TEST_P(SystemdCgroupTest, AFailedCreateLeavesNoUnit) {
  std::string id = NewId();
  BundleBuilder bundle = Sleeper(id);
  bundle.Cwd("/no/such/dir");
  bundle.config()["process"]["args"] = {"/no/such/binary"};
  ASSERT_TRUE(bundle.Write().ok());
  RunResult result = runtime_->Run({"create", "--bundle", bundle.dir(), id});
  EXPECT_NE(result.exit_code, 0) << result;
  for (int i = 0; i < 100 && Property(Unit(id), "LoadState") != "not-found";
       ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(Property(Unit(id), "LoadState"), "not-found");
}

TEST_P(SystemdCgroupTest, ACgroupsPathThatIsNoSliceIsRefusedNamingTheField) {
  std::string id = NewId();
  BundleBuilder bundle = Sleeper(id);
  bundle.CgroupsPath("/docker/" + id);
  ASSERT_TRUE(bundle.Write().ok());
  RunResult result = runtime_->Run({"create", "--bundle", bundle.dir(), id});
  EXPECT_NE(result.exit_code, 0);
  // runc: "expected cgroupsPath to be of format \"slice:prefix:name\" for
  // systemd cgroups".
  EXPECT_THAT(result.err, HasSubstr("slice:prefix:name"));
  if (IsRunsc(GetParam())) {
    EXPECT_THAT(result.err, HasSubstr("linux.cgroupsPath"));
  }
}

INSTANTIATE_TEST_SUITE_P(Runtimes, SystemdCgroupTest,
                         ::testing::ValuesIn(RuntimesUnderTest()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace runsc::testing
