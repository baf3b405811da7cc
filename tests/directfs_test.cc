// Where brokered calls run (docs/design.md, "Where brokered calls run"):
// with --directfs=true the sentry performs them itself on the gofer's
// donated root, so they no longer wait for the gofer; with --directfs=false
// (the strict mode) every one goes to the gofer. Both modes pass the whole
// brokered-file and attack suites (RUNSC_TEST_DIRECTFS, scripts/test); these
// tests prove which process performs the calls in each mode.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "fmt/format.h"
#include "tests/integration_test_base.h"

namespace runsc::testing {
namespace {

class DirectfsTest : public IntegrationTest {
 protected:
  void SetUp() override {
    IntegrationTest::SetUp();
    if (!IsRunsc())
      GTEST_SKIP() << "--directfs is a runsc flag (runc has no gofer)";
  }

  void TearDown() override {
    if (stopped_gofer_ > 0) kill(stopped_gofer_, SIGCONT);
    IntegrationTest::TearDown();
  }

  // Creates and starts a sleeper with a writable rootfs under `directfs`.
  std::string StartWithDirectfs(const std::string& directfs) {
    BundleBuilder bundle = NewBundle();
    bundle.ReadonlyRoot(false).Args({"/bin/payload", "sleep", "1000"});
    EXPECT_TRUE(bundle.Write().ok());
    rootfs_ = bundle.rootfs();
    const std::string id = NewId();
    RunResult created = rt().Run(
        {"--directfs=" + directfs, "create", "--bundle", bundle.dir(), id});
    EXPECT_EQ(created.exit_code, 0) << created;
    RunResult started = rt().Run({"start", id});
    EXPECT_EQ(started.exit_code, 0) << started;
    return id;
  }

  // SIGSTOPs the container's gofer (SIGCONT again in TearDown).
  void StopGofer(const std::string& id) {
    auto state = nlohmann::json::parse(
        ReadFile(fmt::format("{}/{}/state.json", rt().root(), id)), nullptr,
        false);
    ASSERT_FALSE(state.is_discarded());
    stopped_gofer_ = state.value("gofer_pid", 0);
    ASSERT_GT(stopped_gofer_, 0);
    ASSERT_EQ(kill(stopped_gofer_, SIGSTOP), 0);
  }

  std::string rootfs_;
  pid_t stopped_gofer_ = 0;
};

TEST_P(DirectfsTest, BrokeredCallsDoNotWaitForTheGofer) {
  const std::string id = StartWithDirectfs("true");
  StopGofer(id);
  RunResult made = rt().Run(
      {"exec", id, "sh", "-c",
       "mkdir /made && echo x > /made/f && mv /made/f /made/g && echo done"},
      std::chrono::seconds(20));
  EXPECT_EQ(made.out, "done\n") << made;
  struct stat st;
  EXPECT_EQ(stat((rootfs_ + "/made/g").c_str(), &st), 0)
      << "the write did not reach the host rootfs";
}

// The strict mode: a brokered call is the gofer's to perform, so it waits
// while the gofer is stopped, and completes once it runs again.
TEST_P(DirectfsTest, StrictModeBrokeredCallsWaitForTheGofer) {
  const std::string id = StartWithDirectfs("false");
  StopGofer(id);
  RunResult waiting =
      rt().Run({"exec", id, "sh", "-c", "mkdir /made && echo done"},
               std::chrono::seconds(3));
  EXPECT_TRUE(waiting.timed_out) << waiting;
  ASSERT_EQ(kill(stopped_gofer_, SIGCONT), 0);
  stopped_gofer_ = 0;
  RunResult made =
      rt().Run({"exec", id, "sh", "-c", "[ -d /made ] && echo done"},
               std::chrono::seconds(20));
  EXPECT_EQ(made.out, "done\n") << made;
}

// Device nodes stay the gofer's (the device rules are applied there): in
// directfs a mknod of a device waits for the gofer like any strict call.
TEST_P(DirectfsTest, MknodOfADeviceIsLeftToTheGofer) {
  const std::string id = StartWithDirectfs("true");
  StopGofer(id);
  RunResult waiting =
      rt().Run({"exec", id, "sh", "-c", "mknod /null2 c 1 3; echo done"},
               std::chrono::seconds(3));
  EXPECT_TRUE(waiting.timed_out) << waiting;
}

// A brokered call that blocks (a device mknod, the gofer's, while the gofer
// is stopped) does not hold up another brokered call of the same process:
// the sentry thread that runs the blocked call handed the process's
// listener to another thread first (platform/notify_pool.h).
TEST_P(DirectfsTest, ABlockedBrokeredCallDoesNotHoldUpAnotherOfTheSameProcess) {
  const std::string id = StartWithDirectfs("true");
  StopGofer(id);
  RunResult made = rt().Run(
      {"exec", id, "sh", "-c",
       "mknod /null2 c 1 3 >/dev/null 2>&1 & sleep 1; mkdir /made && echo done"},
      std::chrono::seconds(20));
  EXPECT_EQ(made.out, "done\n") << made;
}

RUNSC_INSTANTIATE_FOR_RUNTIMES(DirectfsTest);

}  // namespace
}  // namespace runsc::testing
