#include "sentry/workload_filter.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/keyctl.h>
#include <linux/netlink.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <functional>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "platform/child_test_util.h"
#include "platform/platform.h"
#include "platform/status_matchers.h"
#include "platform/unix_socket.h"
#include "sentry/syscall_rules_test_util.h"

namespace sentry {
namespace {

using ::platform::testing::IsOk;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

#if defined(__x86_64__)
constexpr uint32_t kNativeAuditArch = AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
constexpr uint32_t kNativeAuditArch = AUDIT_ARCH_AARCH64;
#endif

// These tests serve the filter's listener themselves (seccomp-notify).
constexpr uint32_t kTrap = SECCOMP_RET_USER_NOTIF;

// ---- a classic-BPF interpreter for seccomp programs ----

uint32_t Load32(const seccomp_data& data, uint32_t offset) {
  uint32_t value = 0;
  if (offset + sizeof(value) <= sizeof(data)) memcpy(&value, reinterpret_cast<const char*>(&data) + offset, sizeof(value));
  return value;
}

// Runs `program` on `data` as the kernel would and returns the action.
uint32_t RunBpf(const std::vector<sock_filter>& program, const seccomp_data& data) {
  uint32_t a = 0, x = 0, mem[BPF_MEMWORDS] = {};
  for (size_t pc = 0; pc < program.size(); ++pc) {
    const sock_filter& f = program[pc];
    const uint32_t operand = BPF_SRC(f.code) == BPF_X ? x : f.k;
    switch (BPF_CLASS(f.code)) {
      case BPF_LD:
        if (f.code == (BPF_LD | BPF_W | BPF_ABS)) a = Load32(data, f.k);
        else if (f.code == (BPF_LD | BPF_IMM)) a = f.k;
        else if (f.code == (BPF_LD | BPF_MEM)) a = mem[f.k % BPF_MEMWORDS];
        else ADD_FAILURE() << "unsupported load " << f.code;
        break;
      case BPF_LDX:
        x = BPF_MODE(f.code) == BPF_MEM ? mem[f.k % BPF_MEMWORDS] : f.k;
        break;
      case BPF_ST:
        mem[f.k % BPF_MEMWORDS] = a;
        break;
      case BPF_STX:
        mem[f.k % BPF_MEMWORDS] = x;
        break;
      case BPF_ALU:
        switch (BPF_OP(f.code)) {
          case BPF_AND: a &= operand; break;
          case BPF_OR: a |= operand; break;
          case BPF_ADD: a += operand; break;
          case BPF_SUB: a -= operand; break;
          case BPF_LSH: a <<= operand; break;
          case BPF_RSH: a >>= operand; break;
          default: ADD_FAILURE() << "unsupported alu " << f.code;
        }
        break;
      case BPF_JMP: {
        bool taken = false;
        switch (BPF_OP(f.code)) {
          case BPF_JA: pc += f.k; continue;
          case BPF_JEQ: taken = a == operand; break;
          case BPF_JGT: taken = a > operand; break;
          case BPF_JGE: taken = a >= operand; break;
          case BPF_JSET: taken = (a & operand) != 0; break;
          default: ADD_FAILURE() << "unsupported jump " << f.code;
        }
        pc += taken ? f.jt : f.jf;
        break;
      }
      case BPF_RET:
        return BPF_RVAL(f.code) == BPF_A ? a : f.k;
      case BPF_MISC:
        if (BPF_MISCOP(f.code) == BPF_TAX) x = a;
        else a = x;
        break;
    }
  }
  ADD_FAILURE() << "the program ran off its end";
  return 0;
}

seccomp_data Call(int number, const testing::Args& args = {}, uint32_t arch = kNativeAuditArch) {
  seccomp_data data{};
  data.nr = number;
  data.arch = arch;
  for (size_t i = 0; i < args.size(); ++i) data.args[i] = args[i];
  return data;
}

// ---- the compiled program, checked instruction by instruction ----

TEST(WorkloadFilterTest, CompilesWithoutFlagsForThePlatformToLoad) {
  absl::StatusOr<platform::CompiledSeccomp> compiled = CompileWorkloadFilter(Policy(), kTrap);
  ASSERT_THAT(compiled, IsOk());
  EXPECT_EQ(compiled->flags, 0u);
  EXPECT_GT(compiled->program.size(), 100u);
  EXPECT_LE(compiled->program.size(), size_t{BPF_MAXINSNS});
  std::cerr << "workload filter: " << compiled->program.size() << " BPF instructions\n";
}

TEST(WorkloadFilterTest, PfcShowsDefaultAndBadArchActions) {
  absl::StatusOr<std::string> pfc = ExportWorkloadFilterPfc(Policy(), kTrap);
  ASSERT_THAT(pfc, IsOk());
  EXPECT_THAT(*pfc, HasSubstr("action ERRNO(38);"));
  EXPECT_THAT(*pfc, HasSubstr("# invalid architecture action\naction KILL_PROCESS;"));
}

// Every row without rules gets its action; every row with rules answers as
// its rules say on the sampled argument values.
TEST(WorkloadFilterTest, EveryRowGetsItsAction) {
  for (bool broker : {false, true}) {
    Policy policy;
    policy.set_broker_to_gofer(broker);
    absl::StatusOr<platform::CompiledSeccomp> compiled = CompileWorkloadFilter(policy, kTrap);
    ASSERT_THAT(compiled, IsOk());
    for (const SyscallEntry& entry : policy.entries()) {
      if (entry.number < 0) continue;
      if (entry.rules.empty()) {
        EXPECT_EQ(RunBpf(compiled->program, Call(entry.number)), SeccompAction(entry.disposition, entry.errno_value, broker, kTrap))
            << entry.name;
        continue;
      }
      for (const testing::Args& args : testing::SampleArgs(entry)) {
        std::vector<const ArgRule*> rules = testing::MatchingRules(entry, args);
        ASSERT_FALSE(rules.empty()) << entry.name;
        ASSERT_EQ(RunBpf(compiled->program, Call(entry.number, args)),
                  SeccompAction(rules[0]->disposition, rules[0]->errno_value, broker, kTrap))
            << entry.name << "(" << std::hex << args[0] << ", " << args[1] << ", " << args[2] << ")";
      }
    }
  }
}

TEST(WorkloadFilterTest, UnknownNumbersGetEnosysAndOtherAbisAreKilled) {
  absl::StatusOr<platform::CompiledSeccomp> compiled = CompileWorkloadFilter(Policy(), kTrap);
  ASSERT_THAT(compiled, IsOk());
  for (int number : {600, 1000, 100000}) {
    ASSERT_EQ(FindSyscall(number), nullptr);
    EXPECT_EQ(RunBpf(compiled->program, Call(number)), kWorkloadDefaultAction) << number;
  }
#if defined(__x86_64__)
  EXPECT_EQ(RunBpf(compiled->program, Call(SYS_getpid, {}, AUDIT_ARCH_I386)), uint32_t{SECCOMP_RET_KILL_PROCESS});
  EXPECT_EQ(RunBpf(compiled->program, Call(0x40000000 | SYS_getpid)), uint32_t{SECCOMP_RET_KILL_PROCESS});  // x32
  EXPECT_EQ(RunBpf(compiled->program, Call(SYS_getpid)), uint32_t{SECCOMP_RET_ALLOW});
#endif
}

TEST(WorkloadFilterTest, OverriddenRowsCompileToTheirNewAction) {
  Policy policy;
  ASSERT_THAT(policy.Override("getpid", Disposition::kDeny, EACCES), IsOk());
  ASSERT_THAT(policy.Override("openat", Disposition::kBroker), IsOk());  // every open now, not only writes
  ASSERT_THAT(policy.Override("ioctl", Disposition::kPassthrough), IsOk());
  absl::StatusOr<platform::CompiledSeccomp> compiled = CompileWorkloadFilter(policy, kTrap);
  ASSERT_THAT(compiled, IsOk());
  EXPECT_EQ(RunBpf(compiled->program, Call(SYS_getpid)), uint32_t{SECCOMP_RET_ERRNO | EACCES});
  EXPECT_EQ(RunBpf(compiled->program, Call(SYS_openat, {0, 0, O_RDONLY})), uint32_t{SECCOMP_RET_USER_NOTIF});
  EXPECT_EQ(RunBpf(compiled->program, Call(SYS_ioctl, {0, TIOCSTI})), uint32_t{SECCOMP_RET_ALLOW});
}

// ---- the real filter, installed in a child; the parent serves the listener ----

// What a filtered child did.
struct ChildOutcome {
  std::string failure;        // the child's report; "" when its checks passed
  int wait_status = 0;        // from waitpid
  std::vector<int> notified;  // syscall numbers the listener received
};

// The errno the test's listener answers every notification with.
constexpr int kNotifiedErrno = EREMOTEIO;

// Answers every notification on `listener` with kNotifiedErrno until the
// filter has no task left (POLLHUP) or `deadline` passes.
void ServeListener(int listener, std::chrono::steady_clock::time_point deadline, std::vector<int>& notified) {
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd poller{listener, POLLIN, 0};
    if (poll(&poller, 1, 100) <= 0) continue;
    if (poller.revents & POLLIN) {
      seccomp_notif request{};
      if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &request) != 0) continue;  // ENOENT: the caller died
      notified.push_back(request.data.nr);
      seccomp_notif_resp response{};
      response.id = request.id;
      response.error = -kNotifiedErrno;
      ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &response);
    } else if (poller.revents & (POLLHUP | POLLERR)) {
      return;
    }
  }
}

