// Integration tests of process fields: args, env, cwd, user, umask, caps, rlimits, nnp, oom.
#include <string>

#include "tests/integration_test_base.h"

namespace runsc::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;

class ProcessTest : public IntegrationTest {};
RUNSC_INSTANTIATE_FOR_RUNTIMES(ProcessTest);

TEST_P(ProcessTest, ArgsArePassedVerbatim) {
  RunResult result = RunPayload({"/bin/payload", "args", "a", "b c", "", "$HOME"});
  EXPECT_EQ(result.exit_code, 0) << result;
  EXPECT_EQ(result.out, "a\nb c\n\n$HOME\n");
}

TEST_P(ProcessTest, RelativeArgv0IsFoundInPath) {
  RunResult result = RunPayload({"payload", "echo", "found"});
  EXPECT_EQ(result.exit_code, 0) << result;
  EXPECT_EQ(result.out, "found\n");
}

TEST_P(ProcessTest, EnvIsSet) {
  BundleBuilder bundle = NewBundle();
  bundle.Env("IT_VAR=hello world").Args({"/bin/payload", "env", "IT_VAR"});
  RunResult result = RunInBundle(bundle);
  EXPECT_EQ(result.exit_code, 0) << result;
  EXPECT_EQ(result.out, "hello world\n");
}

TEST_P(ProcessTest, CwdIsSet) {
  BundleBuilder bundle = NewBundle();
  bundle.Cwd("/etc").Args({"/bin/payload", "cwd"});
  RunResult result = RunInBundle(bundle);
  EXPECT_EQ(result.exit_code, 0) << result;
  EXPECT_EQ(result.out, "/etc\n");
}

TEST_P(ProcessTest, UserGroupsAndUmask) {
  BundleBuilder bundle = NewBundle();
  bundle.User(1000, 1001, {2000, 3000}).Umask(077).Args(
      {"sh", "-c", "/bin/payload uid; /bin/payload umask; /bin/payload status"});
  RunResult result = RunInBundle(bundle);
  EXPECT_EQ(result.exit_code, 0) << result;
  EXPECT_THAT(result.out, ::testing::StartsWith("1000 1001\n0077\n"));
  EXPECT_THAT(result.out, HasSubstr("Uid:\t1000\t1000\t1000\t1000\n"));
  EXPECT_THAT(result.out, HasSubstr("Gid:\t1001\t1001\t1001\t1001\n"));
  EXPECT_THAT(result.out, HasSubstr("Groups:\t2000 3000"));
}

TEST_P(ProcessTest, DefaultUmaskIs022) {
  RunResult result = RunPayload({"/bin/payload", "umask"});
  EXPECT_EQ(result.exit_code, 0) << result;
  EXPECT_EQ(result.out, "0022\n");
}

TEST_P(ProcessTest, DefaultCapabilitiesAreRuncs) {
  // CAP_AUDIT_WRITE (29), CAP_KILL (5), CAP_NET_BIND_SERVICE (10). The default ambient set
  // cannot be raised because the inheritable set is empty (capabilities(7)), so CapAmb is 0.
  RunResult result = RunPayload({"/bin/payload", "status"});
  EXPECT_EQ(result.exit_code, 0) << result;
  for (const char* set : {"CapPrm", "CapEff", "CapBnd"}) {
    EXPECT_THAT(result.out, HasSubstr(std::string(set) + ":\t0000000020000420\n")) << set;
  }
  EXPECT_THAT(result.out, HasSubstr("CapInh:\t0000000000000000\n"));
  EXPECT_THAT(result.out, HasSubstr("CapAmb:\t0000000000000000\n"));
}

// Sets bounding/permitted = {CHOWN, SYS_ADMIN}, effective/inheritable/ambient = {CHOWN}.
void SetMixedCapabilities(BundleBuilder& bundle) {
  bundle.CapabilitySet("bounding", {"CAP_CHOWN", "CAP_SYS_ADMIN"})
      .CapabilitySet("permitted", {"CAP_CHOWN", "CAP_SYS_ADMIN"})
      .CapabilitySet("effective", {"CAP_CHOWN"})
      .CapabilitySet("inheritable", {"CAP_CHOWN"})
      .CapabilitySet("ambient", {"CAP_CHOWN"})
      .Args({"/bin/payload", "status"});
}

TEST_P(ProcessTest, CapabilitySetsOfANonRootUser) {
  // After execve a non-root process keeps exactly its ambient set as permitted and effective.
  BundleBuilder bundle = NewBundle();
  SetMixedCapabilities(bundle);
  bundle.User(1000, 1000);
  RunResult result = RunInBundle(bundle);
  EXPECT_EQ(result.exit_code, 0) << result;
  EXPECT_THAT(result.out, HasSubstr("CapBnd:\t0000000000200001\n"));
  EXPECT_THAT(result.out, HasSubstr("CapPrm:\t0000000000000001\n"));
  EXPECT_THAT(result.out, HasSubstr("CapEff:\t0000000000000001\n"));
  EXPECT_THAT(result.out, HasSubstr("CapInh:\t0000000000000001\n"));
  EXPECT_THAT(result.out, HasSubstr("CapAmb:\t0000000000000001\n"));
}

TEST_P(ProcessTest, CapabilitySetsOfRoot) {
  // After execve uid 0 gets permitted = effective = inheritable | bounding (capabilities(7)).
  BundleBuilder bundle = NewBundle();
  SetMixedCapabilities(bundle);
  RunResult result = RunInBundle(bundle);
  EXPECT_EQ(result.exit_code, 0) << result;
  EXPECT_THAT(result.out, HasSubstr("CapBnd:\t0000000000200001\n"));
  EXPECT_THAT(result.out, HasSubstr("CapPrm:\t0000000000200001\n"));
  EXPECT_THAT(result.out, HasSubstr("CapEff:\t0000000000200001\n"));
  EXPECT_THAT(result.out, HasSubstr("CapInh:\t0000000000000001\n"));
  EXPECT_THAT(result.out, HasSubstr("CapAmb:\t0000000000000001\n"));
}

TEST_P(ProcessTest, RlimitNofileIsLowered) {
  BundleBuilder bundle = NewBundle();
  bundle.Rlimit("RLIMIT_NOFILE", 100, 200).Args({"/bin/payload", "rlimit", "NOFILE"});
  RunResult result = RunInBundle(bundle);
  EXPECT_EQ(result.exit_code, 0) << result;
  EXPECT_EQ(result.out, "100 200\n");
}

TEST_P(ProcessTest, NoNewPrivileges) {
  for (bool nnp : {true, false}) {
    SCOPED_TRACE(nnp);
    BundleBuilder bundle = NewBundle();
    bundle.NoNewPrivileges(nnp).Args({"/bin/payload", "status"});
    RunResult result = RunInBundle(bundle);
    EXPECT_EQ(result.exit_code, 0) << result;
    EXPECT_THAT(result.out, HasSubstr(nnp ? "NoNewPrivs:\t1\n" : "NoNewPrivs:\t0\n"));
  }
}

TEST_P(ProcessTest, OomScoreAdj) {
  BundleBuilder bundle = NewBundle();
  bundle.OomScoreAdj(523).Args({"/bin/payload", "oom"});
  RunResult result = RunInBundle(bundle);
  EXPECT_EQ(result.exit_code, 0) << result;
  EXPECT_EQ(result.out, "523\n");
}

}  // namespace
}  // namespace runsc::testing
