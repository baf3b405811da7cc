// linux.resources as cgroup file writes: the OCI fields, and their mapping
// to the files of cgroup v1 controllers and of cgroup v2, with runc's unit
// conversions (cpu shares -> cpu.weight, memory+swap -> memory.swap.max, ...).
// Pure functions: the writes are applied by Cgroup::ApplyResources.
#ifndef RUNSC_PLATFORM_CGROUP_RESOURCES_H_
#define RUNSC_PLATFORM_CGROUP_RESOURCES_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace platform {

// linux.resources.blockIO.weightDevice[] entry.
struct WeightDevice {
  int64_t major = 0, minor = 0;
  std::optional<uint16_t> weight, leaf_weight;
};

// linux.resources.blockIO.throttle*Device[] entry.
struct ThrottleDevice {
  int64_t major = 0, minor = 0;
  uint64_t rate = 0;
};

// linux.resources.hugepageLimits[] entry; page_size like "2MB".
struct HugepageLimit {
  std::string page_size;
  uint64_t limit = 0;
};

// linux.resources.network.priorities[] entry.
struct NetPriority {
  std::string name;
  uint32_t priority = 0;
};

// linux.resources without devices (those are rules, see device_rules).
// Unset optionals and empty lists mean "leave as is".
struct CgroupResources {
  // memory
  std::optional<int64_t> memory_limit, memory_reservation, memory_swap, memory_kernel, memory_kernel_tcp;
  std::optional<uint64_t> memory_swappiness;
  std::optional<bool> disable_oom_killer;
  // cpu
  std::optional<uint64_t> cpu_shares, cpu_period, cpu_realtime_period;
  std::optional<int64_t> cpu_quota, cpu_realtime_runtime, cpu_idle;
  std::optional<std::string> cpus, mems;
  // pids
  std::optional<int64_t> pids_limit;
  // blockIO
  std::optional<uint16_t> blkio_weight, blkio_leaf_weight;
  std::vector<WeightDevice> blkio_weight_devices;
  std::vector<ThrottleDevice> throttle_read_bps, throttle_write_bps, throttle_read_iops, throttle_write_iops;
  // hugepageLimits
  std::vector<HugepageLimit> hugepage_limits;
  // network
  std::optional<uint32_t> net_class_id;
  std::vector<NetPriority> net_priorities;
  // unified (cgroup v2 file -> value)
  std::map<std::string, std::string> unified;

  // True if nothing is set.
  bool empty() const;
};

// One file write: `value` into `<dir of controller>/<file>`. `field` is the
// linux.resources path it comes from, for error messages.
struct CgroupWrite {
  std::string controller;  // v1 controller ("memory", "cpu", ...); "" for v2
  std::string file;
  std::string value;
  std::string field;
};

// The v1 writes, in order. `swap_first` writes memory.memsw.limit_in_bytes
// before memory.limit_in_bytes (needed when raising both; see
// SwapBeforeLimitV1). Errors for values runc rejects (swappiness > 100).
absl::StatusOr<std::vector<CgroupWrite>> V1Writes(const CgroupResources& resources, bool swap_first);

// runc's rule for the order of the v1 memory writes, given the current
// memory.limit_in_bytes: raise memsw first when the new swap exceeds it.
bool SwapBeforeLimitV1(const CgroupResources& resources, int64_t current_limit);

// The v2 writes, in order. Errors name the field for what v2 cannot
// express (kernel memory, swappiness, realtime, leaf weights, net_cls/prio).
absl::StatusOr<std::vector<CgroupWrite>> V2Writes(const CgroupResources& resources);

// runc's cpu.shares (2..262144) -> cpu.weight (1..10000).
uint64_t CpuSharesToWeight(uint64_t shares);
// runc's blkio weight (10..1000) -> io.weight (1..10000).
uint64_t BlkioWeightToIoWeight(uint64_t weight);
// runc's memory.swap.max from OCI memory.swap (memory+swap) and the limit.
absl::StatusOr<std::string> SwapToV2(int64_t swap, int64_t limit);

// The v2 controllers `resources` needs enabled in the parents'
// cgroup.subtree_control ("cpu", "cpuset", "io", "memory", "pids", "hugetlb").
std::vector<std::string> V2Controllers(const CgroupResources& resources);

}  // namespace platform

#endif  // RUNSC_PLATFORM_CGROUP_RESOURCES_H_
