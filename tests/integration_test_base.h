// IntegrationTest: the fixture of every integration test, parameterised over the runtimes.
#ifndef RUNSC_TESTS_INTEGRATION_TEST_BASE_H_
#define RUNSC_TESTS_INTEGRATION_TEST_BASE_H_

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/bundle_builder.h"
#include "tests/leftovers.h"
#include "tests/runtime.h"

namespace runsc::testing {

// Gives each test a private temp dir (/tmp/runsc-it-XXXXXX) holding --root, bundles and output;
// makes the test process a child subreaper (as the containerd shim is); tears down with
// `delete --force` of every container and then checks that nothing is left behind.
class IntegrationTest : public ::testing::TestWithParam<RuntimeConfig> {
 protected:
  void SetUp() override;
  void TearDown() override;

  // The runtime driver of this test.
  Runtime& rt() { return *runtime_; }
  // True if the runtime under test is runsc (for runsc-specific assertions).
  bool IsRunsc() const { return runsc::testing::IsRunsc(GetParam()); }
  // A fresh container id unique to this test.
  std::string NewId();
  // A fresh bundle builder in a new directory of the test, with a unique cgroupsPath.
  BundleBuilder NewBundle();
  // The test's private temp dir.
  const std::string& tmp() const { return tmp_; }

  // Writes `bundle` and runs it in the foreground as `id` (a fresh id if empty).
  RunResult RunInBundle(BundleBuilder& bundle, std::string id = "");
  // Writes `bundle` and runs it with `args` as the process args; returns the result.
  RunResult RunPayload(std::vector<std::string> args);
  // Writes `bundle` and creates `id` from it; EXPECTs success.
  void CreateOrDie(BundleBuilder& bundle, const std::string& id);
  // Creates `id` from a bundle sleeping forever and starts it; EXPECTs success.
  void StartSleeper(const std::string& id);
  // `state` of `id` parsed as JSON, or an error with the runtime's output.
  absl::StatusOr<nlohmann::json> State(const std::string& id);
  // Polls `state` until its status is `status` (bounded); true on success.
  bool WaitForStatus(const std::string& id, const std::string& status);
  // EXPECTs that no state dir, process, mount or cgroup of this test remains, except `keep_ids`.
  void ExpectNothingLeft(const std::vector<std::string>& keep_ids = {});

  // Asserts the shape of a runtime failure: exit 1, and a one-line error on stderr.
  static void ExpectOneLineError(const RunResult& result);

 private:
  std::string tmp_;
  std::string suffix_;
  std::unique_ptr<Runtime> runtime_;
  std::vector<std::string> cgroup_paths_;
  int counter_ = 0;
};

// The lines of `text` (a runtime's or payload's output).
std::vector<std::string> Lines(const std::string& text);

// Parses "key=value key=value ..." (one payload line) into numbers.
std::map<std::string, long long> KeyValues(const std::string& line);

// Instantiates a TEST_P suite over RuntimesUnderTest().
#define RUNSC_INSTANTIATE_FOR_RUNTIMES(suite)                                       \
  INSTANTIATE_TEST_SUITE_P(Runtimes, suite,                                        \
                           ::testing::ValuesIn(::runsc::testing::RuntimesUnderTest()), \
                           [](const auto& info) { return info.param.name; })

}  // namespace runsc::testing

#endif  // RUNSC_TESTS_INTEGRATION_TEST_BASE_H_
