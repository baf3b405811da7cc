#include "runsc/state.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "gtest/gtest.h"
#include "platform/procfs.h"
#include "platform/status_matchers.h"

namespace runsc {
namespace {

using ::platform::testing::IsOk;
using ::platform::testing::StatusIs;
using ::testing::HasSubstr;

class StateStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/runsc-state-test-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    root_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  ContainerState StateOfSelf(const std::string& id) {
    ContainerState state;
    state.id = id;
    state.pid = getpid();
    state.pid_start_time = platform::ReadProcessStat(getpid())->start_time;
    state.cgroup = nlohmann::json::object();
    return state;
  }

  std::string root_;
};

TEST(ContainerIdTest, RuncRules) {
  EXPECT_THAT(ValidateContainerId("abc-1_2+3.x"), IsOk());
  for (const char* bad : {"", ".", "..", "../x", "a/b", "a b", "a\nb"}) {
    EXPECT_THAT(ValidateContainerId(bad), StatusIs(absl::StatusCode::kInvalidArgument, ::testing::_)) << bad;
  }
  EXPECT_THAT(ValidateContainerId("a/b"), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("\"a/b\"")));
}

TEST_F(StateStoreTest, SaveLoadRoundTripAndList) {
  StateStore store(root_);
  auto dir = store.CreateNew("c1");
  ASSERT_THAT(dir, IsOk());
  ContainerState state = StateOfSelf("c1");
  state.annotations["a"] = "b";
  ASSERT_THAT(dir->Save(state), IsOk());
  auto loaded = dir->Load();
  ASSERT_THAT(loaded, IsOk());
  EXPECT_EQ(loaded->pid, state.pid);
  EXPECT_EQ(loaded->annotations.at("a"), "b");
  EXPECT_FALSE(std::filesystem::exists(dir->path() + "/state.json.tmp"));
  EXPECT_EQ(*store.List(), std::vector<std::string>{"c1"});
}

TEST_F(StateStoreTest, DuplicateIdAndMissingIdNameTheId) {
  StateStore store(root_);
  auto first = store.CreateNew("dup");
  ASSERT_THAT(first, IsOk());
  EXPECT_THAT(store.CreateNew("dup"), StatusIs(absl::StatusCode::kAlreadyExists, "container with id dup already exists"));
  EXPECT_THAT(store.Open("nope"), StatusIs(absl::StatusCode::kNotFound, "container does not exist: nope"));
}

TEST_F(StateStoreTest, ConcurrentCreatesExactlyOneWins) {
  StateStore store(root_);
  std::atomic<int> wins = 0;
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      if (store.CreateNew("race").ok()) ++wins;
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(wins, 1);
}

TEST_F(StateStoreTest, StatusFollowsFifoAndProcess) {
  StateStore store(root_);
  auto dir = store.CreateNew("st");
  ASSERT_THAT(dir, IsOk());
  ContainerState state = StateOfSelf("st");
  ASSERT_EQ(mkfifo(dir->exec_fifo().c_str(), 0600), 0);
  EXPECT_EQ(dir->DeriveStatus(state), Status::kCreated);
  unlink(dir->exec_fifo().c_str());
  EXPECT_EQ(dir->DeriveStatus(state), Status::kRunning);
  // The same pid with another start time is a different process: stopped.
  state.pid_start_time += 1;
  EXPECT_EQ(dir->DeriveStatus(state), Status::kStopped);
}

TEST_F(StateStoreTest, ExitedProcessIsStopped) {
  StateStore store(root_);
  auto dir = store.CreateNew("gone");
  ASSERT_THAT(dir, IsOk());
  pid_t child = fork();
  if (child == 0) {
    pause();
    _exit(0);
  }
  ContainerState state = StateOfSelf("gone");
  state.pid = child;
  state.pid_start_time = platform::ReadProcessStat(child)->start_time;
  EXPECT_EQ(dir->DeriveStatus(state), Status::kRunning);
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  EXPECT_EQ(dir->DeriveStatus(state), Status::kStopped);
}

TEST_F(StateStoreTest, RemoveStaleKeepsLiveContainers) {
  StateStore store(root_);
  ASSERT_EQ(mkdir((root_ + "/stale").c_str(), 0700), 0);
  EXPECT_THAT(store.RemoveStale("stale"), IsOk());
  EXPECT_FALSE(std::filesystem::exists(root_ + "/stale"));
  {
    auto dir = store.CreateNew("live");
    ASSERT_THAT(dir, IsOk());
    ASSERT_THAT(dir->Save(StateOfSelf("live")), IsOk());
  }
  EXPECT_THAT(store.RemoveStale("live"), IsOk());
  EXPECT_TRUE(std::filesystem::exists(root_ + "/live/state.json"));
}

TEST(OciStateJsonTest, RuncShape) {
  ContainerState state;
  state.id = "x";
  state.pid = 42;
  nlohmann::json running = OciStateJson(state, Status::kRunning);
  for (const char* key : {"ociVersion", "id", "pid", "status", "bundle", "rootfs", "created", "owner"}) {
    EXPECT_TRUE(running.contains(key)) << key;
  }
  EXPECT_EQ(running["status"], "running");
  EXPECT_EQ(running["pid"], 42);
  EXPECT_EQ(OciStateJson(state, Status::kStopped)["pid"], 0);
}

}  // namespace
}  // namespace runsc
