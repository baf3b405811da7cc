#include "sentry/broker.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <grp.h>
#include <netinet/in.h>
#include <stdio.h>
#include <linux/openat2.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <map>
#include <mutex>

#include "fmt/format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "platform/remote_memory.h"
#include "platform/status_matchers.h"
#include "sentry/caller_test_util.h"
#include "sentry/fake_gofer_test_util.h"

namespace sentry {
namespace {

namespace protocol = gofer::protocol;
using ::platform::testing::IsOk;
using platform::CallResult;
using testing::FakeAnswer;
using testing::FakeGofer;
using testing::ResultOf;

constexpr int64_t kUtimeNow = (1L << 30) - 1;
constexpr int64_t kUtimeOmit = (1L << 30) - 2;

// The "workload's memory" is this test's own: arguments are real pointers.
// Counts reads per address (each argument must be read once).
class FakeMemory : public platform::RemoteMemory {
 public:
  absl::Status Read(uint64_t addr, void* out, size_t len) override {
    Count(addr);
    if (addr == 0) return absl::InvalidArgumentError("bad address");
    memcpy(out, reinterpret_cast<const void*>(addr), len);
    return absl::OkStatus();
  }
  absl::StatusOr<std::string> ReadCString(uint64_t addr, size_t max_len) override {
    Count(addr);
    if (addr == 0) return absl::InvalidArgumentError("bad address");
    const char* text = reinterpret_cast<const char*>(addr);
    size_t len = strnlen(text, max_len);
    if (len == max_len) return absl::InvalidArgumentError("too long");
    return std::string(text, len);
  }
  absl::Status Write(uint64_t, const void*, size_t) override { return absl::InternalError("no writes"); }
  absl::Status CheckLive() override { return live ? absl::OkStatus() : platform::CallGoneError(1); }

  int ReadsOf(const void* addr) {
    std::lock_guard<std::mutex> lock(mutex_);
    return reads_[reinterpret_cast<uint64_t>(addr)];
  }
  bool live = true;

 private:
  void Count(uint64_t addr) {
    std::lock_guard<std::mutex> lock(mutex_);
    ++reads_[addr];
  }
  std::mutex mutex_;
  std::map<uint64_t, int> reads_;
};

uint64_t P(const void* pointer) { return reinterpret_cast<uint64_t>(pointer); }

// A temporary directory with an open dirfd.
struct TempDir {
  TempDir() {
    char templ[] = "/tmp/broker-test-XXXXXX";
    path = mkdtemp(templ);
    fd = open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  }
  ~TempDir() {
    close(fd);
    (void)!system(fmt::format("rm -rf {}", path).c_str());
  }
  std::string path;
  int fd = -1;
};

std::string OurCwd() {
  char buffer[4096];
  return getcwd(buffer, sizeof(buffer)) ? buffer : "";
}

class BrokerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    gofer_.Serve([this](const protocol::Incoming<protocol::Request>& request) -> std::optional<FakeAnswer> {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!answers_.empty()) {
        auto answer = std::move(answers_.front());
        answers_.erase(answers_.begin());
        return answer(request);
      }
      return ResultOf(0);
    });
    auto client = GoferClient::Connect(gofer_.TakeClientEnd(), [this](const absl::Status&) { ++failures_; });
    ASSERT_THAT(client, IsOk());
    client_ = std::move(*client);
    client_->Start();
    // The test's "container" is the writable host: every call goes to the fake gofer.
    broker_ = std::make_unique<Broker>(client_.get(), BrokerOptions{getpid(), -1, {}, false});
  }

  // The next answers of the fake gofer, in order (then Result{0}).
  void Then(std::function<std::optional<FakeAnswer>(const protocol::Incoming<protocol::Request>&)> answer) {
    std::lock_guard<std::mutex> lock(mutex_);
    answers_.push_back(std::move(answer));
  }

  CallResult Handle(const std::string& name, std::array<uint64_t, 6> args, pid_t tid = 0) {
    platform::TrappedCall call;
    call.id = 1;
    call.tid = tid != 0 ? tid : static_cast<pid_t>(syscall(SYS_gettid));
    call.args = args;
    return broker_->Handle(name, call, memory_);
  }

  // The one request the gofer got, as type T.
  template <typename T>
  T Only() {
    std::vector<protocol::Request> requests = gofer_.requests();
    EXPECT_EQ(requests.size(), 1u);
    if (requests.empty() || !std::holds_alternative<T>(requests.back().body)) {
      ADD_FAILURE() << "not the expected request type";
      return T{};
    }
    return std::get<T>(requests.back().body);
  }

  static void ExpectOurCreds(const protocol::Creds& creds) {
    EXPECT_EQ(creds.fsuid, geteuid());
    EXPECT_EQ(creds.fsgid, getegid());
    mode_t mask = umask(0);
    umask(mask);
    EXPECT_EQ(creds.umask, mask);
  }

  FakeGofer gofer_;
  std::unique_ptr<GoferClient> client_;
  std::unique_ptr<Broker> broker_;
  FakeMemory memory_;
  std::atomic<int> failures_{0};
  std::mutex mutex_;
  std::vector<std::function<std::optional<FakeAnswer>(const protocol::Incoming<protocol::Request>&)>> answers_;
};

