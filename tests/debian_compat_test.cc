// Issue 16's "Done when": what a Debian user does first in a container gives
// the same result under runsc as under runc, both through `docker run
// --runtime=...` and through a plain bundle. Each scenario is a script of
// tests/debian_compat (dpkg -i, apt-get install from a local repository,
// useradd, sed -i, cp -a, tar -x --same-owner -p, rsync -a, Python's os.access
// and shutil, git); a test runs it under runc and under runsc on the compat
// image (tests/debian_image.h) and compares every line, and runc's lines must
// show every step passing (so the scenario means something).
#include <filesystem>
#include <string>

#include "fmt/format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/debian_compat_support.h"
#include "tests/debian_image.h"

namespace runsc::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using namespace std::chrono_literals;

const char* const kScenarios[] = {
    "dpkg", "apt",   "useradd",       "sed",         "cp",
    "tar",  "rsync", "python_access", "python_copy", "git"};

// Skips unless the image can be made and the inputs written.
// Why these tests cannot run here (a reason to skip); "" when they can.
std::string Precondition() { return DebootstrapPrecondition(CompatRootfs()); }

// Makes the image's rootfs and the inputs; "" on success, else the failure.
std::string MakeRootfsAndInputs() {
  std::string error = MakeCompatRootfs();
  if (!error.empty()) return error;
  CompatInputs(&error);
  return error;
}

// What each scenario prints under runc on every image (a step that fails there
// is a test bug).
void ExpectEveryStepPassed(const Shell& runc, const std::string& scenario) {
  EXPECT_EQ(runc.code, 0) << runc;
  EXPECT_THAT(runc.out, Not(HasSubstr(" FAILED "))) << runc;
  EXPECT_THAT(runc.out, Not(HasSubstr(" differs\n"))) << runc;
  EXPECT_NE(runc.out, "") << scenario << ": " << runc;
}

void ExpectSameAsRunc(const Shell& runsc, const Shell& runc) {
  EXPECT_EQ(runsc.code, runc.code) << "runsc: " << runsc << "\nrunc: " << runc;
  EXPECT_EQ(runsc.out, runc.out) << "runsc: " << runsc << "\nrunc: " << runc;
}

std::string ScenarioName(const ::testing::TestParamInfo<const char*>& info) {
  return info.param;
}

class DebianCompatDockerTest : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    std::string reason = PrepareDocker();
    if (reason.empty()) reason = Precondition();
    if (!reason.empty()) GTEST_SKIP() << reason;
    std::string error = MakeRootfsAndInputs();
    if (error.empty()) error = ImportCompatImage();
    if (!error.empty()) GTEST_FAIL() << error;
  }
};

TEST_P(DebianCompatDockerTest, SameAsRunc) {
  std::vector<std::string> args = {"bash",
                                   fmt::format("/in/{}.sh", GetParam())};
  Shell runc = DockerRun(Runc(), args, "", 300s);
  Shell runsc = DockerRun(Runsc(), args, "", 300s);
  ExpectEveryStepPassed(runc, GetParam());
  ExpectSameAsRunc(runsc, runc);
}
INSTANTIATE_TEST_SUITE_P(Scenarios, DebianCompatDockerTest,
                         ::testing::ValuesIn(kScenarios), ScenarioName);

class DebianCompatBundleTest : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "bundles need root";
    std::string reason = Precondition();
    if (!reason.empty()) GTEST_SKIP() << reason;
    std::string error = MakeRootfsAndInputs();
    if (error.empty()) error = PrivateMounts();
    if (!error.empty()) GTEST_FAIL() << error;
    std::string why;
    dir_ = CompatInputs(&why) + "-" + GetParam();
  }
  std::string dir_;
};

TEST_P(DebianCompatBundleTest, SameAsRunc) {
  std::vector<std::string> args = {"bash",
                                   fmt::format("/in/{}.sh", GetParam())};
  Shell runc = BundleRun(Runc(), dir_ + "-runc", args, {}, 300s);
  Shell runsc = BundleRun(Runsc(), dir_ + "-runsc", args, {}, 300s);
  ExpectEveryStepPassed(runc, GetParam());
  ExpectSameAsRunc(runsc, runc);
}
INSTANTIATE_TEST_SUITE_P(Scenarios, DebianCompatBundleTest,
                         ::testing::ValuesIn(kScenarios), ScenarioName);

}  // namespace
}  // namespace runsc::testing
