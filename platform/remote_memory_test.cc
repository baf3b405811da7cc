#include "platform/remote_memory.h"

#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "platform/status_matchers.h"

namespace platform {
namespace {

using ::platform::testing::IsOk;
using ::testing::_;
using ::testing::Return;
using ::testing::SetErrnoAndReturn;

class MockNotifyIoctls : public NotifyIoctls {
 public:
  MOCK_METHOD(int, Recv, (int, seccomp_notif*), (override));
  MOCK_METHOD(int, Send, (int, const seccomp_notif_resp*), (override));
  MOCK_METHOD(int, IdValid, (int, uint64_t), (override));
  MOCK_METHOD(int, AddFd, (int, const seccomp_notif_addfd*), (override));
  MOCK_METHOD(int, SetFlags, (int, uint64_t), (override));
};

constexpr int kListener = 77;
constexpr uint64_t kId = 0x1234;

// Three pages; the third is unmapped, so reading into it faults.
class Pages {
 public:
  Pages() {
    page_ = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    void* p = mmap(nullptr, 3 * page_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    EXPECT_NE(p, MAP_FAILED);
    base_ = static_cast<char*>(p);
    EXPECT_EQ(munmap(base_ + 2 * page_, page_), 0);
  }
  ~Pages() { munmap(base_, 2 * page_); }
  char* at(size_t offset) { return base_ + offset; }
  size_t page() const { return page_; }
  uint64_t addr(size_t offset) { return reinterpret_cast<uint64_t>(at(offset)); }

 private:
  size_t page_ = 0;
  char* base_ = nullptr;
};

// The same tests read our own memory both ways: process_vm_readv and the
// /proc/<tid>/mem fallback.
class RemoteMemoryTest : public ::testing::TestWithParam<TrappedCallMemory::ReadPath> {
 protected:
  TrappedCallMemory Memory() { return TrappedCallMemory(ioctls_, kListener, kId, getpid(), GetParam()); }
  // process_vm_readv: a check after the read; /proc/<tid>/mem: one after
  // opening, one after the read.
  int ChecksPerRead() const { return GetParam() == TrappedCallMemory::ReadPath::kProcMem ? 2 : 1; }
  MockNotifyIoctls ioctls_;
};

TEST_P(RemoteMemoryTest, ReadChecksTheCallAfterTheRead) {
  const char data[] = "some argument";
  EXPECT_CALL(ioctls_, IdValid(kListener, kId)).Times(ChecksPerRead()).WillRepeatedly(Return(0));
  TrappedCallMemory memory = Memory();
  char out[sizeof(data)] = {};
  ASSERT_THAT(memory.Read(reinterpret_cast<uint64_t>(data), out, sizeof(out)), IsOk());
  EXPECT_STREQ(out, data);
  EXPECT_FALSE(memory.call_gone());
}

TEST_P(RemoteMemoryTest, ReadOfAGoneCallIsAnErrorEvenWhenTheBytesWereThere) {
  const char data[] = "secret of another process";
  EXPECT_CALL(ioctls_, IdValid(kListener, kId)).WillRepeatedly(SetErrnoAndReturn(ENOENT, -1));
  TrappedCallMemory memory = Memory();
  char out[sizeof(data)] = {};
  absl::Status status = memory.Read(reinterpret_cast<uint64_t>(data), out, sizeof(out));
  EXPECT_TRUE(IsCallGone(status)) << status;
  EXPECT_TRUE(memory.call_gone());
}

TEST_P(RemoteMemoryTest, ReadOfUnmappedMemoryIsEfault) {
  Pages pages;
  EXPECT_CALL(ioctls_, IdValid(kListener, kId)).WillRepeatedly(Return(0));
  TrappedCallMemory memory = Memory();
  char out[16];
  absl::Status status = memory.Read(pages.addr(2 * pages.page() - 8), out, sizeof(out));
  ASSERT_FALSE(status.ok());
  EXPECT_FALSE(IsCallGone(status)) << status;
  EXPECT_EQ(WorkloadErrno(status), EFAULT) << status;
}

TEST_P(RemoteMemoryTest, CStringAcrossAPageBoundaryIsReadInTwoCheckedChunks) {
  Pages pages;
  std::string text(100, 'x');
  size_t start = pages.page() - 10;
  memcpy(pages.at(start), text.c_str(), text.size() + 1);
  // One chunk up to the page end, one in the next page: a check after each.
  EXPECT_CALL(ioctls_, IdValid(kListener, kId))
      .Times(2 * ChecksPerRead())
      .WillRepeatedly(Return(0));
  TrappedCallMemory memory = Memory();
  absl::StatusOr<std::string> read = memory.ReadCString(pages.addr(start), 4096);
  ASSERT_THAT(read, IsOk());
  EXPECT_EQ(*read, text);
}

TEST_P(RemoteMemoryTest, CStringEndingRightBeforeAnUnmappedPageReads) {
  Pages pages;
  size_t start = 2 * pages.page() - 6;
  memcpy(pages.at(start), "tail\0", 6);
  EXPECT_CALL(ioctls_, IdValid(kListener, kId)).WillRepeatedly(Return(0));
  TrappedCallMemory memory = Memory();
  absl::StatusOr<std::string> read = memory.ReadCString(pages.addr(start), 4096);
  ASSERT_THAT(read, IsOk());
  EXPECT_EQ(*read, "tail");
}

TEST_P(RemoteMemoryTest, CStringRunningIntoAnUnmappedPageIsEfault) {
  Pages pages;
  memset(pages.at(pages.page()), 'y', pages.page());
  EXPECT_CALL(ioctls_, IdValid(kListener, kId)).WillRepeatedly(Return(0));
  TrappedCallMemory memory = Memory();
  absl::StatusOr<std::string> read = memory.ReadCString(pages.addr(pages.page() + 100), 1 << 20);
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(WorkloadErrno(read.status()), EFAULT) << read.status();
}

TEST_P(RemoteMemoryTest, CStringLimitCountsTheNul) {
  Pages pages;
  memset(pages.at(0), 'a', 2 * pages.page());
  pages.at(0)[4095] = '\0';  // a string of 4095 characters fits PATH_MAX
  EXPECT_CALL(ioctls_, IdValid(kListener, kId)).WillRepeatedly(Return(0));
  TrappedCallMemory memory = Memory();
  absl::StatusOr<std::string> fits = memory.ReadCString(pages.addr(0), 4096);
  ASSERT_THAT(fits, IsOk());
  EXPECT_EQ(fits->size(), 4095u);

  pages.at(0)[4095] = 'a';
  pages.at(0)[4096] = '\0';  // 4096 characters do not
  absl::StatusOr<std::string> too_long = memory.ReadCString(pages.addr(0), 4096);
  ASSERT_FALSE(too_long.ok());
  EXPECT_FALSE(IsCallGone(too_long.status()));
  EXPECT_EQ(WorkloadErrno(too_long.status()), ENAMETOOLONG) << too_long.status();

  absl::StatusOr<std::string> much_too_long = memory.ReadCString(pages.addr(10), 100);
  EXPECT_EQ(WorkloadErrno(much_too_long.status()), ENAMETOOLONG) << much_too_long.status();
}

TEST_P(RemoteMemoryTest, CStringOfAGoneCallStopsAtTheFirstChunk) {
  Pages pages;
  memset(pages.at(0), 'z', pages.page());
  pages.at(pages.page())[0] = '\0';
  EXPECT_CALL(ioctls_, IdValid(kListener, kId)).WillOnce(SetErrnoAndReturn(ENOENT, -1));
  TrappedCallMemory memory = Memory();
  absl::StatusOr<std::string> read = memory.ReadCString(pages.addr(0), 8192);
  EXPECT_TRUE(IsCallGone(read.status())) << read.status();
}

INSTANTIATE_TEST_SUITE_P(ReadPaths, RemoteMemoryTest,
                         ::testing::Values(TrappedCallMemory::ReadPath::kProcessVm,
                                           TrappedCallMemory::ReadPath::kProcMem),
                         [](const auto& info) {
                           return info.param == TrappedCallMemory::ReadPath::kProcMem
                                      ? std::string("ProcMem")
                                      : std::string("ProcessVm");
                         });

TEST(RemoteMemoryWriteTest, WritesAfterOneCheckOfTheOpenedFile) {
  MockNotifyIoctls ioctls;
  // Once, after opening /proc/<tid>/mem: the fd then pins the target's
  // address space for every write of this call.
  EXPECT_CALL(ioctls, IdValid(kListener, kId)).Times(1).WillRepeatedly(Return(0));
  TrappedCallMemory memory(ioctls, kListener, kId, getpid());
  char target[16] = "before";
  char second[8] = "one";
  const char data[] = "after";
  ASSERT_THAT(memory.Write(reinterpret_cast<uint64_t>(target), data, sizeof(data)), IsOk());
  ASSERT_THAT(memory.Write(reinterpret_cast<uint64_t>(second), "two", 4), IsOk());
  EXPECT_STREQ(target, "after");
  EXPECT_STREQ(second, "two");
}

size_t OpenFdCount() {
  size_t n = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
  return n;
}

TEST(RemoteMemoryWriteTest, TheWriteFdClosesWithTheCall) {
  MockNotifyIoctls ioctls;
  EXPECT_CALL(ioctls, IdValid(kListener, kId)).WillRepeatedly(Return(0));
  const size_t before = OpenFdCount();
  {
    TrappedCallMemory memory(ioctls, kListener, kId, getpid());
    char target[4] = "";
    ASSERT_THAT(memory.Write(reinterpret_cast<uint64_t>(target), "ab", 3), IsOk());
    EXPECT_EQ(OpenFdCount(), before + 1);  // kept until the call is answered
  }
  EXPECT_EQ(OpenFdCount(), before);
}

TEST(RemoteMemoryWriteTest, NothingIsWrittenForAGoneCall) {
  MockNotifyIoctls ioctls;
  EXPECT_CALL(ioctls, IdValid(kListener, kId)).WillOnce(SetErrnoAndReturn(ENOENT, -1));
  TrappedCallMemory memory(ioctls, kListener, kId, getpid());
  char target[16] = "before";
  absl::Status status = memory.Write(reinterpret_cast<uint64_t>(target), "after", 6);
  EXPECT_TRUE(IsCallGone(status)) << status;
  EXPECT_STREQ(target, "before");
}

TEST(RemoteMemoryWriteTest, WriteToUnmappedMemoryIsEfault) {
  Pages pages;
  MockNotifyIoctls ioctls;
  EXPECT_CALL(ioctls, IdValid(kListener, kId)).WillRepeatedly(Return(0));
  TrappedCallMemory memory(ioctls, kListener, kId, getpid());
  absl::Status status = memory.Write(pages.addr(2 * pages.page()), "x", 1);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(WorkloadErrno(status), EFAULT) << status;
}

TEST(RemoteMemoryWriteTest, InvisibleThreadIsEfault) {
  MockNotifyIoctls ioctls;
  EXPECT_CALL(ioctls, IdValid(kListener, kId)).WillRepeatedly(Return(0));
  TrappedCallMemory memory(ioctls, kListener, kId, /*tid=*/0);
  char out[4];
  EXPECT_EQ(WorkloadErrno(memory.Read(reinterpret_cast<uint64_t>(out), out, 4)), EFAULT);
  EXPECT_EQ(WorkloadErrno(memory.Write(reinterpret_cast<uint64_t>(out), "abc", 4)), EFAULT);
}

TEST(RemoteMemoryErrorsTest, PlainStatusesAreNotGoneAndDefaultToEfault) {
  EXPECT_FALSE(IsCallGone(absl::OkStatus()));
  EXPECT_FALSE(IsCallGone(absl::InternalError("x")));
  EXPECT_TRUE(IsCallGone(CallGoneError(5)));
  EXPECT_EQ(WorkloadErrno(absl::InternalError("x")), EFAULT);
}

}  // namespace
}  // namespace platform