// An fd the fake gofer "opened": a regular file with `content`.
platform::UniqueFd GoferFile(const std::string& content) {
  platform::UniqueFd fd(memfd_create("gofer-file", MFD_CLOEXEC));
  EXPECT_EQ(write(fd.get(), content.data(), content.size()), static_cast<ssize_t>(content.size()));
  return fd;
}

FakeAnswer FdAnswer(platform::UniqueFd fd) {
  FakeAnswer answer{protocol::Result{0, 1}, {}};
  answer.fds.push_back(std::move(fd));
  return answer;
}

bool IsError(const CallResult& result, int err) {
  return result.kind() == CallResult::Kind::kError && result.error() == err;
}

// ---- request fields, call by call ----

TEST_F(BrokerTest, OpenatRelativeToADirfdSendsTheDirAndInjectsTheGofersFd) {
  TempDir dir;
  static const char kPath[] = "new-file";
  Then([](const auto& request) -> std::optional<FakeAnswer> {
    EXPECT_EQ(request.fds.size(), 1u);
    return FdAnswer(GoferFile("hello"));
  });
  CallResult result =
      Handle("openat", {static_cast<uint64_t>(dir.fd), P(kPath), O_WRONLY | O_CREAT | O_CLOEXEC | 0x40000000, 0100640});
  ASSERT_EQ(result.kind(), CallResult::Kind::kInjectFd) << result.DebugString();
  EXPECT_TRUE(result.cloexec());
  char buffer[8] = {};
  EXPECT_EQ(pread(result.fd().get(), buffer, sizeof(buffer), 0), 5);
  EXPECT_STREQ(buffer, "hello");
  auto open = Only<protocol::Openat>();
  ExpectOurCreds(open.creds);
  EXPECT_EQ(open.dir, (protocol::Dir{protocol::Dir::Kind::kFd, dir.path}));
  EXPECT_EQ(open.path, "new-file");
  EXPECT_EQ(open.flags, static_cast<uint64_t>(O_WRONLY | O_CREAT | O_CLOEXEC)) << "unknown bits are dropped as open(2) does";
  EXPECT_EQ(open.mode, 0640u);
  EXPECT_EQ(open.resolve, 0u);
  EXPECT_EQ(memory_.ReadsOf(kPath), 1);
}

TEST_F(BrokerTest, OpenOfAnAbsolutePathStartsAtTheRootAndKeepsNoModeWithoutCreate) {
  static const char kPath[] = "/var/log/app.log";
  Then([](const auto& request) -> std::optional<FakeAnswer> {
    EXPECT_TRUE(request.fds.empty());
    return FdAnswer(GoferFile(""));
  });
  CallResult result = Handle("open", {P(kPath), O_RDWR | O_APPEND, 0777});
  ASSERT_EQ(result.kind(), CallResult::Kind::kInjectFd);
  EXPECT_FALSE(result.cloexec());
  auto open = Only<protocol::Openat>();
  EXPECT_EQ(open.dir, protocol::Dir{});
  EXPECT_EQ(open.path, kPath);
  EXPECT_EQ(open.flags, static_cast<uint64_t>(O_RDWR | O_APPEND));
  EXPECT_EQ(open.mode, 0u);
}

TEST_F(BrokerTest, CreatIsOpenWithCreateWriteTruncate) {
  static const char kPath[] = "/data/c";
  Then([](const auto&) -> std::optional<FakeAnswer> { return FdAnswer(GoferFile("")); });
  EXPECT_EQ(Handle("creat", {P(kPath), 0644}).kind(), CallResult::Kind::kInjectFd);
  auto open = Only<protocol::Openat>();
  EXPECT_EQ(open.flags, static_cast<uint64_t>(O_CREAT | O_WRONLY | O_TRUNC));
  EXPECT_EQ(open.mode, 0644u);
}

TEST_F(BrokerTest, Openat2CarriesResolveAndChecksTheStructAsLinux) {
  static const char kPath[] = "/data/o2";
  struct {
    open_how how;
    uint64_t extra;
  } how = {{O_WRONLY | O_CREAT, 0600, RESOLVE_NO_SYMLINKS | RESOLVE_IN_ROOT}, 0};
  Then([](const auto&) -> std::optional<FakeAnswer> { return FdAnswer(GoferFile("")); });
  EXPECT_EQ(Handle("openat2", {static_cast<uint64_t>(AT_FDCWD), P(kPath), P(&how), sizeof(how)}).kind(),
            CallResult::Kind::kInjectFd);
  auto open = Only<protocol::Openat>();
  EXPECT_EQ(open.flags, static_cast<uint64_t>(O_WRONLY | O_CREAT));
  EXPECT_EQ(open.mode, 0600u);
  EXPECT_EQ(open.resolve, static_cast<uint64_t>(RESOLVE_NO_SYMLINKS | RESOLVE_IN_ROOT));
  EXPECT_TRUE(IsError(Handle("openat2", {0, P(kPath), P(&how), 16}), EINVAL));
  how.extra = 1;
  EXPECT_TRUE(IsError(Handle("openat2", {0, P(kPath), P(&how), sizeof(how)}), E2BIG));
  EXPECT_TRUE(IsError(Handle("openat2", {0, P(kPath), P(&how), 8192}), E2BIG));
  // Opens that cannot write are the kernel's: CONTINUE (broker.h explains why that is safe).
  open_how read_only = {O_RDONLY | O_DIRECTORY, 0, 0};
  EXPECT_EQ(Handle("openat2", {0, P(kPath), P(&read_only), sizeof(read_only)}).kind(), CallResult::Kind::kContinue);
  open_how path_only = {O_PATH | O_WRONLY, 0, 0};
  EXPECT_EQ(Handle("openat2", {0, P(kPath), P(&path_only), sizeof(path_only)}).kind(), CallResult::Kind::kContinue);
  EXPECT_EQ(gofer_.requests().size(), 1u);
}

