// End to end on the real kernel: a child under the workload's filter with
// the broker rows trapped, served by the seccomp-notify platform, the
// dispatcher and the broker, with a fake gofer on the other end.
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "fmt/format.h"
#include "gtest/gtest.h"
#include "platform/oci_seccomp.h"
#include "platform/seccomp_notify.h"
#include "platform/status_matchers.h"
#include "platform/unix_socket.h"
#include "sentry/broker.h"
#include "sentry/dispatcher.h"
#include "sentry/fake_gofer_test_util.h"
#include "sentry/workload_filter.h"

namespace sentry {
namespace {

namespace protocol = gofer::protocol;
using ::platform::testing::IsOk;
using testing::FakeAnswer;
using testing::FakeGofer;

// Forks a child that loads `policy`'s filter and hands us its listener,
// then runs `body`; its report comes back on `report`.
pid_t ForkUnderFilter(const Policy& policy, const std::function<std::string()>& body, platform::UniqueFd& listener,
                      platform::UniqueFd& report) {
  absl::StatusOr<platform::CompiledSeccomp> compiled = CompileWorkloadFilter(policy, SECCOMP_RET_USER_NOTIF);
  EXPECT_THAT(compiled, IsOk());
  int sockets[2], pipe_fds[2];
  if (!compiled.ok() || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sockets) != 0 ||
      pipe2(pipe_fds, O_CLOEXEC) != 0) {
    return -1;
  }
  pid_t pid = fork();
  if (pid == 0) {
    close(sockets[0]);
    close(pipe_fds[0]);
    std::string result = "setup failed";
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    absl::StatusOr<platform::UniqueFd> ours = platform::LoadFilterWithListener(compiled->program, 0);
    if (ours.ok() && platform::SendFd(sockets[1], ours->get(), "listener").ok()) {
      ours->reset();
      result = body();
    }
    if (write(pipe_fds[1], result.data(), result.size()) < 0) _exit(3);
    _exit(0);
  }
  close(sockets[1]);
  close(pipe_fds[1]);
  report.reset(pipe_fds[0]);
  absl::StatusOr<platform::UniqueFd> received = platform::ReceiveFd(sockets[0]);
  close(sockets[0]);
  EXPECT_THAT(received, IsOk());
  if (received.ok()) listener = std::move(*received);
  return pid;
}

std::string ReadReport(int fd) {
  std::string out;
  char buffer[1024];
  for (ssize_t n; (n = read(fd, buffer, sizeof(buffer))) > 0;) out.append(buffer, n);
  return out;
}

TEST(BrokerTrappedTest, ARealWorkloadsCallsReachTheGoferAndGetItsAnswers) {
  Policy policy;
  policy.set_broker_to_gofer(true);
  const std::string long_path = "/" + std::string(5000, 'x');
  platform::UniqueFd listener, report;
  pid_t pid = ForkUnderFilter(
      policy,
      [&] {
        int made = mkdir("/brokered/dir", 0750);
        int made_errno = made == 0 ? 0 : errno;
        int fd = open("/brokered/file", O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        char content[32] = {};
        ssize_t n = fd >= 0 ? pread(fd, content, sizeof(content) - 1, 0) : -1;
        int cloexec = fd >= 0 ? fcntl(fd, F_GETFD) & FD_CLOEXEC : -1;
        errno = 0;
        int too_long = mkdir(long_path.c_str(), 0700);
        int too_long_errno = errno;
        int exists = rmdir("/brokered/full");
        int exists_errno = errno;
        int null_dev = open("/dev/null", O_WRONLY);  // not host storage: the kernel's
        struct utsname name;
        int uname_rc = uname(&name);  // emulated, answered inline meanwhile
        return fmt::format("mkdir={}/{} read={}:{} cloexec={} long={}/{} rmdir={}/{} devnull={} uname={}", made,
                           made_errno, n, content, cloexec, too_long, strerrorname_np(too_long_errno), exists,
                           strerrorname_np(exists_errno), null_dev >= 0, uname_rc);
      },
      listener, report);
  ASSERT_GT(pid, 0);

  FakeGofer gofer;
  gofer.Serve([](const protocol::Incoming<protocol::Request>& request) -> std::optional<FakeAnswer> {
    if (std::holds_alternative<protocol::Openat>(request.message.body)) {
      platform::UniqueFd file(memfd_create("gofer", MFD_CLOEXEC));
      EXPECT_EQ(write(file.get(), "from the gofer", 14), 14);
      FakeAnswer answer{protocol::Result{0, 1}, {}};
      answer.fds.push_back(std::move(file));
      return answer;
    }
    if (std::holds_alternative<protocol::Unlinkat>(request.message.body)) return testing::ResultOf(-ENOTEMPTY);
    return testing::ResultOf(0);
  });
  int failures = 0;
  auto client = GoferClient::Connect(gofer.TakeClientEnd(), [&](const absl::Status&) { ++failures; });
  ASSERT_THAT(client, IsOk());
  (*client)->Start();
  Broker broker(client->get(), BrokerOptions{getpid(), -1, {}});
  SandboxConfig config;
  ContainerView view;
  view.init_pid = getpid();
  Emulator emulator(config, view, std::nullopt);
  std::unique_ptr<CallLog> log = *CallLog::Create("test", /*strace=*/true, "");
  Dispatcher dispatcher(policy, emulator, *log, {}, &broker);
  auto platform = platform::SeccompNotifyPlatform::Create();
  ASSERT_THAT(platform, IsOk());
  ASSERT_THAT((*platform)->AddListener(std::move(listener)), IsOk());
  ASSERT_THAT((*platform)->Start(&dispatcher), IsOk());

  EXPECT_EQ(ReadReport(report.get()),
            "mkdir=0/0 read=14:from the gofer cloexec=1 long=-1/ENAMETOOLONG rmdir=-1/ENOTEMPTY devnull=true uname=0");
  waitpid(pid, nullptr, 0);
  std::vector<protocol::Request> requests = gofer.requests();
  ASSERT_EQ(requests.size(), 3u);
  auto mkdir_request = std::get<protocol::Mkdirat>(requests[0].body);
  EXPECT_EQ(mkdir_request.path, "/brokered/dir");
  EXPECT_EQ(mkdir_request.mode, 0750u);
  EXPECT_EQ(mkdir_request.creds.fsuid, geteuid());
  EXPECT_EQ(std::get<protocol::Openat>(requests[1].body).path, "/brokered/file");
  EXPECT_EQ(std::get<protocol::Unlinkat>(requests[2].body).flags, static_cast<uint32_t>(AT_REMOVEDIR));
  nlohmann::json stats = log->Stats();
  EXPECT_EQ(stats["syscalls"]["mkdir"]["broker"], 2);
  EXPECT_EQ(stats["syscalls"]["rmdir"]["broker"], 1);
  EXPECT_EQ(stats["dispositions"]["emulate"], 1);
  EXPECT_EQ(failures, 0);
  (*platform)->Stop();
}

}  // namespace
}  // namespace sentry
