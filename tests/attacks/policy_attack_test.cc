// Hole 4 of issue 15: --policy must fail closed. A policy that moves a denied
// call to a disposition without a handler ({"unshare": "broker"}: there is no
// broker for unshare) must be refused at create with an error naming the call,
// or at least leave the call failing; it must never let unshare(CLONE_NEWUSER)
// through. --policy is runsc's: under another runtime the test is skipped.
#include <fstream>
#include <string>

#include "tests/attacks/attack_test_base.h"

namespace runsc::testing {
namespace {

using ::testing::HasSubstr;

class PolicyAttackTest : public AttackTest {
 protected:
  void SetUp() override {
    AttackTest::SetUp();
    if (!IsRunsc()) GTEST_SKIP() << "--policy is runsc's; runc has no policy";
  }
};
RUNSC_INSTANTIATE_FOR_RUNTIMES(PolicyAttackTest);

TEST_P(PolicyAttackTest, APolicyBrokeringUnshareNeverLetsItThrough) {
  std::string policy = tmp() + "/policy.json";
  std::ofstream(policy) << R"({"syscalls": {"unshare": "broker"}})";
  BundleBuilder bundle = AttackBundle();
  RunResult result = RunScriptWithFlags(bundle, "/bin/attack unshare unshare",
                                        {"--policy", policy});
  if (Outcome(result.out, "unshare")
          .empty()) {  // refused before the workload ran
    EXPECT_NE(result.exit_code, 0) << result;
    EXPECT_THAT(result.err, HasSubstr("unshare"))
        << "the error names the call\n"
        << result;
  } else {
    EXPECT_TRUE(Refused(result, "unshare"));
  }
}

}  // namespace
}  // namespace runsc::testing