// openat2 refuses what open(2) ignores, before it reads the path (Linux's
// build_open_how): the gofer, which cannot tell openat2 with resolve 0 from
// openat, must never see such a call (issue 15: unknown bits succeeded).
TEST_F(BrokerTest, Openat2RefusesWhatLinuxRefusesBeforeReadingThePath) {
  auto error_of = [&](uint64_t flags, uint64_t mode, uint64_t resolve) {
    open_how how = {flags, mode, resolve};
    CallResult result = Handle("openat2", {static_cast<uint64_t>(AT_FDCWD), P("/data/o2"), P(&how), sizeof(how)});
    return result.kind() == CallResult::Kind::kError ? result.error() : 0;
  };
  EXPECT_EQ(error_of(O_WRONLY | O_CREAT | (1ULL << 40), 0600, 0), EINVAL);  // an unknown flag bit
  EXPECT_EQ(error_of(O_WRONLY | 020000000000ULL, 0, 0), EINVAL);
  EXPECT_EQ(error_of(O_WRONLY, 0, 1ULL << 20), EINVAL);                     // an unknown resolve bit
  EXPECT_EQ(error_of(O_WRONLY, 0644, 0), EINVAL);                           // a mode without O_CREAT
  EXPECT_EQ(error_of(O_WRONLY | O_CREAT, 010000, 0), EINVAL);               // a mode beyond 07777
  EXPECT_EQ(error_of(O_WRONLY | O_CREAT | O_DIRECTORY, 0600, 0), EINVAL);
  EXPECT_EQ(error_of(O_RDONLY | O_TMPFILE, 0600, 0), EINVAL);               // O_TMPFILE needs write access
  EXPECT_EQ(error_of(O_WRONLY, 0, RESOLVE_BENEATH | RESOLVE_IN_ROOT), EINVAL);
  EXPECT_EQ(error_of(O_WRONLY | O_TRUNC, 0, RESOLVE_CACHED), EAGAIN);
  EXPECT_TRUE(gofer_.requests().empty());  // none reached the gofer
}

TEST_F(BrokerTest, OpenWithOPathNeverWritesAndIsLeftToTheKernel) {
  static const char kPath[] = "/data/p";
  EXPECT_EQ(Handle("openat", {static_cast<uint64_t>(AT_FDCWD), P(kPath), O_PATH | O_WRONLY | O_CREAT}).kind(),
            CallResult::Kind::kContinue);
  EXPECT_TRUE(gofer_.requests().empty());
}

TEST_F(BrokerTest, MkdiratRelativeToTheCwd) {
  static const char kPath[] = "newdir";
  EXPECT_EQ(Handle("mkdirat", {static_cast<uint64_t>(AT_FDCWD), P(kPath), 0755}).kind(), CallResult::Kind::kValue);
  auto mkdir = Only<protocol::Mkdirat>();
  EXPECT_EQ(mkdir.dir, (protocol::Dir{protocol::Dir::Kind::kFd, OurCwd()}));
  EXPECT_EQ(mkdir.path, "newdir");
  EXPECT_EQ(mkdir.mode, 0755u);
  EXPECT_EQ(gofer_.request_fds(), std::vector<size_t>{1});
}

TEST_F(BrokerTest, Renameat2SendsBothDirsAndTheFlags) {
  TempDir dir;
  static const char kOld[] = "a";
  static const char kNew[] = "/data/b";
  EXPECT_EQ(Handle("renameat2", {static_cast<uint64_t>(dir.fd), P(kOld), static_cast<uint64_t>(AT_FDCWD), P(kNew),
                                 RENAME_NOREPLACE})
                .kind(),
            CallResult::Kind::kValue);
  auto rename = Only<protocol::Renameat2>();
  EXPECT_EQ(rename.old_dir, (protocol::Dir{protocol::Dir::Kind::kFd, dir.path}));
  EXPECT_EQ(rename.old_path, "a");
  EXPECT_EQ(rename.new_dir, protocol::Dir{});
  EXPECT_EQ(rename.new_path, "/data/b");
  EXPECT_EQ(rename.flags, static_cast<uint32_t>(RENAME_NOREPLACE));
  EXPECT_EQ(gofer_.request_fds(), std::vector<size_t>{1});
}

