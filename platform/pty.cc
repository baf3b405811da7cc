#include "platform/pty.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "fmt/format.h"
#include "platform/errors.h"

namespace platform {

absl::StatusOr<Pty> OpenPty(const std::string& ptmx) {
  Pty pty;
  pty.master.reset(open(ptmx.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!pty.master.valid()) return LastError(fmt::format("opening {}", ptmx));
  int unlock = 0;
  if (ioctl(pty.master.get(), TIOCSPTLCK, &unlock) != 0) return LastError("unlocking the pty");
  // TIOCGPTPEER opens the slave through the master itself, so no path in
  // the container's /dev/pts can be swapped for another file in between.
  pty.slave.reset(ioctl(pty.master.get(), TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!pty.slave.valid()) return LastError("opening the pty slave");
  unsigned int number = 0;
  if (ioctl(pty.master.get(), TIOCGPTN, &number) != 0) return LastError("reading the pty number");
  pty.slave_path = fmt::format("/dev/pts/{}", number);
  return pty;
}

absl::Status SetWindowSize(int fd, uint16_t rows, uint16_t columns) {
  struct winsize size = {};
  size.ws_row = rows;
  size.ws_col = columns;
  if (ioctl(fd, TIOCSWINSZ, &size) != 0) return LastError("setting the window size");
  return absl::OkStatus();
}

void CopyWindowSize(int from, int to) {
  struct winsize size;
  if (ioctl(from, TIOCGWINSZ, &size) == 0) ioctl(to, TIOCSWINSZ, &size);
}

absl::Status AttachTerminal(int slave) {
  if (setsid() < 0) return LastError("setsid");
  if (ioctl(slave, TIOCSCTTY, 0) != 0) return LastError("making the pty the controlling terminal");
  for (int std_fd = 0; std_fd < 3; ++std_fd) {
    if (dup2(slave, std_fd) < 0) return LastError("putting the pty on stdio");
  }
  return absl::OkStatus();
}

}  // namespace platform
