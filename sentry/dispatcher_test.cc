#include "sentry/dispatcher.h"

#include <errno.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstring>
#include <variant>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace sentry {
namespace {

using platform::CallResult;
using ::testing::_;
using ::testing::Invoke;
using ::testing::Return;

class MockMemory : public platform::RemoteMemory {
 public:
  MOCK_METHOD(absl::Status, Read, (uint64_t addr, void* out, size_t len), (override));
  MOCK_METHOD(absl::StatusOr<std::string>, ReadCString, (uint64_t addr, size_t max_len), (override));
  MOCK_METHOD(absl::Status, Write, (uint64_t addr, const void* data, size_t len), (override));
  MOCK_METHOD(absl::Status, CheckLive, (), (override));
};

platform::TrappedCall Call(int nr, std::array<uint64_t, 6> args = {}) {
  platform::TrappedCall call;
  call.id = 1;
  call.tid = 4242;
  call.nr = nr;
  call.args = args;
  return call;
}

class DispatcherTest : public ::testing::Test {
 protected:
  DispatcherTest() {
    config_.kernel_release = "9.9.9-test";
    view_.id = "test";
    view_.init_pid = getpid();
    view_.own_uts = true;
    emulator_ = std::make_unique<Emulator>(config_, view_, std::nullopt);
    log_ = *CallLog::Create("test", /*strace=*/true, "");
    dispatcher_ = std::make_unique<Dispatcher>(policy_, *emulator_, *log_);
  }
  SandboxConfig config_;
  ContainerView view_;
  Policy policy_;
  std::unique_ptr<Emulator> emulator_;
  std::unique_ptr<CallLog> log_;
  std::unique_ptr<Dispatcher> dispatcher_;
  MockMemory memory_;
};

TEST_F(DispatcherTest, UnameIsWrittenWithTheConfiguredRelease) {
  struct utsname written {};
  EXPECT_CALL(memory_, Write(0x1000, _, sizeof(struct utsname))).WillOnce(Invoke([&](uint64_t, const void* data, size_t len) {
    memcpy(&written, data, len);
    return absl::OkStatus();
  }));
  CallResult result = dispatcher_->Handle(Call(SYS_uname, {0x1000}), memory_);
  ASSERT_EQ(result.kind(), CallResult::Kind::kValue);
  EXPECT_EQ(result.value(), 0);
  EXPECT_STREQ(written.release, "9.9.9-test");
  struct utsname ours;
  uname(&ours);
  EXPECT_STREQ(written.nodename, ours.nodename);
  EXPECT_EQ(log_->Stats()["dispositions"]["emulate"], 1);
}

TEST_F(DispatcherTest, UnameWithoutAConfiguredReleaseIsTheKernelsOwn) {
  SandboxConfig plain;  // no --kernel-release
  Emulator emulator(plain, view_, std::nullopt);
  Dispatcher dispatcher(policy_, emulator, *log_);
  EXPECT_CALL(memory_, Write(_, _, _)).Times(0);
  CallResult result = dispatcher.Handle(Call(SYS_uname, {0x1000}), memory_);
  EXPECT_EQ(result.kind(), CallResult::Kind::kContinue);
  EXPECT_EQ(log_->Stats()["dispositions"]["emulate"], 1);  // still counted and logged
}

TEST_F(DispatcherTest, ACallThatDiedMidWriteGetsTheMemorysErrno) {
  EXPECT_CALL(memory_, Write(_, _, _)).WillOnce(Return(absl::NotFoundError("call gone")));
  CallResult result = dispatcher_->Handle(Call(SYS_uname, {0x1000}), memory_);
  ASSERT_EQ(result.kind(), CallResult::Kind::kError);
  EXPECT_EQ(result.error(), platform::WorkloadErrno(absl::NotFoundError("call gone")));
}

TEST_F(DispatcherTest, AFaultingBufferIsEfault) {
  EXPECT_CALL(memory_, Write(_, _, _)).WillOnce(Return(absl::InvalidArgumentError("bad address")));
  CallResult result = dispatcher_->Handle(Call(SYS_sysinfo, {0x10}), memory_);
  ASSERT_EQ(result.kind(), CallResult::Kind::kError);
  EXPECT_EQ(result.error(), platform::WorkloadErrno(absl::InvalidArgumentError("bad address")));
}

TEST_F(DispatcherTest, SysinfoUptimeCountsFromTheInit) {
  struct sysinfo written {};
  EXPECT_CALL(memory_, Write(_, _, sizeof(struct sysinfo))).WillOnce(Invoke([&](uint64_t, const void* data, size_t len) {
    memcpy(&written, data, len);
    return absl::OkStatus();
  }));
  ASSERT_EQ(dispatcher_->Handle(Call(SYS_sysinfo, {0x2000}), memory_).kind(), CallResult::Kind::kValue);
  struct sysinfo host;
  sysinfo(&host);
  EXPECT_LE(written.uptime, host.uptime);  // this test process started after boot
  EXPECT_EQ(written.totalram, host.totalram);  // no cgroup: the host's memory
}

TEST_F(DispatcherTest, DeniedCallsGetTheRowsErrnoAndAreCounted) {
  EXPECT_CALL(memory_, Write(_, _, _)).Times(0);
  CallResult keyctl = dispatcher_->Handle(Call(SYS_keyctl), memory_);
  ASSERT_EQ(keyctl.kind(), CallResult::Kind::kError);
  EXPECT_EQ(keyctl.error(), EPERM);
  CallResult unknown = dispatcher_->Handle(Call(777), memory_);
  ASSERT_EQ(unknown.kind(), CallResult::Kind::kError);
  EXPECT_EQ(unknown.error(), ENOSYS);
  nlohmann::json stats = log_->Stats();
  EXPECT_EQ(stats["syscalls"]["keyctl"]["deny"], 1);
  EXPECT_EQ(stats["dispositions"]["deny"], 2);
}

TEST_F(DispatcherTest, RegisterRulesDecideConditionalRows) {
  // socket(AF_PACKET, SOCK_RAW, 0) is denied; AF_INET stream passes (never trapped: refused if it is).
  CallResult packet = dispatcher_->Handle(Call(SYS_socket, {17, 3, 0}), memory_);
  ASSERT_EQ(packet.kind(), CallResult::Kind::kError);
  EXPECT_EQ(packet.error(), EPERM);
  const SyscallEntry* socket_row = FindSyscall("socket");
  ASSERT_NE(socket_row, nullptr);
  EXPECT_EQ(Decide(*socket_row, {2, 1, 0}).disposition, Disposition::kPassthrough);
  // 32-bit arguments: junk in the upper half does not change the answer.
  EXPECT_EQ(Decide(*socket_row, {0xffffffff00000011ull, 3, 0}).disposition, Disposition::kDeny);
}

TEST_F(DispatcherTest, APassthroughCallThatWasTrappedIsRefusedNotContinued) {
  CallResult result = dispatcher_->Handle(Call(SYS_getpid), memory_);
  EXPECT_EQ(result.kind(), CallResult::Kind::kError);
}

TEST_F(DispatcherTest, SethostnameContinuesOnlyInAnOwnUtsNamespace) {
  EXPECT_EQ(dispatcher_->Handle(Call(SYS_sethostname, {0x1000, 4}), memory_).kind(), CallResult::Kind::kContinue);
  view_.own_uts = false;
  Emulator shared(config_, view_, std::nullopt);
  Dispatcher dispatcher(policy_, shared, *log_);
  CallResult result = dispatcher.Handle(Call(SYS_sethostname, {0x1000, 4}), memory_);
  ASSERT_EQ(result.kind(), CallResult::Kind::kError);
  EXPECT_EQ(result.error(), EPERM);
}

TEST(CallLogTest, FormatArgsDropsTrailingZeros) {
  platform::TrappedCall call;
  call.args = {1, 0x20, 0, 0, 0, 0};
  EXPECT_EQ(FormatArgs(call), "0x1, 0x20");
  call.args = {};
  EXPECT_EQ(FormatArgs(call), "");
}

}  // namespace
}  // namespace sentry