TEST_F(BrokerTest, LinkatAndItsEmptyPathFdFormOnAFile) {
  TempDir dir;
  static const char kOld[] = "/data/old";
  static const char kNew[] = "new";
  EXPECT_EQ(Handle("linkat", {static_cast<uint64_t>(AT_FDCWD), P(kOld), static_cast<uint64_t>(dir.fd), P(kNew),
                              AT_SYMLINK_FOLLOW})
                .kind(),
            CallResult::Kind::kValue);
  auto link = Only<protocol::Linkat>();
  EXPECT_EQ(link.old_path, "/data/old");
  EXPECT_EQ(link.new_dir, (protocol::Dir{protocol::Dir::Kind::kFd, dir.path}));
  EXPECT_EQ(link.flags, static_cast<uint32_t>(AT_SYMLINK_FOLLOW));
  // linkat(file_fd, "", ..., AT_EMPTY_PATH) acts on the fd's own file: the kernel's.
  static const char kEmpty[] = "";
  platform::UniqueFd file(memfd_create("f", MFD_CLOEXEC));
  EXPECT_EQ(Handle("linkat", {static_cast<uint64_t>(file.get()), P(kEmpty), static_cast<uint64_t>(AT_FDCWD), P(kNew),
                              AT_EMPTY_PATH})
                .kind(),
            CallResult::Kind::kContinue);
  // "" without AT_EMPTY_PATH is ENOENT, as Linux.
  EXPECT_TRUE(IsError(Handle("unlink", {P(kEmpty)}), ENOENT));
}

TEST_F(BrokerTest, SymlinkatStoresTheTargetVerbatim) {
  static const char kTarget[] = "../../etc/passwd";
  static const char kPath[] = "/data/link";
  EXPECT_EQ(Handle("symlinkat", {P(kTarget), static_cast<uint64_t>(AT_FDCWD), P(kPath)}).kind(),
            CallResult::Kind::kValue);
  auto symlink = Only<protocol::Symlinkat>();
  EXPECT_EQ(symlink.target, kTarget);
  EXPECT_EQ(symlink.path, kPath);
  EXPECT_EQ(symlink.dir, protocol::Dir{});
}

TEST_F(BrokerTest, FchownatPassesIdsAndFlags) {
  static const char kPath[] = "/data/f";
  EXPECT_EQ(Handle("fchownat", {static_cast<uint64_t>(AT_FDCWD), P(kPath), 1000, 0xffffffffffffffff,
                                AT_SYMLINK_NOFOLLOW})
                .kind(),
            CallResult::Kind::kValue);
  auto chown = Only<protocol::Fchownat>();
  EXPECT_EQ(chown.uid, 1000u);
  EXPECT_EQ(chown.gid, 0xffffffffu);
  EXPECT_EQ(chown.flags, static_cast<uint32_t>(AT_SYMLINK_NOFOLLOW));
}

TEST_F(BrokerTest, UtimensatTimesNowAndOmit) {
  static const char kPath[] = "/data/t";
  struct timespec times[2] = {{100, 5}, {200, kUtimeOmit}};
  EXPECT_EQ(Handle("utimensat", {static_cast<uint64_t>(AT_FDCWD), P(kPath), P(times), 0}).kind(),
            CallResult::Kind::kValue);
  auto utimens = Only<protocol::Utimensat>();
  EXPECT_EQ(utimens.atime_sec, 100);
  EXPECT_EQ(utimens.atime_nsec, 5);
  EXPECT_EQ(utimens.mtime_sec, 200);
  EXPECT_EQ(utimens.mtime_nsec, kUtimeOmit);
  // Both omitted: Linux returns 0 without looking at the path.
  struct timespec omit[2] = {{0, kUtimeOmit}, {0, kUtimeOmit}};
  CallResult nothing = Handle("utimensat", {static_cast<uint64_t>(AT_FDCWD), P(kPath), P(omit), 0});
  ASSERT_EQ(nothing.kind(), CallResult::Kind::kValue);
  EXPECT_EQ(gofer_.requests().size(), 1u);
  // utimes(path, NULL): now; bad microseconds: EINVAL.
  EXPECT_EQ(Handle("utimes", {P(kPath), 0}).kind(), CallResult::Kind::kValue);
  auto now = std::get<protocol::Utimensat>(gofer_.requests().back().body);
  EXPECT_EQ(now.atime_nsec, kUtimeNow);
  EXPECT_EQ(now.mtime_nsec, kUtimeNow);
  struct timeval bad[2] = {{1, 1000000}, {2, 0}};
  EXPECT_TRUE(IsError(Handle("utimes", {P(kPath), P(bad)}), EINVAL));
}

