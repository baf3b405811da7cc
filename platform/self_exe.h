// Re-executing runsc as its internal commands (init, boot) from a sealed copy.
#ifndef RUNSC_PLATFORM_SELF_EXE_H_
#define RUNSC_PLATFORM_SELF_EXE_H_

#include "absl/status/statusor.h"
#include "platform/unique_fd.h"

namespace platform {

// Returns a memfd holding a copy of /proc/self/exe (its loadable part: the
// ELF and program headers and the segments, without debug info), sealed against any
// change (F_SEAL_SEAL|SHRINK|GROW|WRITE|FUTURE_WRITE).
//
// Invariant (CVE-2019-5736): a process that runs inside the container before
// its workload execs (the init) is executed from this copy, so the container
// can reach only the sealed memfd through /proc/<pid>/exe, never the host's
// runsc binary, and cannot write to it.
absl::StatusOr<UniqueFd> SealedSelfExe();

}  // namespace platform

#endif  // RUNSC_PLATFORM_SELF_EXE_H_