// Forks a child that loads `policy`'s filter (with its listener, handed to
// us), runs `body` and reports its result; we serve the listener meanwhile.
ChildOutcome RunUnderFilter(const Policy& policy, const std::function<std::string()>& body) {
  ChildOutcome outcome;
  absl::StatusOr<platform::CompiledSeccomp> compiled = CompileWorkloadFilter(policy, kTrap);
  if (!compiled.ok()) return {std::string(compiled.status().message()), 0, {}};
  int sockets[2], pipe_fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sockets) != 0 || pipe2(pipe_fds, O_CLOEXEC) != 0) {
    return {"socketpair/pipe failed", 0, {}};
  }
  pid_t pid = fork();
  if (pid < 0) return {"fork failed", 0, {}};
  if (pid == 0) {
    close(sockets[0]);
    close(pipe_fds[0]);
    rlimit no_core{0, 0};
    setrlimit(RLIMIT_CORE, &no_core);  // SIGSYS would dump core
    std::string result;
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    absl::StatusOr<platform::UniqueFd> listener = platform::LoadFilterWithListener(compiled->program, 0);
    if (!listener.ok()) {
      result = std::string(listener.status().message());
    } else if (absl::Status sent = platform::SendFd(sockets[1], listener->get(), "listener"); !sent.ok()) {
      result = std::string(sent.message());
    } else {
      listener->reset();
      result = body();
    }
    if (write(pipe_fds[1], result.data(), result.size()) < 0) _exit(3);
    _exit(result.empty() ? 0 : 1);
  }
  close(sockets[1]);
  close(pipe_fds[1]);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  std::thread server;
  absl::StatusOr<platform::UniqueFd> listener = platform::ReceiveFd(sockets[0]);
  close(sockets[0]);
  if (listener.ok()) server = std::thread(ServeListener, listener->get(), deadline, std::ref(outcome.notified));
  char buffer[4096];
  for (;;) {
    pollfd poller{pipe_fds[0], POLLIN, 0};
    if (std::chrono::steady_clock::now() >= deadline) {
      kill(pid, SIGKILL);
      outcome.failure = "the child timed out";
      break;
    }
    if (poll(&poller, 1, 100) <= 0) continue;
    ssize_t n = read(pipe_fds[0], buffer, sizeof(buffer));
    if (n <= 0) break;
    outcome.failure.append(buffer, n);
  }
  close(pipe_fds[0]);
  waitpid(pid, &outcome.wait_status, 0);
  if (server.joinable()) server.join();
  return outcome;
}