TEST_F(BrokerTest, AccessWithWriteSendsModeFlagsAndTheRealIds) {
  static const char kPath[] = "/data/dir";
  EXPECT_EQ(Handle("faccessat2", {static_cast<uint64_t>(AT_FDCWD), P(kPath), W_OK | R_OK, AT_EACCESS}).kind(),
            CallResult::Kind::kValue);
  auto access = Only<protocol::Faccessat>();
  EXPECT_EQ(access.mode, static_cast<uint32_t>(W_OK | R_OK));
  EXPECT_EQ(access.flags, static_cast<uint32_t>(AT_EACCESS));
  EXPECT_EQ(access.path, kPath);
  EXPECT_EQ(access.uid, getuid());  // the caller (this process) from its /proc status
  EXPECT_EQ(access.gid, getgid());
  EXPECT_EQ(Handle("access", {P(kPath), W_OK}).kind(), CallResult::Kind::kValue);
  EXPECT_EQ(std::get<protocol::Faccessat>(gofer_.requests().back().body).flags, 0u);
  // do_faccessat's checks come before the path is read: no request.
  const size_t sent = gofer_.requests().size();
  EXPECT_TRUE(IsError(Handle("faccessat", {static_cast<uint64_t>(AT_FDCWD), P(kPath), W_OK | 8}), EINVAL));
  EXPECT_TRUE(IsError(Handle("faccessat2", {static_cast<uint64_t>(AT_FDCWD), 0, W_OK, 0x1}), EINVAL));
  EXPECT_TRUE(IsError(Handle("access", {0, W_OK}), EFAULT));
  EXPECT_EQ(gofer_.requests().size(), sent);
}

TEST_F(BrokerTest, TruncateCarriesTheLength) {
  static const char kPath[] = "/data/big";
  EXPECT_EQ(Handle("truncate", {P(kPath), 1 << 20}).kind(), CallResult::Kind::kValue);
  EXPECT_EQ(Only<protocol::Truncate>().length, 1 << 20);
  EXPECT_TRUE(IsError(Handle("truncate", {P(kPath), static_cast<uint64_t>(-1)}), EINVAL));
}

// Linux checks flags before it reads any path or pointer (issue 16): with
// unmapped paths (1) the answer is still EINVAL, and nothing is sent.
TEST_F(BrokerTest, InvalidFlagsAreEinvalBeforeAnyPointerIsRead) {
  const uint64_t cwd = static_cast<uint64_t>(AT_FDCWD);
  struct {
    const char* name;
    std::array<uint64_t, 6> args;
  } calls[] = {
      {"linkat", {cwd, 1, cwd, 1, 0x80000000}},
      {"unlinkat", {cwd, 1, 0x1}},
      {"renameat2", {cwd, 1, cwd, 1, 0x80}},
      {"renameat2", {cwd, 1, cwd, 1, RENAME_EXCHANGE | RENAME_NOREPLACE}},
      {"fchownat", {cwd, 1, 0, 0, 0x1}},
      {"fchmodat2", {cwd, 1, 0600, 0x1}},
      {"utimensat", {cwd, 1, 0, 0x1}},
      {"setxattr", {1, 1, 1, 1, 0x80}},
      {"removexattrat", {cwd, 1, 0x1, 1}},
      {"truncate", {1, static_cast<uint64_t>(-1)}},
      {"open", {1, O_CREAT | O_DIRECTORY | O_WRONLY, 0600}},
      {"openat", {cwd, 1, O_TMPFILE | O_RDONLY, 0600}},
      {"openat", {cwd, 1, (O_TMPFILE & ~O_DIRECTORY) | O_WRONLY, 0600}},
  };
  for (const auto& call : calls) {
    EXPECT_TRUE(IsError(Handle(call.name, call.args), EINVAL)) << call.name;
  }
  static const char kEmpty[] = "";
  EXPECT_TRUE(IsError(Handle("symlink", {P(kEmpty), 1}), ENOENT));
  EXPECT_TRUE(IsError(Handle("rename", {P(kEmpty), 1}), ENOENT));
  EXPECT_TRUE(IsError(Handle("link", {P(kEmpty), 1}), ENOENT));
  EXPECT_TRUE(gofer_.requests().empty());
}

// The fd forms always trap (broker_fd.h): an fd that is not on a read-only
// mount of the caller's view is the kernel's; a closed fd, and an O_PATH
// one where the call takes a file, are EBADF as Linux; flags come first.
TEST_F(BrokerTest, FdFormsLeaveWritableMountsToTheKernelAndRefuseBadFds) {
  TempDir dir;
  const std::string path = dir.path + "/file";
  platform::UniqueFd file(open(path.c_str(), O_CREAT | O_RDONLY | O_CLOEXEC, 0644));
  platform::UniqueFd opath(open(path.c_str(), O_PATH | O_CLOEXEC));
  ASSERT_TRUE(file.valid() && opath.valid());
  const uint64_t fd = static_cast<uint64_t>(file.get()), path_fd = static_cast<uint64_t>(opath.get());
  static const char kName[] = "user.x";
  EXPECT_EQ(Handle("fchmod", {fd, 0600}).kind(), CallResult::Kind::kContinue);
  EXPECT_EQ(Handle("fchown", {fd, 0, 0}).kind(), CallResult::Kind::kContinue);
  EXPECT_EQ(Handle("utimensat", {fd, 0, 0, 0}).kind(), CallResult::Kind::kContinue);
  EXPECT_EQ(Handle("fsetxattr", {fd, P(kName), P(kName), 1, 0}).kind(), CallResult::Kind::kContinue);
  EXPECT_TRUE(IsError(Handle("fchmod", {path_fd, 0600}), EBADF));
  EXPECT_TRUE(IsError(Handle("fremovexattr", {path_fd, P(kName)}), EBADF));
  EXPECT_TRUE(IsError(Handle("fchown", {999, 0, 0}), EBADF));
  EXPECT_TRUE(IsError(Handle("utimensat", {fd, 0, 0, AT_SYMLINK_NOFOLLOW}), EINVAL));  // the fd form takes flags 0
  // An O_PATH fd is fine where the call takes a path ("" + AT_EMPTY_PATH).
  static const char kEmpty[] = "";
  EXPECT_EQ(Handle("fchownat", {path_fd, P(kEmpty), 0, 0, AT_EMPTY_PATH}).kind(), CallResult::Kind::kContinue);
  EXPECT_TRUE(gofer_.requests().empty());
}

