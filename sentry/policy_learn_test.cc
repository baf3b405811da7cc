#include "sentry/policy_learn.h"

#include <seccomp.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include <cstdlib>
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sentry/config.h"
#include "sentry/policy_learn_diff.h"

namespace sentry {
namespace {

using ::testing::Contains;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::Not;

std::array<uint64_t, 6> Args(uint64_t a0 = 0, uint64_t a1 = 0,
                             uint64_t a2 = 0) {
  return {a0, a1, a2, 0, 0, 0};
}

const SyscallEntry& Row(const char* name) { return *FindSyscall(name); }

// Counts what it is handed, and answers EIO.
class CountingHandler : public platform::CallHandler {
 public:
  platform::CallResult Handle(const platform::TrappedCall&,
                              platform::RemoteMemory&) override {
    ++handled;
    return platform::CallResult::Error(EIO);
  }
  int handled = 0;
};

class NoMemory : public platform::RemoteMemory {
 public:
  absl::Status Read(uint64_t, void*, size_t) override {
    return absl::InternalError("no memory");
  }
  absl::StatusOr<std::string> ReadCString(uint64_t, size_t) override {
    return absl::InternalError("no memory");
  }
  absl::Status Write(uint64_t, const void*, size_t) override {
    return absl::InternalError("no memory");
  }
  absl::Status CheckLive() override { return absl::OkStatus(); }
};

TEST(PolicyLearnTest, TheClassIsTheArgumentsTheRulesLookAt) {
  EXPECT_EQ(ArgClass(Row("read"), Args(3, 0x1000, 10)), "");
  EXPECT_EQ(
      ArgClass(Row("socket"), Args(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 6)),
      "arg0=0x2 arg1&0xf=0x1 arg2=0x6");
  EXPECT_EQ(ArgClass(Row("ioctl"), Args(1, 0x5401, 0x7ffd0000)), "arg1=0x5401");
  EXPECT_EQ(ArgClass(Row("prctl"), Args(15)), "arg0=0xf");
}

TEST(PolicyLearnTest, WhatWasNotUsedIsDeniedAndTheRestKept) {
  Policy policy;
  PolicyLearner learner(policy, "c1");
  learner.Record(Row("read"), Args(), Disposition::kPassthrough, 0);
  learner.Record(Row("socket"), Args(AF_UNIX, SOCK_STREAM),
                 Disposition::kPassthrough, 0);
  const nlohmann::json learned = learner.LearnedPolicy();
  const nlohmann::json& syscalls = learned["syscalls"];
  EXPECT_EQ(syscalls.value("getcpu", ""), "deny");
  EXPECT_EQ(syscalls.value("uname", ""), "deny");
  EXPECT_FALSE(syscalls.contains("read"));
  EXPECT_FALSE(syscalls.contains("socket"));
  EXPECT_FALSE(syscalls.contains("keyctl")) << "already denied by the table";
  EXPECT_FALSE(syscalls.contains("clone3"))
      << "already denied (ENOSYS) by the table";
  for (const std::string& kept : RuntimeCalls())
    EXPECT_FALSE(syscalls.contains(kept)) << kept;
  EXPECT_EQ(
      learned["learned"]["used"]["socket"],
      nlohmann::json({{"arg0=0x1 arg1&0xf=0x1 arg2=0x0", "passthrough"}}));
  EXPECT_EQ(learned["learned"]["container"], "c1");
}

TEST(PolicyLearnTest, ARowWhoseEveryCallWasDeniedKeepsThatErrno) {
  Policy policy;
  PolicyLearner learner(policy);
  learner.Record(Row("socket"), Args(AF_PACKET, SOCK_RAW), Disposition::kDeny,
                 EPERM);
  learner.Record(Row("socketpair"), Args(AF_INET), Disposition::kDeny,
                 EOPNOTSUPP);
  learner.Record(Row("socketpair"), Args(AF_UNIX), Disposition::kPassthrough,
                 0);
  const nlohmann::json syscalls = learner.LearnedPolicy()["syscalls"];
  EXPECT_EQ(syscalls.value("socket", ""), "deny:EPERM");
  EXPECT_FALSE(syscalls.contains("socketpair")) << "one class ran";
}

TEST(PolicyLearnTest, TheLearnedPolicyLoadsAndItsDiffNamesTheRemovedCalls) {
  Policy policy;
  PolicyLearner learner(policy);
  learner.Record(Row("read"), Args(), Disposition::kPassthrough, 0);
  SandboxConfig config;
  config.policy = learner.LearnedPolicy();
  absl::StatusOr<Policy> learned = config.BuildPolicy();
  ASSERT_TRUE(learned.ok()) << learned.status();
  PolicyDiff diff = DiffAgainstDefault(*learned);
  EXPECT_THAT(diff.removed, Contains(Field(&RowChange::name, "getcpu")));
  EXPECT_THAT(diff.removed, Not(Contains(Field(&RowChange::name, "read"))));
  EXPECT_TRUE(diff.added.empty());
  EXPECT_THAT(FormatPolicyDiff(diff, "policy p.json"), HasSubstr("getcpu"));
}

TEST(PolicyLearnTest, TheDiffSortsMovesByWhatTheyDo) {
  SandboxConfig config;
  config.policy = {{"syscalls",
                    {{"keyctl", "passthrough"},
                     {"uname", "passthrough"},
                     {"getpid", "deny"}}}};
  absl::StatusOr<Policy> policy = config.BuildPolicy();
  ASSERT_TRUE(policy.ok()) << policy.status();
  PolicyDiff diff = DiffAgainstDefault(*policy);
  ASSERT_EQ(diff.added.size(), 1u);
  EXPECT_EQ(diff.added[0].name, "keyctl");
  EXPECT_EQ(diff.added[0].from, "deny EPERM");
  ASSERT_EQ(diff.removed.size(), 1u);
  EXPECT_EQ(diff.removed[0].name, "getpid");
  ASSERT_EQ(diff.changed.size(), 1u);
  EXPECT_EQ(diff.changed[0].name, "uname");
  EXPECT_TRUE(DiffAgainstDefault(Policy()).removed.empty());
}

TEST(PolicyLearnTest, AWorkloadCannotGrowTheRecordWithoutBound) {
  Policy policy;
  PolicyLearner learner(policy);
  for (uint64_t request = 0; request < 1000; ++request) {
    learner.Record(Row("ioctl"), Args(1, request), Disposition::kPassthrough,
                   0);
  }
  EXPECT_EQ(learner.LearnedPolicy()["learned"]["used"]["ioctl"].size(), 257u);
}

TEST(PolicyLearnTest, LearnModeTrapsWhatWouldPassButTheInitsOwnCalls) {
  EXPECT_EQ(LearnModeAction(Row("read"), SCMP_ACT_ALLOW, SCMP_ACT_NOTIFY),
            SCMP_ACT_NOTIFY);
  EXPECT_EQ(LearnModeAction(Row("sendmsg"), SCMP_ACT_ALLOW, SCMP_ACT_NOTIFY),
            SCMP_ACT_ALLOW);
  EXPECT_EQ(
      LearnModeAction(Row("keyctl"), SCMP_ACT_ERRNO(EPERM), SCMP_ACT_NOTIFY),
      SCMP_ACT_ERRNO(EPERM));
  EXPECT_EQ(LearnModeAction(Row("uname"), SCMP_ACT_NOTIFY, SCMP_ACT_NOTIFY),
            SCMP_ACT_NOTIFY);
}

TEST(PolicyLearnTest, TheHandlerContinuesWhatWouldPassAndHandsOnTheRest) {
  Policy policy;
  PolicyLearner learner(policy);
  CountingHandler next;
  LearningHandler handler(policy, learner, next);
  NoMemory memory;
  platform::TrappedCall call;
  call.nr = SYS_getcpu;
  EXPECT_EQ(handler.Handle(call, memory).kind(),
            platform::CallResult::Kind::kContinue);
  call.nr = SYS_uname;
  EXPECT_EQ(handler.Handle(call, memory).kind(),
            platform::CallResult::Kind::kError);
  call.nr = SYS_socket;
  call.args = Args(AF_PACKET, SOCK_RAW);
  EXPECT_EQ(handler.Handle(call, memory).kind(),
            platform::CallResult::Kind::kError);
  EXPECT_EQ(next.handled, 2);
  const nlohmann::json used = learner.LearnedPolicy()["learned"]["used"];
  EXPECT_EQ(used["getcpu"][""], "passthrough");
  EXPECT_EQ(used["uname"][""], "emulate");
  EXPECT_EQ(used["socket"].begin().value(), "deny:EPERM");
}

TEST(PolicyLearnTest, FileIsATemplateOrADirectory) {
  EXPECT_EQ(LearnedPolicyPath("/var/log/learn-%ID%.json", "abc"),
            "/var/log/learn-abc.json");
  EXPECT_EQ(LearnedPolicyPath("/no/such/dir/", "abc"), "/no/such/dir/abc.json");
  EXPECT_EQ(LearnedPolicyPath("/tmp", "abc"), "/tmp/abc.json");
  EXPECT_EQ(LearnedPolicyPath("/tmp/one.json", "abc"), "/tmp/one.json");
}

TEST(PolicyLearnTest, AnUnwritablePlaceIsNamedAndNothingIsCreated) {
  absl::Status missing =
      CheckLearnedPolicyPath("/proc/no-such-dir/%ID%.json", "abc");
  EXPECT_THAT(std::string(missing.message()),
              HasSubstr("--policy-learn /proc/no-such-dir/abc.json"));
  absl::Status relative = CheckLearnedPolicyPath("learned.json", "abc");
  EXPECT_THAT(std::string(relative.message()),
              HasSubstr("must be an absolute path"));
  char dir[] = "/tmp/policy-learn-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  EXPECT_TRUE(
      CheckLearnedPolicyPath(std::string(dir) + "/%ID%.json", "abc").ok());
  EXPECT_FALSE(std::ifstream(std::string(dir) + "/abc.json").good())
      << "the check creates nothing";
  rmdir(dir);
}

}  // namespace
}  // namespace sentry