// RunUnderFilter, expecting the child to exit 0 with every check passed.
ChildOutcome ExpectUnderFilter(const Policy& policy, const std::function<std::string()>& body) {
  ChildOutcome outcome = RunUnderFilter(policy, body);
  EXPECT_EQ(outcome.failure, "");
  EXPECT_TRUE(WIFEXITED(outcome.wait_status) && WEXITSTATUS(outcome.wait_status) == 0)
      << "wait status " << outcome.wait_status;
  return outcome;
}

// Makes `call` (a raw syscall returning -1/errno) report unless it failed with `err`.
#define CHILD_EXPECT_ERRNO(call, err)                                                                       \
  do {                                                                                                      \
    errno = 0;                                                                                              \
    long child_rc_ = (call);                                                                                \
    if (child_rc_ != -1 || errno != (err)) {                                                                \
      return fmt::format("{}:{}: {} returned {} (errno {}), expected {}", __FILE__, __LINE__, #call,       \
                         child_rc_, strerrorname_np(errno) ? strerrorname_np(errno) : "0", strerrorname_np(err)); \
    }                                                                                                       \
  } while (0)

TEST(WorkloadFilterChildTest, PassthroughCallsWork) {
  ExpectUnderFilter(Policy(), [] {
    CHILD_EXPECT(syscall(SYS_getpid) == getpid());
    CHILD_EXPECT(getppid() > 0);
    void* page = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHILD_EXPECT(page != MAP_FAILED);
    CHILD_EXPECT(munmap(page, 4096) == 0);
    int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);  // read-only open: native
    CHILD_EXPECT(fd >= 0);
    char byte;
    CHILD_EXPECT(read(fd, &byte, 1) == 1);
    close(fd);
    return std::string();
  });
}

