#include "platform/self_exe.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gtest/gtest.h"

namespace platform {
namespace {

TEST(SealedSelfExeTest, IsSealedAgainstEveryChange) {
  absl::StatusOr<UniqueFd> exe = SealedSelfExe();
  ASSERT_TRUE(exe.ok()) << exe.status();
  int seals = fcntl(exe->get(), F_GET_SEALS);
  EXPECT_EQ(seals & (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE),
            F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE);
  // Attack: rewrite it, grow it, shrink it, loosen the seals.
  EXPECT_EQ(pwrite(exe->get(), "x", 1, 0), -1);
  EXPECT_EQ(ftruncate(exe->get(), 1), -1);
  EXPECT_EQ(fcntl(exe->get(), F_ADD_SEALS, 0), -1);
  std::string path = "/proc/self/fd/" + std::to_string(exe->get());
  UniqueFd reopened(open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (reopened.valid()) {  // reopening for writing is allowed; writing is not
    EXPECT_EQ(write(reopened.get(), "x", 1), -1);
    EXPECT_EQ(errno, EPERM);
  }
}

TEST(SealedSelfExeTest, HoldsNoMoreThanTheBinaryAndStillRuns) {
  absl::StatusOr<UniqueFd> exe = SealedSelfExe();
  ASSERT_TRUE(exe.ok()) << exe.status();
  struct stat copy, original;
  ASSERT_EQ(fstat(exe->get(), &copy), 0);
  ASSERT_EQ(stat("/proc/self/exe", &original), 0);
  EXPECT_LE(copy.st_size, original.st_size);
  EXPECT_GT(copy.st_size, 0);
  pid_t child = fork();
  if (child == 0) {
    char arg0[] = "self", arg1[] = "--gtest_filter=NoSuchTest.*";
    char* argv[] = {arg0, arg1, nullptr};
    char* envp[] = {nullptr};
    syscall(SYS_execveat, exe->get(), "", argv, envp, AT_EMPTY_PATH);
    _exit(127);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

}  // namespace
}  // namespace platform