TEST_F(BrokerTest, TruncateCarriesTheCallersFileSizeLimit) {
  static const char kPath[] = "/data/big";
  EXPECT_EQ(Handle("truncate", {P(kPath), 1 << 20}).kind(), CallResult::Kind::kValue);
  rlimit limit = {};
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &limit), 0);
  const uint64_t expected = limit.rlim_cur == RLIM_INFINITY ? UINT64_MAX : limit.rlim_cur;
  EXPECT_EQ(Only<protocol::Truncate>().fsize_limit, expected);  // the caller is this process
}

TEST_F(BrokerTest, SetxattrCarriesABinaryValueAndNamesAreChecked) {
  static const char kPath[] = "/data/x";
  static const char kName[] = "user.test";
  static const char kValue[] = {'a', '\0', 'b'};
  EXPECT_EQ(Handle("lsetxattr", {P(kPath), P(kName), P(kValue), sizeof(kValue), XATTR_CREATE}).kind(),
            CallResult::Kind::kValue);
  auto set = Only<protocol::Setxattr>();
  EXPECT_EQ(set.name, kName);
  EXPECT_EQ(set.value, std::string(kValue, sizeof(kValue)));
  EXPECT_EQ(set.flags, static_cast<uint32_t>(XATTR_CREATE));
  EXPECT_EQ(set.at_flags, static_cast<uint32_t>(AT_SYMLINK_NOFOLLOW));
  static const char kEmptyName[] = "";
  EXPECT_TRUE(IsError(Handle("setxattr", {P(kPath), P(kEmptyName), P(kValue), 1, 0}), ERANGE));
  std::string long_name(256, 'n');  // XATTR_NAME_MAX is 255
  EXPECT_TRUE(IsError(Handle("setxattr", {P(kPath), P(long_name.c_str()), P(kValue), 1, 0}), ERANGE));
  EXPECT_TRUE(IsError(Handle("setxattr", {P(kPath), P(kName), P(kValue), 65537, 0}), E2BIG));
}

TEST_F(BrokerTest, BindOfAUnixPathSendsTheCallersSocket) {
  int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(sock, 0);
  platform::UniqueFd owned(sock);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  strcpy(address.sun_path, "/run/app.sock");
  const socklen_t len = offsetof(sockaddr_un, sun_path) + strlen(address.sun_path) + 1;
  Then([](const protocol::Incoming<protocol::Request>& request) -> std::optional<FakeAnswer> {
    // Dir kind root: the only fd is the socket, the caller's own.
    EXPECT_EQ(request.fds.size(), 1u);
    int domain = 0;
    socklen_t size = sizeof(domain);
    if (!request.fds.empty()) getsockopt(request.fds[0].get(), SOL_SOCKET, SO_DOMAIN, &domain, &size);
    EXPECT_EQ(domain, AF_UNIX);
    return ResultOf(0);
  });
  EXPECT_EQ(Handle("bind", {static_cast<uint64_t>(sock), P(&address), len}).kind(), CallResult::Kind::kValue);
  EXPECT_EQ(Only<protocol::BindUnix>().path, "/run/app.sock");
  // Abstract, unnamed and other families are not host storage.
  sockaddr_un abstract{};
  abstract.sun_family = AF_UNIX;
  strcpy(abstract.sun_path + 1, "abstract");
  EXPECT_EQ(Handle("bind", {static_cast<uint64_t>(sock), P(&abstract), len}).kind(), CallResult::Kind::kContinue);
  EXPECT_EQ(Handle("bind", {static_cast<uint64_t>(sock), P(&abstract), sizeof(sa_family_t)}).kind(),
            CallResult::Kind::kContinue);
  sockaddr_in inet{};
  inet.sin_family = AF_INET;
  EXPECT_EQ(Handle("bind", {static_cast<uint64_t>(sock), P(&inet), sizeof(inet)}).kind(), CallResult::Kind::kContinue);
  EXPECT_EQ(gofer_.requests().size(), 1u);
  // Not a socket: ENOTSOCK, as bind(2).
  platform::UniqueFd file(memfd_create("f", MFD_CLOEXEC));
  EXPECT_TRUE(IsError(Handle("bind", {static_cast<uint64_t>(file.get()), P(&address), len}), ENOTSOCK));
}

// ---- /proc/self translation and what is not host storage ----