TEST(WorkloadFilterChildTest, DeniedCallsFailWithTheirErrno) {
  ExpectUnderFilter(Policy(), [] {
    // Natively: a keyring id (or ENOKEY), 0, ENOENT, EFAULT respectively.
    CHILD_EXPECT_ERRNO(syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0), EPERM);
    CHILD_EXPECT_ERRNO(syscall(SYS_ptrace, 0 /*PTRACE_TRACEME*/, 0, 0, 0), EPERM);
    CHILD_EXPECT_ERRNO(mount("none", "/nonexistent-runsc-test", "tmpfs", 0, nullptr), EPERM);
    CHILD_EXPECT_ERRNO(syscall(SYS_io_uring_setup, 1, nullptr), ENOSYS);
    CHILD_EXPECT_ERRNO(syscall(SYS_clone3, nullptr, 0), ENOSYS);
    return std::string();
  });
}

TEST(WorkloadFilterChildTest, UnknownSyscallIsEnosys) {
  ChildOutcome outcome = ExpectUnderFilter(Policy(), [] {
    CHILD_EXPECT_ERRNO(syscall(600), ENOSYS);
    CHILD_EXPECT_ERRNO(syscall(1000, 1, 2, 3), ENOSYS);
    return std::string();
  });
  EXPECT_THAT(outcome.notified, IsEmpty());
}

TEST(WorkloadFilterChildTest, CloneWithNamespaceFlagsIsDeniedForkWorks) {
  ExpectUnderFilter(Policy(), [] {
    // Natively (as root) this makes a child in a new user namespace.
    long rc = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
    if (rc == 0) _exit(0);
    CHILD_EXPECT(rc == -1 && errno == EPERM);
    CHILD_EXPECT_ERRNO(syscall(SYS_clone, CLONE_NEWNET | CLONE_NEWNS | SIGCHLD, 0, 0, 0, 0), EPERM);
    pid_t pid = fork();
    if (pid == 0) _exit(7);
    CHILD_EXPECT(pid > 0);
    int status = 0;
    CHILD_EXPECT(waitpid(pid, &status, 0) == pid);
    CHILD_EXPECT(WIFEXITED(status) && WEXITSTATUS(status) == 7);
    CHILD_EXPECT_ERRNO(unshare(CLONE_NEWNS), EPERM);
    CHILD_EXPECT_ERRNO(unshare(CLONE_NEWUSER), EPERM);
    CHILD_EXPECT(unshare(CLONE_FILES) == 0);
    return std::string();
  });
}

