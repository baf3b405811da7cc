// A cgroup's statistics in the shape of runc's `events` data (libcontainer's
// types.Stats: cpu, cpuset, memory, pids, blkio, hugetlb), read from the v1
// controller files or the v2 ones.
#ifndef RUNSC_PLATFORM_CGROUP_STATS_H_
#define RUNSC_PLATFORM_CGROUP_STATS_H_

#include <string>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "platform/cgroups.h"

namespace platform {

// Reads the stats of `cgroup`. Fields are omitted as Go's omitempty does in
// runc's JSON; a controller the host lacks gives an empty object.
absl::StatusOr<nlohmann::ordered_json> ReadCgroupStats(const Cgroup& cgroup);

// The v1 stats from controller dirs (exposed for tests on a fake tree).
nlohmann::ordered_json V1Stats(const std::string& cpu, const std::string& cpuacct, const std::string& memory,
                               const std::string& pids, const std::string& blkio, const std::string& hugetlb,
                               const std::string& cpuset);
// The v2 stats from one cgroup dir (exposed for tests on a fake tree).
nlohmann::ordered_json V2Stats(const std::string& dir);

// What sysinfo(2) shows of a cgroup: memory limit (UINT64_MAX: none) and
// usage in bytes, and the process count. 0 where a file is missing, so all 0
// once the cgroup is gone (no separate existence check on this hot path).
struct MemoryAndPids {
  uint64_t memory_limit = 0;
  uint64_t memory_usage = 0;
  uint64_t pids = 0;
};
// Reads just those three files (ReadCgroupStats reads every controller's,
// ~40 files on v1: 0.5 ms per emulated sysinfo).
MemoryAndPids ReadMemoryAndPids(const Cgroup& cgroup);
// The same from v1 memory and pids controller dirs, or one v2 dir (exposed for
// tests on a fake tree). With a v1 `freezer` dir, the process count is the
// lines of its tasks file: the workload's tasks, since the sandbox, whose
// threads pids.current counts too (docs/design.md, "Cgroups"), never joins
// the v1 freezer. On pure v2 pids.current counts them.
MemoryAndPids V1MemoryAndPids(const std::string& memory, const std::string& pids,
                              const std::string& freezer = "");
MemoryAndPids V2MemoryAndPids(const std::string& dir);

// "0-2,4" -> [0,1,2,4] (cpuset lists).
std::vector<uint64_t> ParseCpuList(const std::string& list);

}  // namespace platform

#endif  // RUNSC_PLATFORM_CGROUP_STATS_H_
