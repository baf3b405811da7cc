// Integration tests of --policy and of the sentry failing closed (runsc only: runc has no sentry).
#include <signal.h>

#include <fstream>
#include <string>

#include "fmt/format.h"
#include "tests/integration_test_base.h"

namespace runsc::testing {
namespace {

using ::testing::HasSubstr;

class SentryPolicyTest : public IntegrationTest {
 protected:
  void SetUp() override {
    IntegrationTest::SetUp();
    if (!IsRunsc()) GTEST_SKIP() << "--policy and the sentry are runsc's; runc has neither";
  }
  std::string WritePolicy(const std::string& text) {
    std::string path = tmp() + "/policy.json";
    std::ofstream(path) << text;
    return path;
  }
};
RUNSC_INSTANTIATE_FOR_RUNTIMES(SentryPolicyTest);

TEST_P(SentryPolicyTest, APolicyDeniesWithItsErrno) {
  std::string policy = WritePolicy(R"({"syscalls": {"getcwd": "deny:EACCES"}})");
  BundleBuilder bundle = NewBundle();
  bundle.Args({"/bin/payload", "cwd"});
  ASSERT_TRUE(bundle.Write().ok());
  RunResult result = rt().Run({"--policy", policy, "run", "--bundle", bundle.dir(), NewId()});
  EXPECT_EQ(result.exit_code, 1) << result;
  EXPECT_THAT(result.out + result.err, HasSubstr("EACCES")) << result;
}

TEST_P(SentryPolicyTest, APolicyNamingAnUnknownSyscallFailsBeforeAnythingStarts) {
  std::string policy = WritePolicy(R"({"syscalls": {"no_such_call": "deny"}})");
  BundleBuilder bundle = NewBundle();
  ASSERT_TRUE(bundle.Write().ok());
  RunResult result = rt().Run({"--policy", policy, "create", "--bundle", bundle.dir(), NewId()});
  ExpectOneLineError(result);
  EXPECT_THAT(result.err, HasSubstr("policy: unknown syscall \"no_such_call\"")) << result;
  ExpectNothingLeft();
}

TEST_P(SentryPolicyTest, AMalformedPolicyIsRefused) {
  std::string policy = WritePolicy(R"({"syscalls": {"getpid": "sometimes"}})");
  BundleBuilder bundle = NewBundle();
  ASSERT_TRUE(bundle.Write().ok());
  RunResult result = rt().Run({"--policy", policy, "create", "--bundle", bundle.dir(), NewId()});
  ExpectOneLineError(result);
  EXPECT_THAT(result.err, HasSubstr("unknown disposition \"sometimes\"")) << result;
  ExpectNothingLeft();
}

// Moving a syscall to "emulate" without an emulation would make the sentry inconsistent (and
// once made it CONTINUE the call: issue 15): the policy is refused before anything starts, naming
// the call. The run-time fault path is DispatcherFatalTest (sentry/dispatcher_test.cc).
TEST_P(SentryPolicyTest, APolicyWithoutAHandlerFailsBeforeAnythingStarts) {
  std::string policy = WritePolicy(R"({"syscalls": {"getppid": "emulate"}})");
  BundleBuilder bundle = NewBundle();
  ASSERT_TRUE(bundle.Write().ok());
  RunResult result = rt().Run({"--policy", policy, "create", "--bundle", bundle.dir(), NewId()});
  ExpectOneLineError(result);
  EXPECT_THAT(result.err, HasSubstr("\"emulate\" has no handler for getppid")) << result;
  ExpectNothingLeft();
}

}  // namespace
}  // namespace runsc::testing

namespace runsc::testing {
namespace {

// A failure after the init exists (here: the sentry cannot open its audit log) must come back as
// one clear error with nothing left, not hang in the rollback.
TEST_P(SentryPolicyTest, ASentryThatCannotStartFailsCreateCleanly) {
  BundleBuilder bundle = NewBundle();
  ASSERT_TRUE(bundle.Write().ok());
  RunResult result =
      rt().Run({"--audit-log", "/proc/no-such-dir/audit.log", "create", "--bundle", bundle.dir(), NewId()});
  EXPECT_FALSE(result.timed_out) << result;
  ExpectOneLineError(result);
  EXPECT_THAT(result.err, HasSubstr("the sentry failed to start: --audit-log /proc/no-such-dir/audit.log")) << result;
  ExpectNothingLeft();
}

}  // namespace
}  // namespace runsc::testing