TEST_F(BrokerTest, ProcSelfMagicLinksBecomeTheCallersDirectories) {
  TempDir dir;
  const std::string via_fd = fmt::format("/proc/self/fd/{}/made", dir.fd);
  const std::string via_pid = fmt::format("/proc/{}/cwd/made", getpid());
  static const char kCwd[] = "/proc/thread-self/cwd/made";
  for (const std::string& path : {via_fd, via_pid, std::string(kCwd)}) {
    EXPECT_EQ(Handle("mkdir", {P(path.c_str()), 0700}).kind(), CallResult::Kind::kValue) << path;
  }
  std::vector<protocol::Request> requests = gofer_.requests();
  ASSERT_EQ(requests.size(), 3u);
  auto first = std::get<protocol::Mkdirat>(requests[0].body);
  EXPECT_EQ(first.dir, (protocol::Dir{protocol::Dir::Kind::kFd, dir.path}));
  EXPECT_EQ(first.path, "made");
  for (int i : {1, 2}) {
    auto mkdir = std::get<protocol::Mkdirat>(requests[i].body);
    EXPECT_EQ(mkdir.dir, (protocol::Dir{protocol::Dir::Kind::kFd, OurCwd()}));
    EXPECT_EQ(mkdir.path, "made");
  }
  // A bare magic link to a directory, on a call with an AT_EMPTY_PATH form.
  const std::string bare = fmt::format("/proc/self/fd/{}", dir.fd);
  EXPECT_EQ(Handle("chmod", {P(bare.c_str()), 0700}).kind(), CallResult::Kind::kValue);
  auto chmod = std::get<protocol::Fchmodat>(gofer_.requests().back().body);
  EXPECT_EQ(chmod.dir, (protocol::Dir{protocol::Dir::Kind::kFd, dir.path}));
  EXPECT_EQ(chmod.path, "");
  EXPECT_EQ(chmod.flags, static_cast<uint32_t>(AT_EMPTY_PATH));
  // A bare magic link on a call without one, or to a file: the kernel's.
  EXPECT_EQ(Handle("mkdir", {P(bare.c_str()), 0700}).kind(), CallResult::Kind::kContinue);
  const std::string stdout_link = "/proc/self/fd/1";
  EXPECT_EQ(Handle("open", {P(stdout_link.c_str()), O_WRONLY}).kind(), CallResult::Kind::kContinue);
}

TEST_F(BrokerTest, ProcSysAndDevPathsAreLeftToTheKernel) {
  TempDir dir;
  for (const char* path : {"/proc/sys/vm/drop_caches", "/dev/null", "/dev/shm/x", "/sys/fs/cgroup/x",
                           "/proc/1/cwd/x", "/proc/self/../1/cwd/x", "/tmp/../proc/x"}) {
    EXPECT_EQ(Handle("open", {P(path), O_WRONLY | O_CREAT, 0600}).kind(), CallResult::Kind::kContinue) << path;
  }
  // A relative path is judged joined with its directory.
  std::string up;
  for (size_t i = 0; i < 10; ++i) up += "../";
  up += "dev/x";
  EXPECT_EQ(Handle("mkdirat", {static_cast<uint64_t>(dir.fd), P(up.c_str()), 0700}).kind(), CallResult::Kind::kContinue);
  EXPECT_TRUE(gofer_.requests().empty());
}

// ---- errors and attacks ----

TEST_F(BrokerTest, EstaleIsRetriedOnceWithoutReadingMemoryAgainThenLeftToTheKernel) {
  static const char kPath[] = "rel";
  Then([](const auto&) { return std::optional<FakeAnswer>(ResultOf(-ESTALE)); });
  Then([](const auto&) { return std::optional<FakeAnswer>(ResultOf(0)); });
  EXPECT_EQ(Handle("unlink", {P(kPath)}).kind(), CallResult::Kind::kValue);
  EXPECT_EQ(gofer_.requests().size(), 2u);
  EXPECT_EQ(memory_.ReadsOf(kPath), 1) << "the path is read once, the directory looked up twice";
  Then([](const auto&) { return std::optional<FakeAnswer>(ResultOf(-ESTALE)); });
  Then([](const auto&) { return std::optional<FakeAnswer>(ResultOf(-ESTALE)); });
  // Not in the container's tree: the kernel decides (on the container's own
  // storage the caller's view is read-only).
  EXPECT_EQ(Handle("unlink", {P(kPath)}).kind(), CallResult::Kind::kContinue);
  EXPECT_EQ(gofer_.requests().size(), 4u);
}

TEST_F(BrokerTest, ErrnosOfTheGoferAreTheAnswer) {
  static const char kPath[] = "/data/exists";
  Then([](const auto&) { return std::optional<FakeAnswer>(ResultOf(-EEXIST)); });
  EXPECT_TRUE(IsError(Handle("mkdir", {P(kPath), 0700}), EEXIST));
  Then([](const auto&) { return std::optional<FakeAnswer>(ResultOf(-5000)); });
  EXPECT_TRUE(IsError(Handle("mkdir", {P(kPath), 0700}), EIO));
}

