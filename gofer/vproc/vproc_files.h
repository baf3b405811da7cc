// The text of the container's virtual /proc and /sys files, as pure functions
// of a MachineInputs snapshot (the container's cgroup numbers and the host's
// own file text), so that they are testable without FUSE or a cgroup.
//
// What each file shows (decisions; LXCFS made the same ones unless noted):
// - meminfo: with a memory limit below the host's MemTotal, MemTotal is the
//   limit, MemFree limit - usage, Cached the cgroup's page cache, MemAvailable
//   MemFree + Cached, Buffers/SReclaimable 0, Shmem the cgroup's, SwapTotal
//   the swap limit (capped by the host's), other kB lines capped at MemTotal
//   (address-space lines such as VmallocTotal and DirectMap* untouched).
//   Without a limit: the host's text unchanged.
// - cpuinfo: the blocks of the first N CPUs of the cpuset, renumbered 0..N-1
//   (N = VisibleCpus); non-CPU blocks (arm's trailer) kept.
// - stat: the aggregate and cpuN lines of those CPUs, renumbered; with the
//   container's CPU usage (cpuacct / cpu.stat) they show its user/system time,
//   idle = N * container uptime - usage, spread evenly over the CPUs; btime is
//   the host's (ps adds process start times, counted from host boot, to it);
//   procs_running/procs_blocked are the container's.
// - uptime: seconds since the container's init started; idle as in stat.
//   Caveat shared with LXCFS: ps's ETIME = uptime - start time since host
//   boot can be off for processes of an old-booted host.
// - loadavg: the host's 1/5/15-minute loads scaled by N / host CPUs (the load
//   per CPU, which is what `make -l`, uptime readers and schedulers compare
//   against nproc, stays the host's); the running/total field is the
//   container's tasks; the last-pid field is 0 (no host pid leaks).
// - diskstats: the host's (block devices are shared; no per-cgroup view).
// - swaps: one "none virtual" line sized like meminfo's SwapTotal/used, or
//   the header only when the container has no swap (no host device names).
// - cpu_online (/sys/devices/system/cpu/online): "0-(N-1)".
// - cmdline (/proc/cmdline): a fixed line, "BOOT_IMAGE=/vmlinuz quiet", as
//   gVisor serves one of its own: the host's kernel command line names its
//   root device, console, security and other boot options (issue 21).
// - boot_id (/proc/sys/kernel/random/boot_id): a random UUID drawn once per
//   container, as gVisor does: stable while the container runs (journald
//   and others key their records on it), never the host's.
#ifndef RUNSC_GOFER_VPROC_VPROC_FILES_H_
#define RUNSC_GOFER_VPROC_VPROC_FILES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace gofer::vproc {

// The host's own files, read at the time of the snapshot.
struct HostFiles {
  std::string meminfo, cpuinfo, stat, uptime, loadavg, diskstats, swaps;
};

// One snapshot of everything the files are computed from.
struct MachineInputs {
  // Memory, bytes. nullopt: no limit (the host's memory is the box).
  std::optional<uint64_t> memory_limit;
  uint64_t memory_usage = 0;
  uint64_t memory_cache = 0;  // page cache charged to the cgroup
  uint64_t memory_shmem = 0;
  // Swap alone (v1's memsw minus memory), bytes. nullopt: no swap limit.
  std::optional<uint64_t> swap_limit;
  uint64_t swap_usage = 0;
  // CFS bandwidth; nullopt quota: unlimited.
  std::optional<uint64_t> cpu_quota_us;
  uint64_t cpu_period_us = 100000;
  // The cgroup's effective cpuset; empty: all host CPUs.
  std::vector<uint64_t> cpuset;
  // The container's CPU time, nanoseconds; nullopt when not available.
  std::optional<uint64_t> cpu_user_ns, cpu_system_ns;
  // Seconds since the container's init started.
  double uptime_seconds = 0;
  // Tasks in the container (for loadavg's running/total and stat's procs_*).
  uint32_t tasks_running = 0, tasks_total = 0, tasks_blocked = 0;
  // The container's boot id ("8-4-4-4-12" hex digits, no newline).
  std::string boot_id;
  HostFiles host;
};

// The files served, in inode order (inode = index + 2; 1 is the root).
enum class VFile { kMeminfo, kCpuinfo, kStat, kUptime, kLoadavg, kDiskstats, kSwaps, kCpuOnline, kCmdline, kBootId };

struct VFileInfo {
  VFile file;
  const char* name;    // the name in the FUSE root
  const char* target;  // what the lead bind-mounts it over in the container
};
// Every served file, with its bind target.
const std::vector<VFileInfo>& AllFiles();

// The number of host CPUs (cpuN lines of the host's /proc/stat; at least 1).
unsigned HostCpuCount(const MachineInputs& in);
// The host CPU numbers the container sees: the first N of its cpuset (all
// host CPUs when empty), N = min(ceil(quota/period), cpuset size, host CPUs),
// at least 1.
std::vector<uint64_t> VisibleCpus(const MachineInputs& in);

std::string MeminfoText(const MachineInputs& in);
std::string CpuinfoText(const MachineInputs& in);
std::string StatText(const MachineInputs& in);
std::string UptimeText(const MachineInputs& in);
std::string LoadavgText(const MachineInputs& in);
std::string DiskstatsText(const MachineInputs& in);
std::string SwapsText(const MachineInputs& in);
std::string CpuOnlineText(const MachineInputs& in);
std::string CmdlineText(const MachineInputs& in);
std::string BootIdText(const MachineInputs& in);
// Dispatches to the generator of `file`.
std::string Generate(VFile file, const MachineInputs& in);

}  // namespace gofer::vproc

#endif  // RUNSC_GOFER_VPROC_VPROC_FILES_H_