TEST(WorkloadFilterChildTest, SocketFamiliesAndTypes) {
  ExpectUnderFilter(Policy(), [] {
    CHILD_EXPECT_ERRNO(socket(AF_PACKET, SOCK_RAW, 0), EPERM);
    CHILD_EXPECT_ERRNO(socket(AF_INET, SOCK_RAW, IPPROTO_ICMP), EPERM);
    CHILD_EXPECT_ERRNO(socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMPV6), EPERM);
    CHILD_EXPECT_ERRNO(socket(AF_INET, SOCK_PACKET, 0), EPERM);
    CHILD_EXPECT_ERRNO(socket(AF_NETLINK, SOCK_RAW, NETLINK_AUDIT), EPROTONOSUPPORT);
    CHILD_EXPECT_ERRNO(socket(AF_VSOCK, SOCK_STREAM, 0), EAFNOSUPPORT);
    CHILD_EXPECT_ERRNO(socket(AF_ALG, SOCK_SEQPACKET, 0), EAFNOSUPPORT);
    // Junk in the upper half of the int does not turn a packet socket into an allowed one.
    CHILD_EXPECT_ERRNO(syscall(SYS_socket, (1UL << 32) | AF_PACKET, SOCK_RAW, 0), EPERM);
    for (int family : {AF_INET, AF_INET6}) {
      int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
      CHILD_EXPECT(fd >= 0);
      close(fd);
      fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK, 0);
      CHILD_EXPECT(fd >= 0);
      close(fd);
    }
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    CHILD_EXPECT(fd >= 0);
    close(fd);
    fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
    CHILD_EXPECT(fd >= 0);
    close(fd);
    int pair[2];
    CHILD_EXPECT(socketpair(AF_UNIX, SOCK_STREAM, 0, pair) == 0);
    CHILD_EXPECT_ERRNO(socketpair(AF_INET, SOCK_STREAM, 0, pair), EOPNOTSUPP);
    return std::string();
  });
}

TEST(WorkloadFilterChildTest, IoctlTiocstiIsDenied) {
  ExpectUnderFilter(Policy(), [] {
    int fds[2];
    CHILD_EXPECT(pipe(fds) == 0);
    char c = 'x';
    // Natively ENOTTY (a pipe is no terminal): EPERM can only come from the filter.
    CHILD_EXPECT_ERRNO(ioctl(fds[0], TIOCSTI, &c), EPERM);
    CHILD_EXPECT_ERRNO(ioctl(fds[0], TIOCLINUX, &c), EPERM);
    CHILD_EXPECT_ERRNO(syscall(SYS_ioctl, fds[0], (1UL << 32) | TIOCSTI, &c), EPERM);
    int available = -1;
    CHILD_EXPECT(ioctl(fds[0], FIONREAD, &available) == 0 && available == 0);
    CHILD_EXPECT_ERRNO(ioctl(fds[0], TCGETS, &available), ENOTTY);  // the kernel's answer
    return std::string();
  });
}

