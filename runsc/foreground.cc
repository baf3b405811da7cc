#include "runsc/foreground.h"

#include <errno.h>
#include <sys/ioctl.h>

#include <optional>
#include <poll.h>
#include <signal.h>
#include <termios.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "platform/errors.h"
#include "platform/pty.h"

namespace runsc {
namespace {

int ExitCodeOf(int wait_status) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return 255;
}

// Our terminal in raw mode for the lifetime of the object (if stdin is one).
class RawMode {
 public:
  RawMode() {
    if (tcgetattr(0, &saved_) != 0) return;
    struct termios raw = saved_;
    cfmakeraw(&raw);
    active_ = tcsetattr(0, TCSANOW, &raw) == 0;
  }
  ~RawMode() {
    if (active_) tcsetattr(0, TCSANOW, &saved_);
  }

 private:
  struct termios saved_ = {};
  bool active_ = false;
};

// Copies what is readable on `from` to `to`; false at EOF or error (EIO
// once the pty's last slave is closed).
bool CopyOnce(int from, int to) {
  char buffer[16384];
  ssize_t got = read(from, buffer, sizeof(buffer));
  if (got < 0 && errno == EINTR) return true;
  if (got <= 0) return false;
  for (ssize_t done = 0; done < got;) {
    ssize_t written = write(to, buffer + done, got - done);
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) return false;
    done += written;
  }
  return true;
}

// Handles one signal; returns true (with *status set) once `pid` exited.
bool HandleSignal(const struct signalfd_siginfo& info, pid_t pid, int pidfd, int master, int* status) {
  if (info.ssi_signo == SIGWINCH && master >= 0) {
    platform::CopyWindowSize(0, master);
    return false;
  }
  if (info.ssi_signo != SIGCHLD) {
    syscall(SYS_pidfd_send_signal, pidfd, info.ssi_signo, nullptr, 0);
    return false;
  }
  pid_t reaped;
  int wait_status;
  while ((reaped = waitpid(-1, &wait_status, WNOHANG)) > 0) {
    if (reaped == pid) {
      *status = wait_status;
      return true;
    }
  }
  return false;
}

}  // namespace

absl::StatusOr<platform::UniqueFd> BlockSignals() {
  sigset_t all;
  sigfillset(&all);
  if (sigprocmask(SIG_BLOCK, &all, nullptr) != 0) return platform::LastError("sigprocmask");
  platform::UniqueFd fd(signalfd(-1, &all, SFD_CLOEXEC));
  if (!fd.valid()) return platform::LastError("signalfd");
  return fd;
}

int WaitForwardingSignals(int signal_fd, pid_t pid, int pidfd, int master) {
  std::optional<RawMode> raw_mode;
  if (master >= 0) raw_mode.emplace();
  if (master >= 0) platform::CopyWindowSize(0, master);
  bool stdin_open = master >= 0, master_open = master >= 0;
  int status = 0;
  bool exited = false;
  while (!exited || master_open) {
    struct pollfd pollers[3] = {{signal_fd, POLLIN, 0},
                                {stdin_open ? 0 : -1, POLLIN, 0},
                                {master_open ? master : -1, POLLIN, 0}};
    // After the exit, drain the pty without blocking on it forever.
    int ready = poll(pollers, 3, exited ? 100 : -1);
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) break;
    if (pollers[2].revents) master_open = CopyOnce(master, 1);
    if (pollers[1].revents) stdin_open = CopyOnce(0, master);
    if (pollers[0].revents & POLLIN) {
      struct signalfd_siginfo info;
      if (read(signal_fd, &info, sizeof(info)) == sizeof(info)) {
        exited = HandleSignal(info, pid, pidfd, master, &status) || exited;
      }
    }
  }
  return ExitCodeOf(status);
}

}  // namespace runsc
