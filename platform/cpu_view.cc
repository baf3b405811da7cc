#include "platform/cpu_view.h"

#include <algorithm>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "platform/cgroup_stats.h"

namespace platform {

std::vector<uint64_t> VisibleCpus(const std::vector<uint64_t>& host_cpus, const CpuLimits& limits) {
  std::vector<uint64_t> candidates;
  if (limits.cpuset.empty()) {
    candidates = host_cpus;
  } else {
    std::set<uint64_t> online(host_cpus.begin(), host_cpus.end());
    for (uint64_t cpu : limits.cpuset) {
      if (host_cpus.empty() || online.count(cpu)) candidates.push_back(cpu);
    }
    if (candidates.empty()) candidates = limits.cpuset;
  }
  if (candidates.empty()) candidates = {0};
  size_t n = candidates.size();
  if (limits.quota_us && limits.period_us > 0) {
    uint64_t by_quota = (*limits.quota_us + limits.period_us - 1) / limits.period_us;
    n = std::min<size_t>(n, std::max<uint64_t>(by_quota, 1));
  }
  candidates.resize(n);
  return candidates;
}

CpuLimits ReadCpuLimits(const ControllerFileReader& read) {
  CpuLimits limits;
  if (auto max = read("cpu", "cpu.max")) {  // v2: "max 100000" or "150000 100000"
    std::vector<absl::string_view> fields = absl::StrSplit(absl::StripAsciiWhitespace(*max), ' ');
    uint64_t quota, period;
    if (fields.size() == 2 && absl::SimpleAtoi(fields[1], &period)) limits.period_us = period;
    if (!fields.empty() && absl::SimpleAtoi(fields[0], &quota)) limits.quota_us = quota;
  } else if (auto quota = read("cpu", "cpu.cfs_quota_us")) {  // v1: -1 is no limit
    int64_t value;
    if (absl::SimpleAtoi(absl::StripAsciiWhitespace(*quota), &value) && value > 0) limits.quota_us = value;
    uint64_t period;
    auto period_text = read("cpu", "cpu.cfs_period_us");
    if (period_text && absl::SimpleAtoi(absl::StripAsciiWhitespace(*period_text), &period)) {
      limits.period_us = period;
    }
  }
  for (const char* name : {"cpuset.cpus.effective", "cpuset.effective_cpus", "cpuset.cpus"}) {
    auto list = read("cpuset", name);
    if (list && !absl::StripAsciiWhitespace(*list).empty()) {
      limits.cpuset = ParseCpuList(std::string(absl::StripAsciiWhitespace(*list)));
      break;
    }
  }
  return limits;
}

}  // namespace platform
