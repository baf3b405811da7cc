// Pseudo-terminals for containers with process.terminal.
#ifndef RUNSC_PLATFORM_PTY_H_
#define RUNSC_PLATFORM_PTY_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "platform/unique_fd.h"

namespace platform {

// A pty pair.
struct Pty {
  UniqueFd master;
  UniqueFd slave;
  std::string slave_path;  // e.g. /dev/pts/0
};

// Opens a new pty from `ptmx` (the container's /dev/ptmx once pivoted, so
// the pair lives in the container's own devpts instance).
absl::StatusOr<Pty> OpenPty(const std::string& ptmx = "/dev/ptmx");

// TIOCSWINSZ.
absl::Status SetWindowSize(int fd, uint16_t rows, uint16_t columns);

// Copies the window size of `from` (a tty) to `to`; no-op if `from` is not a tty.
void CopyWindowSize(int from, int to);

// Makes `slave` this process's controlling terminal and its stdin, stdout
// and stderr: setsid, TIOCSCTTY, dup2.
absl::Status AttachTerminal(int slave);

}  // namespace platform

#endif  // RUNSC_PLATFORM_PTY_H_
