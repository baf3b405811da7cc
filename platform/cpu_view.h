// The CPUs a container is shown: one rule shared by the virtual /proc and
// /sys files (gofer/vproc) and the sentry's emulated sched_getaffinity and
// sysinfo, so that nproc, get_nprocs, os.cpu_count, /proc/cpuinfo and
// /proc/stat all agree.
//
// Rule (LXCFS's and the JVM's container sizing): the first N CPUs of the
// cgroup's cpuset that are online, N = min(ceil(quota / period), cpuset
// size), at least 1; all online CPUs without limits.
#ifndef RUNSC_PLATFORM_CPU_VIEW_H_
#define RUNSC_PLATFORM_CPU_VIEW_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace platform {

// A cgroup's CPU limits.
struct CpuLimits {
  std::optional<uint64_t> quota_us;  // CFS bandwidth; nullopt: unlimited
  uint64_t period_us = 100000;
  std::vector<uint64_t> cpuset;  // effective cpuset; empty: every CPU
};

// The host CPU numbers shown to a container with `limits`, given the
// host's online CPUs (empty: unknown, the cpuset is taken as is).
std::vector<uint64_t> VisibleCpus(const std::vector<uint64_t>& host_cpus, const CpuLimits& limits);

// Reads a controller's file: (controller "cpu" or "cpuset", file name) ->
// its text, nullopt when absent.
using ControllerFileReader =
    std::function<std::optional<std::string>(const std::string& controller, const std::string& file)>;

// The limits from cgroup v2 (cpu.max, cpuset.cpus.effective) or v1
// (cpu.cfs_quota_us/cfs_period_us, cpuset.effective_cpus or cpuset.cpus).
CpuLimits ReadCpuLimits(const ControllerFileReader& read);

}  // namespace platform

#endif  // RUNSC_PLATFORM_CPU_VIEW_H_
