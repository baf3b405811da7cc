// Reading process facts from /proc.
#ifndef RUNSC_PLATFORM_PROCFS_H_
#define RUNSC_PLATFORM_PROCFS_H_

#include <sys/types.h>

#include <cstdint>

#include "absl/status/statusor.h"

namespace platform {

// What /proc/<pid>/stat says about a process.
struct ProcessStat {
  char state = '?';         // R, S, D, Z, T, ...
  uint64_t start_time = 0;  // clock ticks after boot (field 22): with the pid,
                            // identifies a process even after pid reuse
};

// Parses /proc/<pid>/stat. NotFound when there is no such process.
absl::StatusOr<ProcessStat> ReadProcessStat(pid_t pid);

// True if `pid` exists, is not a zombie, and started at `start_time`: the
// process is still the one we recorded, not a later one given the same pid.
bool IsSameLiveProcess(pid_t pid, uint64_t start_time);

}  // namespace platform

#endif  // RUNSC_PLATFORM_PROCFS_H_
