#include "platform/procfs.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gtest/gtest.h"
#include "platform/status_matchers.h"

namespace platform {
namespace {

using ::platform::testing::IsOk;
using ::platform::testing::StatusIs;

TEST(ProcfsTest, ReadsOwnStat) {
  absl::StatusOr<ProcessStat> stat = ReadProcessStat(getpid());
  ASSERT_THAT(stat, IsOk());
  EXPECT_EQ(stat->state, 'R');
  EXPECT_GT(stat->start_time, 0u);
  EXPECT_TRUE(IsSameLiveProcess(getpid(), stat->start_time));
  EXPECT_FALSE(IsSameLiveProcess(getpid(), stat->start_time + 1));  // a "reused" pid
}

TEST(ProcfsTest, ZombieAndGoneAreNotLive) {
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) _exit(0);
  // Wait until it is a zombie without reaping it.
  siginfo_t info;
  ASSERT_EQ(waitid(P_PID, child, &info, WEXITED | WNOWAIT), 0);
  absl::StatusOr<ProcessStat> stat = ReadProcessStat(child);
  ASSERT_THAT(stat, IsOk());
  EXPECT_EQ(stat->state, 'Z');
  EXPECT_FALSE(IsSameLiveProcess(child, stat->start_time));
  ASSERT_EQ(waitpid(child, nullptr, 0), child);
  EXPECT_THAT(ReadProcessStat(child), StatusIs(absl::StatusCode::kNotFound, ::testing::HasSubstr("stat")));
}

}  // namespace
}  // namespace platform
