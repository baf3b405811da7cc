// `docker run -it` and `docker exec -it` on a real terminal: the docker CLI runs on the slave side of
// a pty this test opens (its controlling terminal and stdio), and the test types into the master.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <string>

#include "fmt/format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/docker_support.h"
#include "tests/leftovers.h"

namespace runsc::testing {
namespace {

using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

// What a command on a pty printed, and how it ended.
struct PtySession {
  int code = -1;  // exit status, or -1 if killed (also on timeout)
  bool timed_out = false;
  std::string output;  // everything read from the master, echo included
};

std::ostream& operator<<(std::ostream& os, const PtySession& s) {
  return os << "exit " << s.code << (s.timed_out ? " (timed out)" : "") << "\n--- terminal:\n" << s.output;
}

// Forks `sh -c command` as a session leader whose controlling terminal and stdio are a new pty's
// slave (24 rows, 80 columns). Returns its pid and the master, or pid -1.
std::pair<pid_t, int> SpawnOnPty(const std::string& command) {
  int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  char slave_name[64];
  if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0 ||
      ptsname_r(master, slave_name, sizeof(slave_name)) != 0) {
    if (master >= 0) close(master);
    return {-1, -1};
  }
  struct winsize size = {};
  size.ws_row = 24;
  size.ws_col = 80;
  ioctl(master, TIOCSWINSZ, &size);
  pid_t pid = fork();
  if (pid == 0) {
    setsid();
    int slave = open(slave_name, O_RDWR);  // the session's controlling terminal
    if (slave < 0 || ioctl(slave, TIOCSCTTY, 0) != 0) _exit(126);
    for (int fd = 0; fd < 3; ++fd) dup2(slave, fd);
    if (slave > 2) close(slave);
    execl("/bin/sh", "sh", "-c", command.c_str(), nullptr);
    _exit(127);
  }
  return {pid, master};
}

// Runs `command` on a pty; once the output contains `prompt`, types `input`; reads until the
// command has closed the terminal, and kills its session after `timeout`.
PtySession RunOnPty(const std::string& command, const std::string& prompt, const std::string& input,
                    std::chrono::milliseconds timeout = 60s) {
  PtySession session;
  auto [pid, master] = SpawnOnPty(command);
  if (pid < 0) {
    session.output = "could not open a pty";
    return session;
  }
  auto deadline = std::chrono::steady_clock::now() + timeout;
  bool typed = false;
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left <= 0ms) {
      session.timed_out = true;
      kill(-pid, SIGKILL);
      break;
    }
    struct pollfd fd = {master, POLLIN, 0};
    if (poll(&fd, 1, static_cast<int>(left.count())) < 0 && errno != EINTR) break;
    if (!(fd.revents & (POLLIN | POLLHUP | POLLERR))) continue;
    char buffer[4096];
    ssize_t n = read(master, buffer, sizeof(buffer));
    if (n <= 0) break;  // EIO: every slave fd is closed, the command is done
    session.output.append(buffer, n);
    if (!typed && session.output.find(prompt) != std::string::npos) {
      typed = write(master, input.data(), input.size()) == static_cast<ssize_t>(input.size());
    }
  }
  close(master);
  int status = 0;
  if (!WaitUntil([&] { return waitpid(pid, &status, WNOHANG) == pid; }, 30s)) {
    kill(-pid, SIGKILL);
    waitpid(pid, &status, 0);
    session.timed_out = true;
  }
  if (WIFEXITED(status) && !session.timed_out) session.code = WEXITSTATUS(status);
  return session;
}

// busybox sh's prompt for root in /.
constexpr char kPrompt[] = "/ # ";

TEST_F(DockerTest, RunInteractiveOnATerminal) {
  PtySession s = RunOnPty(fmt::format("docker run -it --rm --runtime={} --network none {} sh", runtime_, kImage),
                          kPrompt, "tty; stty size; exit 3\n");
  EXPECT_EQ(s.code, 3) << s;
  EXPECT_THAT(s.output, HasSubstr(kPrompt)) << s;
  EXPECT_THAT(s.output, ContainsRegex("\n/dev/pts/[0-9]+\r?\n")) << s;
  EXPECT_THAT(s.output, ContainsRegex("\n24 80\r?\n")) << s;
}

TEST_F(DockerTest, ExecInteractiveOnATerminal) {
  std::string name = Detached(kSleeper);
  ASSERT_TRUE(LogsContain(name, "ready"));
  PtySession s = RunOnPty(fmt::format("docker exec -it {} sh", name), kPrompt, "tty; stty size; exit 4\n");
  EXPECT_EQ(s.code, 4) << s;
  EXPECT_THAT(s.output, ContainsRegex("\n/dev/pts/[0-9]+\r?\n")) << s;
  EXPECT_THAT(s.output, ContainsRegex("\n24 80\r?\n")) << s;
  Shell alive = Sh(fmt::format("docker exec {} echo still-running", name));
  EXPECT_EQ(alive.out, "still-running\n") << alive;
}

}  // namespace
}  // namespace runsc::testing