TEST_F(BrokerTest, ADirectoryOrOPathFdFromTheGoferIsNeverInjected) {
  static const char kPath[] = "/data/f";
  Then([](const auto&) { return std::optional<FakeAnswer>(FdAnswer(platform::UniqueFd(open("/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC)))); });
  EXPECT_TRUE(IsError(Handle("open", {P(kPath), O_WRONLY}), EIO));
  Then([](const auto&) { return std::optional<FakeAnswer>(FdAnswer(platform::UniqueFd(open("/etc/hostname", O_PATH | O_CLOEXEC)))); });
  EXPECT_TRUE(IsError(Handle("open", {P(kPath), O_WRONLY}), EIO));
  // An fd with a call that opens nothing, and an open answered without one.
  Then([](const auto&) { return std::optional<FakeAnswer>(FdAnswer(GoferFile(""))); });
  EXPECT_TRUE(IsError(Handle("mkdir", {P(kPath), 0700}), EIO));
  EXPECT_TRUE(IsError(Handle("open", {P(kPath), O_WRONLY}), EIO));
}

TEST_F(BrokerTest, AMalformedReplyIsEioAndStopsTheContainerOnce) {
  static const char kPath[] = "/data/f";
  Then([this](const protocol::Incoming<protocol::Request>&) -> std::optional<FakeAnswer> {
    const uint8_t garbage[20] = {1, 2, 3};
    EXPECT_TRUE(protocol::SendDatagram(gofer_.server(), garbage, {}).ok());
    return std::nullopt;
  });
  EXPECT_TRUE(IsError(Handle("mkdir", {P(kPath), 0700}), EIO));
  EXPECT_TRUE(IsError(Handle("mkdir", {P(kPath), 0700}), EIO));
  EXPECT_EQ(failures_, 1);
}

TEST_F(BrokerTest, AfterTheGoferClosesEveryCallIsEioAndTheFatalCallbackRanOnce) {
  static const char kPath[] = "/data/f";
  gofer_.Close();
  EXPECT_TRUE(IsError(Handle("mkdir", {P(kPath), 0700}), EIO));
  EXPECT_TRUE(IsError(Handle("unlink", {P(kPath)}), EIO));
  EXPECT_EQ(failures_, 1);
}

TEST_F(BrokerTest, ACallGoneBeforeItIsSentIsNeverSent) {
  static const char kPath[] = "rel";
  memory_.live = false;
  Handle("unlink", {P(kPath)});
  EXPECT_TRUE(gofer_.requests().empty());
}

TEST_F(BrokerTest, BadDirfdsAreEbadfAndEnotdirAsLinux) {
  static const char kPath[] = "rel";
  platform::UniqueFd file(memfd_create("f", MFD_CLOEXEC));
  EXPECT_TRUE(IsError(Handle("mkdirat", {static_cast<uint64_t>(file.get()), P(kPath), 0700}), ENOTDIR));
  EXPECT_TRUE(IsError(Handle("mkdirat", {9999, P(kPath), 0700}), EBADF));
  EXPECT_TRUE(IsError(Handle("mkdirat", {static_cast<uint64_t>(-5), P(kPath), 0700}), EBADF));
  EXPECT_TRUE(IsError(Handle("mkdir", {0, 0700}), EFAULT));
  EXPECT_TRUE(gofer_.requests().empty());
}

TEST_F(BrokerTest, ANonRootCallerIsSentWithItsOwnCredentials) {
  TempDir dir;
  chmod(dir.path.c_str(), 0777);
  testing::WaitingChild child([&]() -> std::string {
    umask(027);
    gid_t groups[] = {4, 24};
    if (chdir(dir.path.c_str()) != 0) return "chdir";
    if (setgroups(2, groups) != 0 || setgid(1000) != 0 || setuid(1000) != 0) return "setuid";
    return "";
  });
  ASSERT_EQ(child.report(), "ok");
  static const char kPath[] = "mine";
  EXPECT_EQ(Handle("mkdir", {P(kPath), 0777}, child.pid()).kind(), CallResult::Kind::kValue);
  auto mkdir = Only<protocol::Mkdirat>();
  EXPECT_EQ(mkdir.creds.fsuid, 1000u);
  EXPECT_EQ(mkdir.creds.fsgid, 1000u);
  EXPECT_EQ(mkdir.creds.umask, 027u);
  EXPECT_EQ(mkdir.creds.cap_effective, 0u);
  EXPECT_EQ(mkdir.creds.groups, (std::vector<uint32_t>{4, 24}));
  EXPECT_EQ(mkdir.dir, (protocol::Dir{protocol::Dir::Kind::kFd, dir.path}));
}

TEST_F(BrokerTest, AChrootedCallerIsRefusedWithEperm) {
  TempDir dir;
  testing::WaitingChild child([&]() -> std::string { return chroot(dir.path.c_str()) == 0 ? "" : "chroot"; });
  ASSERT_EQ(child.report(), "ok");
  static const char kPath[] = "/etc/x";
  EXPECT_TRUE(IsError(Handle("mkdir", {P(kPath), 0700}, child.pid()), EPERM));
  EXPECT_TRUE(gofer_.requests().empty());
}

TEST(BrokerWithoutGoferTest, AnswersEio) {
  Broker broker(nullptr, BrokerOptions{getpid(), -1, {}});
  FakeMemory memory;
  platform::TrappedCall call;
  call.tid = getpid();
  EXPECT_TRUE(IsError(broker.Handle("mkdir", call, memory), EIO));
}

}  // namespace
}  // namespace sentry
