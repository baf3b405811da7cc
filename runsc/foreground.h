// Waiting for a foreground process (run, exec) the way runc does: every
// signal runsc receives is forwarded to it, and its exit status is ours.
#ifndef RUNSC_RUNSC_FOREGROUND_H_
#define RUNSC_RUNSC_FOREGROUND_H_

#include <sys/types.h>

#include "absl/status/statusor.h"
#include "platform/unique_fd.h"

namespace runsc {

// Blocks every signal and returns a signalfd for them. Call before
// starting the child, so that no signal is lost in between (SpawnSelf's
// child unblocks them again).
absl::StatusOr<platform::UniqueFd> BlockSignals();

// Reaps our children until `pid` exits, forwarding every other signal to it
// through `pidfd`. With a pty `master` (>= 0) it also relays our stdin to
// it and its output to our stdout, with our terminal (if stdin is one) in
// raw mode and its size followed on SIGWINCH, as runc run does. Returns
// the exit code, 128+N when killed by signal N.
int WaitForwardingSignals(int signal_fd, pid_t pid, int pidfd, int master = -1);

}  // namespace runsc

#endif  // RUNSC_RUNSC_FOREGROUND_H_