namespace sentry {
namespace {

// A policy whose row `name` has `disposition`, which Override may refuse.
Policy PolicyWith(const std::string& name, Disposition disposition) {
  std::vector<SyscallEntry> entries = SyscallTable();
  for (SyscallEntry& entry : entries) {
    if (entry.name != name) continue;
    entry.disposition = disposition;
    entry.rules.clear();
  }
  return Policy::ForTesting(std::move(entries));
}

TEST(DispatcherFatalTest, AnInconsistentSentryStopsTheContainer) {
  SandboxConfig config;
  ContainerView view;
  view.init_pid = getpid();
  Policy policy = PolicyWith("getppid", Disposition::kEmulate);
  Emulator emulator(config, view, std::nullopt);
  std::unique_ptr<CallLog> log = *CallLog::Create("test", false, "");
  std::vector<std::string> reasons;
  Dispatcher dispatcher(policy, emulator, *log, [&](const std::string& reason) { reasons.push_back(reason); });
  MockMemory memory;
  platform::TrappedCall call;
  call.nr = SYS_getppid;
  EXPECT_EQ(dispatcher.Handle(call, memory).kind(), platform::CallResult::Kind::kError);
  call.nr = SYS_getpid;
  EXPECT_EQ(dispatcher.Handle(call, memory).kind(), platform::CallResult::Kind::kError);
  EXPECT_THAT(reasons, ::testing::ElementsAre("getppid was trapped as emulate, but the sentry has no handler for it",
                                            "passthrough call getpid was trapped"));
}

// DESIGN.md rule 6: a trapped broker or emulate row without a handler is a
// sandbox fault (refused, logged, the container stopped), never CONTINUE.
TEST(DispatcherFatalTest, ATrappedRowWithoutAHandlerFaults) {
  SandboxConfig config;
  ContainerView view;
  view.init_pid = getpid();
  Emulator emulator(config, view, std::nullopt);
  std::unique_ptr<CallLog> log = *CallLog::Create("test", false, "");
  Broker broker(nullptr, BrokerOptions{});
  MockMemory memory;
  const std::pair<std::string, Disposition> kRows[] = {
      {"unshare", Disposition::kBroker}, {"keyctl", Disposition::kEmulate}, {"getpid", Disposition::kBroker}};
  for (const auto& [name, disposition] : kRows) {
    Policy policy = PolicyWith(name, disposition);
    std::vector<std::string> reasons;
    Dispatcher dispatcher(policy, emulator, *log, [&](const std::string& reason) { reasons.push_back(reason); },
                          &broker);
    platform::TrappedCall call;
    call.nr = *SyscallNumber(name);
    CallResult result = dispatcher.Handle(call, memory);
    EXPECT_EQ(result.kind(), CallResult::Kind::kError) << name;
    EXPECT_THAT(reasons, ::testing::ElementsAre(::testing::HasSubstr(name))) << name;
  }
}

// The broker's parsers know only their own rows: any other name is an
// error, never CONTINUE.
TEST(BrokerParseTest, ANameWithoutAParserIsNotContinued) {
  MockMemory memory;
  EXPECT_CALL(memory, Read(_, _, _)).Times(0);
  EXPECT_CALL(memory, ReadCString(_, _)).Times(0);
  for (const char* name : {"unshare", "keyctl", "getpid", "file_setattr_typo"}) {
    platform::TrappedCall call;
    absl::StatusOr<ParsedCall> parsed = ParseBrokeredCall(name, call, memory);
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInternal) << name;
  }
  // file_setattr's handler continues it on purpose (see its row).
  absl::StatusOr<ParsedCall> setattr = ParseBrokeredCall("file_setattr", platform::TrappedCall{}, memory);
  ASSERT_TRUE(setattr.ok());
  ASSERT_TRUE(std::holds_alternative<CallResult>(*setattr));
  EXPECT_EQ(std::get<CallResult>(*setattr).kind(), CallResult::Kind::kContinue);
}

}  // namespace
}  // namespace sentry
