// The tables follow runc 1.1 (libcontainer/cgroups/fs and fs2): a zero or
// unset value leaves the file alone; -1 means unlimited.
#include "platform/cgroup_resources.h"

#include <algorithm>

#include "fmt/format.h"
#include "platform/status_macros.h"

namespace platform {
namespace {

// Collects writes for one cgroup version.
class Writes {
 public:
  explicit Writes(std::string controller_for_v2 = "") : v2_(controller_for_v2 == "v2") {}
  void Add(const std::string& controller, const std::string& file, const std::string& value,
           const std::string& field) {
    out_.push_back({v2_ ? "" : controller, file, value, field});
  }
  std::vector<CgroupWrite>& out() { return out_; }

 private:
  bool v2_;
  std::vector<CgroupWrite> out_;
};

absl::Status Unsupported(const std::string& field, const std::string& why) {
  return absl::InvalidArgumentError(fmt::format("linux.resources.{}: {}", field, why));
}

// "max" for negative values (unlimited), else the number.
std::string MaxOr(int64_t value) { return value < 0 ? "max" : std::to_string(value); }

std::string DeviceKey(int64_t major, int64_t minor) { return fmt::format("{}:{}", major, minor); }

void AddThrottles(Writes& writes, const std::vector<ThrottleDevice>& devices, const std::string& file,
                  const std::string& field) {
  for (const ThrottleDevice& device : devices) {
    writes.Add("blkio", file, fmt::format("{} {}", DeviceKey(device.major, device.minor), device.rate), field);
  }
}

void AddMemoryV1(Writes& writes, const CgroupResources& r, bool swap_first) {
  auto limit = [&] {
    if (r.memory_limit && *r.memory_limit != 0)
      writes.Add("memory", "memory.limit_in_bytes", std::to_string(*r.memory_limit), "memory.limit");
  };
  auto swap = [&] {
    if (r.memory_swap && *r.memory_swap != 0)
      writes.Add("memory", "memory.memsw.limit_in_bytes", std::to_string(*r.memory_swap), "memory.swap");
  };
  if (swap_first) swap(), limit();
  else limit(), swap();
  if (r.memory_reservation && *r.memory_reservation != 0)
    writes.Add("memory", "memory.soft_limit_in_bytes", std::to_string(*r.memory_reservation), "memory.reservation");
  if (r.memory_kernel && *r.memory_kernel != 0)
    writes.Add("memory", "memory.kmem.limit_in_bytes", std::to_string(*r.memory_kernel), "memory.kernel");
  if (r.memory_kernel_tcp && *r.memory_kernel_tcp != 0)
    writes.Add("memory", "memory.kmem.tcp.limit_in_bytes", std::to_string(*r.memory_kernel_tcp), "memory.kernelTCP");
  if (r.memory_swappiness) writes.Add("memory", "memory.swappiness", std::to_string(*r.memory_swappiness), "memory.swappiness");
  if (r.disable_oom_killer.value_or(false)) writes.Add("memory", "memory.oom_control", "1", "memory.disableOOMKiller");
}

void AddCpuV1(Writes& writes, const CgroupResources& r) {
  if (r.cpu_shares && *r.cpu_shares != 0) writes.Add("cpu", "cpu.shares", std::to_string(*r.cpu_shares), "cpu.shares");
  if (r.cpu_period && *r.cpu_period != 0)
    writes.Add("cpu", "cpu.cfs_period_us", std::to_string(*r.cpu_period), "cpu.period");
  if (r.cpu_quota && *r.cpu_quota != 0) writes.Add("cpu", "cpu.cfs_quota_us", std::to_string(*r.cpu_quota), "cpu.quota");
  if (r.cpu_realtime_period && *r.cpu_realtime_period != 0)
    writes.Add("cpu", "cpu.rt_period_us", std::to_string(*r.cpu_realtime_period), "cpu.realtimePeriod");
  if (r.cpu_realtime_runtime && *r.cpu_realtime_runtime != 0)
    writes.Add("cpu", "cpu.rt_runtime_us", std::to_string(*r.cpu_realtime_runtime), "cpu.realtimeRuntime");
  if (r.cpu_idle) writes.Add("cpu", "cpu.idle", std::to_string(*r.cpu_idle), "cpu.idle");
  if (r.cpus && !r.cpus->empty()) writes.Add("cpuset", "cpuset.cpus", *r.cpus, "cpu.cpus");
  if (r.mems && !r.mems->empty()) writes.Add("cpuset", "cpuset.mems", *r.mems, "cpu.mems");
}

void AddBlkioV1(Writes& writes, const CgroupResources& r) {
  if (r.blkio_weight && *r.blkio_weight != 0)
    writes.Add("blkio", "blkio.weight", std::to_string(*r.blkio_weight), "blockIO.weight");
  if (r.blkio_leaf_weight && *r.blkio_leaf_weight != 0)
    writes.Add("blkio", "blkio.leaf_weight", std::to_string(*r.blkio_leaf_weight), "blockIO.leafWeight");
  for (const WeightDevice& device : r.blkio_weight_devices) {
    std::string key = DeviceKey(device.major, device.minor);
    if (device.weight)
      writes.Add("blkio", "blkio.weight_device", fmt::format("{} {}", key, *device.weight), "blockIO.weightDevice");
    if (device.leaf_weight)
      writes.Add("blkio", "blkio.leaf_weight_device", fmt::format("{} {}", key, *device.leaf_weight),
                 "blockIO.weightDevice");
  }
  AddThrottles(writes, r.throttle_read_bps, "blkio.throttle.read_bps_device", "blockIO.throttleReadBpsDevice");
  AddThrottles(writes, r.throttle_write_bps, "blkio.throttle.write_bps_device", "blockIO.throttleWriteBpsDevice");
  AddThrottles(writes, r.throttle_read_iops, "blkio.throttle.read_iops_device", "blockIO.throttleReadIOPSDevice");
  AddThrottles(writes, r.throttle_write_iops, "blkio.throttle.write_iops_device", "blockIO.throttleWriteIOPSDevice");
}

absl::Status AddMemoryV2(Writes& writes, const CgroupResources& r) {
  if (r.memory_kernel.value_or(0) != 0) return Unsupported("memory.kernel", "kernel memory limits do not exist on cgroup v2");
  if (r.memory_kernel_tcp.value_or(0) != 0)
    return Unsupported("memory.kernelTCP", "kernel TCP memory limits do not exist on cgroup v2");
  if (r.memory_swappiness) return Unsupported("memory.swappiness", "swappiness does not exist on cgroup v2");
  if (r.disable_oom_killer.value_or(false))
    return Unsupported("memory.disableOOMKiller", "the OOM killer cannot be disabled on cgroup v2");
  int64_t limit = r.memory_limit.value_or(0);
  if (r.memory_swap.value_or(0) != 0) {
    ASSIGN_OR_RETURN(std::string swap, SwapToV2(*r.memory_swap, limit));
    writes.Add("", "memory.swap.max", swap, "memory.swap");
  }
  if (limit != 0) writes.Add("", "memory.max", MaxOr(limit), "memory.limit");
  if (r.memory_reservation.value_or(0) != 0)
    writes.Add("", "memory.low", MaxOr(*r.memory_reservation), "memory.reservation");
  return absl::OkStatus();
}

absl::Status AddCpuV2(Writes& writes, const CgroupResources& r) {
  if (r.cpu_realtime_period.value_or(0) != 0 || r.cpu_realtime_runtime.value_or(0) != 0) {
    return Unsupported("cpu.realtimeRuntime", "realtime scheduling limits do not exist on cgroup v2");
  }
  if (r.cpu_shares.value_or(0) != 0) {
    writes.Add("", "cpu.weight", std::to_string(CpuSharesToWeight(*r.cpu_shares)), "cpu.shares");
  }
  int64_t quota = r.cpu_quota.value_or(0);
  uint64_t period = r.cpu_period.value_or(0);
  if (quota != 0 || period != 0) {
    std::string value = quota > 0 ? std::to_string(quota) : "max";
    if (period != 0) value += " " + std::to_string(period);
    writes.Add("", "cpu.max", value, quota != 0 ? "cpu.quota" : "cpu.period");
  }
  if (r.cpu_idle) writes.Add("", "cpu.idle", std::to_string(*r.cpu_idle), "cpu.idle");
  if (r.cpus && !r.cpus->empty()) writes.Add("", "cpuset.cpus", *r.cpus, "cpu.cpus");
  if (r.mems && !r.mems->empty()) writes.Add("", "cpuset.mems", *r.mems, "cpu.mems");
  return absl::OkStatus();
}

void AddIoMax(Writes& writes, const std::vector<ThrottleDevice>& devices, const char* key, const std::string& field) {
  for (const ThrottleDevice& device : devices) {
    writes.Add("", "io.max", fmt::format("{} {}={}", DeviceKey(device.major, device.minor), key, device.rate), field);
  }
}

absl::Status AddIoV2(Writes& writes, const CgroupResources& r) {
  if (r.blkio_leaf_weight.value_or(0) != 0) return Unsupported("blockIO.leafWeight", "leaf weights do not exist on cgroup v2");
  if (r.blkio_weight.value_or(0) != 0) {
    writes.Add("", "io.weight", std::to_string(BlkioWeightToIoWeight(*r.blkio_weight)), "blockIO.weight");
  }
  for (const WeightDevice& device : r.blkio_weight_devices) {
    if (device.leaf_weight) return Unsupported("blockIO.weightDevice", "leaf weights do not exist on cgroup v2");
    if (!device.weight) continue;
    writes.Add("", "io.weight",
               fmt::format("{} {}", DeviceKey(device.major, device.minor), BlkioWeightToIoWeight(*device.weight)),
               "blockIO.weightDevice");
  }
  AddIoMax(writes, r.throttle_read_bps, "rbps", "blockIO.throttleReadBpsDevice");
  AddIoMax(writes, r.throttle_write_bps, "wbps", "blockIO.throttleWriteBpsDevice");
  AddIoMax(writes, r.throttle_read_iops, "riops", "blockIO.throttleReadIOPSDevice");
  AddIoMax(writes, r.throttle_write_iops, "wiops", "blockIO.throttleWriteIOPSDevice");
  return absl::OkStatus();
}

absl::Status AddUnifiedV2(Writes& writes, const CgroupResources& r) {
  for (const auto& [file, value] : r.unified) {
    if (file.empty() || file.find('/') != std::string::npos || file == "." || file == "..") {
      return Unsupported(fmt::format("unified[\"{}\"]", file), "not a cgroup file name");
    }
    writes.Add("", file, value, fmt::format("unified[\"{}\"]", file));
  }
  return absl::OkStatus();
}

}  // namespace

bool CgroupResources::empty() const {
  return !memory_limit && !memory_reservation && !memory_swap && !memory_kernel && !memory_kernel_tcp &&
         !memory_swappiness && !disable_oom_killer && !cpu_shares && !cpu_period && !cpu_realtime_period &&
         !cpu_quota && !cpu_realtime_runtime && !cpu_idle && !cpus && !mems && !pids_limit && !blkio_weight &&
         !blkio_leaf_weight && blkio_weight_devices.empty() && throttle_read_bps.empty() &&
         throttle_write_bps.empty() && throttle_read_iops.empty() && throttle_write_iops.empty() &&
         hugepage_limits.empty() && !net_class_id && net_priorities.empty() && unified.empty();
}

uint64_t CpuSharesToWeight(uint64_t shares) {
  if (shares == 0) return 0;
  if (shares < 2) shares = 2;
  if (shares > 262144) shares = 262144;
  return 1 + ((shares - 2) * 9999) / 262142;
}

uint64_t BlkioWeightToIoWeight(uint64_t weight) {
  if (weight == 0) return 0;
  return 1 + (weight - 10) * 9999 / 990;
}

absl::StatusOr<std::string> SwapToV2(int64_t swap, int64_t limit) {
  if (swap == -1) return std::string("max");
  if (limit == 0 || limit == -1) {
    return Unsupported("memory.swap", "a swap limit needs a memory limit (memory.limit) on cgroup v2");
  }
  if (swap < limit) {
    return Unsupported("memory.swap", fmt::format("memory+swap ({}) must be at least memory.limit ({})", swap, limit));
  }
  return std::to_string(swap - limit);
}

bool SwapBeforeLimitV1(const CgroupResources& r, int64_t current_limit) {
  if (!r.memory_swap || *r.memory_swap == 0 || !r.memory_limit || *r.memory_limit == 0) return false;
  return *r.memory_swap == -1 || current_limit < *r.memory_swap;
}

absl::StatusOr<std::vector<CgroupWrite>> V1Writes(const CgroupResources& r, bool swap_first) {
  if (r.memory_swappiness && *r.memory_swappiness > 100) {
    return Unsupported("memory.swappiness", fmt::format("must be 0..100, got {}", *r.memory_swappiness));
  }
  if (!r.unified.empty()) return Unsupported("unified", "needs cgroup v2 (this host uses cgroup v1 controllers)");
  Writes writes;
  AddMemoryV1(writes, r, swap_first);
  AddCpuV1(writes, r);
  if (r.pids_limit && *r.pids_limit != 0) writes.Add("pids", "pids.max", MaxOr(*r.pids_limit), "pids.limit");
  AddBlkioV1(writes, r);
  for (const HugepageLimit& hugepage : r.hugepage_limits) {
    writes.Add("hugetlb", fmt::format("hugetlb.{}.limit_in_bytes", hugepage.page_size), std::to_string(hugepage.limit),
               "hugepageLimits");
  }
  if (r.net_class_id) writes.Add("net_cls", "net_cls.classid", std::to_string(*r.net_class_id), "network.classID");
  for (const NetPriority& priority : r.net_priorities) {
    writes.Add("net_prio", "net_prio.ifpriomap", fmt::format("{} {}", priority.name, priority.priority),
               "network.priorities");
  }
  return std::move(writes.out());
}

absl::StatusOr<std::vector<CgroupWrite>> V2Writes(const CgroupResources& r) {
  if (r.net_class_id || !r.net_priorities.empty()) {
    return Unsupported("network", "net_cls/net_prio do not exist on cgroup v2");
  }
  Writes writes("v2");
  RETURN_IF_ERROR(AddMemoryV2(writes, r));
  RETURN_IF_ERROR(AddCpuV2(writes, r));
  if (r.pids_limit && *r.pids_limit != 0) writes.Add("", "pids.max", MaxOr(*r.pids_limit), "pids.limit");
  RETURN_IF_ERROR(AddIoV2(writes, r));
  for (const HugepageLimit& hugepage : r.hugepage_limits) {
    writes.Add("", fmt::format("hugetlb.{}.max", hugepage.page_size), std::to_string(hugepage.limit), "hugepageLimits");
  }
  RETURN_IF_ERROR(AddUnifiedV2(writes, r));
  return std::move(writes.out());
}

std::vector<std::string> V2Controllers(const CgroupResources& r) {
  std::vector<std::string> controllers;
  auto need = [&](bool wanted, const char* name) {
    if (wanted) controllers.push_back(name);
  };
  need(r.memory_limit || r.memory_reservation || r.memory_swap, "memory");
  need(r.cpu_shares || r.cpu_quota || r.cpu_period || r.cpu_idle, "cpu");
  need(r.cpus || r.mems, "cpuset");
  need(r.pids_limit.has_value(), "pids");
  need(r.blkio_weight || !r.blkio_weight_devices.empty() || !r.throttle_read_bps.empty() ||
           !r.throttle_write_bps.empty() || !r.throttle_read_iops.empty() || !r.throttle_write_iops.empty(),
       "io");
  need(!r.hugepage_limits.empty(), "hugetlb");
  for (const auto& [file, value] : r.unified) {
    std::string prefix = file.substr(0, file.find('.'));
    if (prefix != "cgroup" && std::find(controllers.begin(), controllers.end(), prefix) == controllers.end()) {
      controllers.push_back(prefix);
    }
  }
  return controllers;
}

}  // namespace platform
