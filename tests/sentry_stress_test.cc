// Stress test of the sentry (label `stress`, not in the quick loop): 8 threads hammer an emulated
// call (uname) while the main thread forks, execs and reaps, for 60 s. No hang (the wait is
// bounded), no lost or wrong reply (the payload counts errors), no crash.
#include <chrono>
#include <string>

#include "fmt/format.h"
#include "tests/integration_test_base.h"

namespace runsc::testing {
namespace {

using ::testing::MatchesRegex;

class SentryStressTest : public IntegrationTest {};
RUNSC_INSTANTIATE_FOR_RUNTIMES(SentryStressTest);

TEST_P(SentryStressTest, HammeringTrappedCallsWhileForkingAndExecingLosesNothing) {
  if (!IsRunsc()) GTEST_SKIP() << "runc has no sentry: nothing is trapped";
  BundleBuilder bundle = NewBundle();
  bundle.Args({"/bin/payload", "hammer", "60", "8"})
      .Hostname("it-sentry-stress")
      .MergePatch({{"linux", {{"resources", {{"pids", {{"limit", 1024}}}}}}}});
  ASSERT_TRUE(bundle.Write().ok());
  auto start = std::chrono::steady_clock::now();
  // A configured release makes the sentry write each answer into the caller (without one the
  // kernel answers uname): the memory path is the one exec and exit race against.
  RunResult result = rt().Run({"--kernel-release", "9.9.9-stress", "run", "--bundle", bundle.dir(), NewId()},
                              std::chrono::seconds(120));
  auto elapsed = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - start);
  RecordProperty("elapsed_s", std::to_string(elapsed.count()));
  RecordProperty("payload_output", result.out);
  EXPECT_FALSE(result.timed_out) << "hung: " << result;
  EXPECT_EQ(result.exit_code, 0) << result;
  EXPECT_THAT(result.out, MatchesRegex("calls=[1-9][0-9]* errors=0\n")) << result;
}

}  // namespace
}  // namespace runsc::testing