TEST(WorkloadFilterChildTest, NestedListenerIsRefusedStricterFiltersAllowed) {
  ExpectUnderFilter(Policy(), [] {
    // Natively EFAULT (NULL program): EBUSY here comes from our rule.
    CHILD_EXPECT_ERRNO(syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, nullptr), EBUSY);
    // TSYNC with a listener needs TSYNC_ESRCH (16): without it, and with an
    // unknown bit, the kernel's own EINVAL comes first, as natively.
    CHILD_EXPECT_ERRNO(syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
                               SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_TSYNC | 16, nullptr),
                       EBUSY);
    CHILD_EXPECT_ERRNO(syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
                               SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_TSYNC, nullptr),
                       EINVAL);
    CHILD_EXPECT_ERRNO(syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER | (1U << 31),
                               nullptr),
                       EINVAL);
    uint32_t action = SECCOMP_RET_ALLOW;
    CHILD_EXPECT(syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) == 0);
    sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    sock_fprog program{1, &allow};
    CHILD_EXPECT(syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &program) == 0);
    CHILD_EXPECT(syscall(SYS_getpid) == getpid());
    return std::string();
  });
}

TEST(WorkloadFilterChildTest, PrctlAndPersonality) {
  ExpectUnderFilter(Policy(), [] {
    CHILD_EXPECT_ERRNO(prctl(PR_SET_MM, PR_SET_MM_START_CODE, 0, 0, 0), EPERM);
    CHILD_EXPECT_ERRNO(syscall(SYS_prctl, (1UL << 32) | PR_SET_MM, PR_SET_MM_START_CODE, 0, 0, 0), EPERM);
    CHILD_EXPECT(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) >= 0);
    CHILD_EXPECT(prctl(PR_SET_NAME, "filtered", 0, 0, 0) == 0);
    CHILD_EXPECT(personality(0xffffffff) >= 0);
    CHILD_EXPECT(personality(PER_LINUX) >= 0);
    CHILD_EXPECT_ERRNO(personality(ADDR_NO_RANDOMIZE), EPERM);
    return std::string();
  });
}

TEST(WorkloadFilterChildTest, EmulatedCallsReachTheListener) {
  ChildOutcome outcome = ExpectUnderFilter(Policy(), [] {
    utsname name;
    CHILD_EXPECT_ERRNO(uname(&name), kNotifiedErrno);
    struct sysinfo info;
    CHILD_EXPECT_ERRNO(sysinfo(&info), kNotifiedErrno);
    CHILD_EXPECT_ERRNO(sethostname("x", 1), kNotifiedErrno);
    return std::string();
  });
  EXPECT_THAT(outcome.notified, Contains(SYS_uname));
  EXPECT_THAT(outcome.notified, Contains(SYS_sysinfo));
  EXPECT_THAT(outcome.notified, Contains(SYS_sethostname));
}

// A temporary directory, removed (one level) afterwards.
class TempDir {
 public:
  TempDir() {
    char path[] = "/tmp/runsc-filter-test-XXXXXX";
    path_ = mkdtemp(path) ? path : "";
  }
  ~TempDir() {
    if (path_.empty()) return;
    for (const char* name : {"new", "existing", "dir"}) {
      unlink((path_ + "/" + name).c_str());
      rmdir((path_ + "/" + name).c_str());
    }
    rmdir(path_.c_str());
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(WorkloadFilterChildTest, BrokerRowsPassWhenTheGoferIsOff) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  const std::string file = dir.path() + "/new", subdir = dir.path() + "/dir";
  Policy off;
  off.set_broker_to_gofer(false);
  ChildOutcome outcome = ExpectUnderFilter(off, [&] {
    int fd = static_cast<int>(syscall(SYS_openat, AT_FDCWD, file.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
    CHILD_EXPECT(fd >= 0);
    close(fd);
    CHILD_EXPECT(mkdir(subdir.c_str(), 0700) == 0);
    return std::string();
  });
  EXPECT_THAT(outcome.notified, IsEmpty());
  struct stat st;
  EXPECT_EQ(stat(file.c_str(), &st), 0);
}

TEST(WorkloadFilterChildTest, BrokerRowsTrapWhenTheGoferIsOn) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  const std::string existing = dir.path() + "/existing", file = dir.path() + "/new";
  int made = open(existing.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  ASSERT_GE(made, 0);
  close(made);
  Policy policy;
  policy.set_broker_to_gofer(true);
  ChildOutcome outcome = ExpectUnderFilter(policy, [&] {
    CHILD_EXPECT_ERRNO(syscall(SYS_openat, AT_FDCWD, file.c_str(), O_WRONLY | O_CREAT, 0600), kNotifiedErrno);
    CHILD_EXPECT_ERRNO(syscall(SYS_openat, AT_FDCWD, existing.c_str(), O_RDWR), kNotifiedErrno);
    CHILD_EXPECT_ERRNO(syscall(SYS_open, existing.c_str(), O_RDONLY | O_TRUNC), kNotifiedErrno);
    int fd = static_cast<int>(syscall(SYS_openat, AT_FDCWD, existing.c_str(), O_RDONLY | O_CLOEXEC));
    CHILD_EXPECT(fd >= 0);  // read-only: native
    // The fd form traps too: the sentry continues it unless the fd is on a read-only mount.
    CHILD_EXPECT_ERRNO(syscall(SYS_utimensat, fd, nullptr, nullptr, 0), kNotifiedErrno);
    CHILD_EXPECT_ERRNO(syscall(SYS_utimensat, AT_FDCWD, existing.c_str(), nullptr, 0), kNotifiedErrno);
    close(fd);
    CHILD_EXPECT_ERRNO(mkdir(file.c_str(), 0700), kNotifiedErrno);
    CHILD_EXPECT_ERRNO(unlink(existing.c_str()), kNotifiedErrno);
    return std::string();
  });
  EXPECT_THAT(outcome.notified, Contains(SYS_openat));
  EXPECT_THAT(outcome.notified, Contains(SYS_mkdir));
  EXPECT_THAT(outcome.notified, Contains(SYS_unlink));
  struct stat st;
  EXPECT_NE(stat(file.c_str(), &st), 0);
  EXPECT_EQ(stat(existing.c_str(), &st), 0);
}

TEST(WorkloadFilterChildTest, PolicyOverrideTakesEffect) {
  Policy policy;
  ASSERT_THAT(policy.Override("getppid", Disposition::kDeny, EACCES), IsOk());
  ExpectUnderFilter(policy, [] {
    CHILD_EXPECT_ERRNO(syscall(SYS_getppid), EACCES);  // glibc's getppid() does not set errno
    return std::string();
  });
}

#if defined(__x86_64__)
// getpid through the i386 ABI (int 0x80), as a 64-bit process may do.
long I386Getpid() {
  long result;
  asm volatile("int $0x80" : "=a"(result) : "a"(20L) : "memory");
  return result;
}

TEST(WorkloadFilterChildTest, I386CallKillsTheProcess) {
  // The host must run i386 code at all (CONFIG_IA32_EMULATION, ia32_emulation=1).
  std::string native = platform::testing::RunInChild(
      [] { return I386Getpid() == getpid() ? std::string() : std::string("no i386 ABI"); }, 0);
  if (!native.empty()) GTEST_SKIP() << "the kernel runs no i386 syscalls: " << native;
  ChildOutcome outcome = RunUnderFilter(Policy(), [] {
    long pid = I386Getpid();
    return fmt::format("int 0x80 getpid returned {}", pid);
  });
  EXPECT_EQ(outcome.failure, "");
  EXPECT_TRUE(WIFSIGNALED(outcome.wait_status) && WTERMSIG(outcome.wait_status) == SIGSYS)
      << "wait status " << outcome.wait_status;
}

TEST(WorkloadFilterChildTest, X32CallKillsTheProcess) {
  ChildOutcome outcome = RunUnderFilter(Policy(), [] {
    long rc = syscall(0x40000000 | SYS_getpid);  // natively ENOSYS without CONFIG_X86_X32_ABI
    return fmt::format("x32 getpid returned {} (errno {})", rc, errno);
  });
  EXPECT_EQ(outcome.failure, "");
  EXPECT_TRUE(WIFSIGNALED(outcome.wait_status) && WTERMSIG(outcome.wait_status) == SIGSYS)
      << "wait status " << outcome.wait_status;
}
#endif

}  // namespace
}  // namespace sentry
