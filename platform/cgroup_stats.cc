#include "platform/cgroup_stats.h"

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>

#include "absl/strings/str_split.h"
#include "fmt/format.h"

namespace platform {
namespace {

using Json = nlohmann::ordered_json;
constexpr uint64_t kUnlimited = UINT64_MAX;

std::string Read(const std::string& path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  std::string value = text.str();
  while (!value.empty() && (value.back() == '\n' || value.back() == ' ')) value.pop_back();
  return value;
}

// A number file; "max" is unlimited; missing or garbage is 0.
uint64_t Number(const std::string& path) {
  std::string text = Read(path);
  if (text == "max") return kUnlimited;
  try {
    return text.empty() ? 0 : std::stoull(text);
  } catch (const std::exception&) {
    return 0;
  }
}

// "key value" lines (memory.stat, cpu.stat, memory.events, ...).
std::map<std::string, uint64_t> KeyValues(const std::string& path) {
  std::map<std::string, uint64_t> out;
  std::istringstream lines(Read(path));
  std::string key;
  uint64_t value;
  while (lines >> key >> value) out[key] = value;
  return out;
}

std::vector<uint64_t> Numbers(const std::string& path) {
  std::vector<uint64_t> out;
  std::istringstream words(Read(path));
  uint64_t value;
  while (words >> value) out.push_back(value);
  return out;
}

// Sets key unless the value is zero/empty (Go's omitempty).
template <typename T>
void PutNonZero(Json& json, const char* key, const T& value) {
  if constexpr (std::is_arithmetic_v<T>) {
    if (value == 0) return;
  } else {
    if (value.empty()) return;
  }
  json[key] = value;
}

// A MemoryEntry {limit, usage?, max?, failcnt}.
Json MemoryEntry(uint64_t limit, uint64_t usage, uint64_t max, uint64_t failcnt) {
  Json entry;
  entry["limit"] = limit;
  PutNonZero(entry, "usage", usage);
  PutNonZero(entry, "max", max);
  entry["failcnt"] = failcnt;
  return entry;
}

Json V1MemoryEntry(const std::string& prefix) {
  return MemoryEntry(Number(prefix + "limit_in_bytes"), Number(prefix + "usage_in_bytes"),
                     Number(prefix + "max_usage_in_bytes"), Number(prefix + "failcnt"));
}

Json Throttling(uint64_t periods, uint64_t throttled, uint64_t time_ns) {
  Json json = Json::object();
  PutNonZero(json, "periods", periods);
  PutNonZero(json, "throttled_periods", throttled);
  PutNonZero(json, "throttled_time", time_ns);
  return json;
}

Json V1Cpu(const std::string& cpu, const std::string& cpuacct) {
  Json usage;
  const uint64_t tick_ns = 1000000000ull / static_cast<uint64_t>(sysconf(_SC_CLK_TCK));
  std::map<std::string, uint64_t> stat = KeyValues(cpuacct + "/cpuacct.stat");
  PutNonZero(usage, "total", Number(cpuacct + "/cpuacct.usage"));
  PutNonZero(usage, "percpu", Numbers(cpuacct + "/cpuacct.usage_percpu"));
  PutNonZero(usage, "percpu_kernel", Numbers(cpuacct + "/cpuacct.usage_percpu_sys"));
  PutNonZero(usage, "percpu_user", Numbers(cpuacct + "/cpuacct.usage_percpu_user"));
  usage["kernel"] = stat["system"] * tick_ns;
  usage["user"] = stat["user"] * tick_ns;
  std::map<std::string, uint64_t> throttle = KeyValues(cpu + "/cpu.stat");
  return {{"usage", usage},
          {"throttling", Throttling(throttle["nr_periods"], throttle["nr_throttled"], throttle["throttled_time"])}};
}

Json V1Memory(const std::string& dir) {
  Json memory;
  std::map<std::string, uint64_t> raw = KeyValues(dir + "/memory.stat");
  PutNonZero(memory, "cache", raw["cache"]);
  memory["usage"] = V1MemoryEntry(dir + "/memory.");
  memory["swap"] = V1MemoryEntry(dir + "/memory.memsw.");
  memory["kernel"] = V1MemoryEntry(dir + "/memory.kmem.");
  memory["kernelTCP"] = V1MemoryEntry(dir + "/memory.kmem.tcp.");
  PutNonZero(memory, "raw", raw);
  return memory;
}

Json Pids(const std::string& dir) {
  Json pids = Json::object();
  PutNonZero(pids, "current", Number(dir + "/pids.current"));
  uint64_t limit = Number(dir + "/pids.max");
  PutNonZero(pids, "limit", limit == kUnlimited ? 0 : limit);
  return pids;
}

// blkio.throttle.io_service*_recursive: "8:0 Read 4096" lines.
Json V1BlkioEntries(const std::string& path) {
  Json entries = Json::array();
  std::istringstream lines(Read(path));
  std::string line;
  while (std::getline(lines, line)) {
    std::vector<std::string> fields = absl::StrSplit(line, ' ', absl::SkipEmpty());
    unsigned major, minor;
    if (fields.size() != 3 || sscanf(fields[0].c_str(), "%u:%u", &major, &minor) != 2) continue;
    Json entry;
    PutNonZero(entry, "major", major);
    PutNonZero(entry, "minor", minor);
    entry["op"] = fields[1];
    PutNonZero(entry, "value", std::stoull(fields[2]));
    entries.push_back(entry);
  }
  return entries;
}

Json V1Blkio(const std::string& dir) {
  Json blkio = Json::object();
  if (dir.empty()) return blkio;
  Json bytes = V1BlkioEntries(dir + "/blkio.throttle.io_service_bytes_recursive");
  Json ios = V1BlkioEntries(dir + "/blkio.throttle.io_serviced_recursive");
  if (!bytes.empty()) blkio["ioServiceBytesRecursive"] = bytes;
  if (!ios.empty()) blkio["ioServicedRecursive"] = ios;
  return blkio;
}

// The hugepage sizes a dir has files for ("2MB", "1GB").
std::vector<std::string> HugepageSizes(const std::string& dir, const std::string& suffix) {
  std::vector<std::string> sizes;
  for (const char* size : {"64KB", "2MB", "32MB", "512MB", "1GB", "16GB"}) {
    if (access(fmt::format("{}/hugetlb.{}.{}", dir, size, suffix).c_str(), F_OK) == 0) sizes.push_back(size);
  }
  return sizes;
}

Json V1Hugetlb(const std::string& dir) {
  Json hugetlb = Json::object();
  if (dir.empty()) return hugetlb;
  for (const std::string& size : HugepageSizes(dir, "limit_in_bytes")) {
    std::string prefix = fmt::format("{}/hugetlb.{}.", dir, size);
    Json entry;
    PutNonZero(entry, "usage", Number(prefix + "usage_in_bytes"));
    PutNonZero(entry, "max", Number(prefix + "max_usage_in_bytes"));
    entry["failcnt"] = Number(prefix + "failcnt");
    hugetlb[size] = entry;
  }
  return hugetlb;
}

Json Cpuset(const std::string& dir) {
  Json cpuset = Json::object();
  if (dir.empty()) return cpuset;
  cpuset["cpus"] = ParseCpuList(Read(dir + "/cpuset.cpus.effective").empty() ? Read(dir + "/cpuset.cpus")
                                                                            : Read(dir + "/cpuset.cpus.effective"));
  cpuset["mems"] = ParseCpuList(Read(dir + "/cpuset.mems.effective").empty() ? Read(dir + "/cpuset.mems")
                                                                            : Read(dir + "/cpuset.mems.effective"));
  return cpuset;
}

Json V2Cpu(const std::string& dir) {
  std::map<std::string, uint64_t> stat = KeyValues(dir + "/cpu.stat");
  Json usage;
  PutNonZero(usage, "total", stat["usage_usec"] * 1000);
  usage["kernel"] = stat["system_usec"] * 1000;
  usage["user"] = stat["user_usec"] * 1000;
  return {{"usage", usage},
          {"throttling", Throttling(stat["nr_periods"], stat["nr_throttled"], stat["throttled_usec"] * 1000)}};
}

Json V2Memory(const std::string& dir) {
  Json memory;
  std::map<std::string, uint64_t> raw = KeyValues(dir + "/memory.stat");
  std::map<std::string, uint64_t> events = KeyValues(dir + "/memory.events");
  PutNonZero(memory, "cache", raw["file"]);
  memory["usage"] = MemoryEntry(Number(dir + "/memory.max"), Number(dir + "/memory.current"),
                                Number(dir + "/memory.peak"), events["max"]);
  memory["swap"] = MemoryEntry(Number(dir + "/memory.swap.max"), Number(dir + "/memory.swap.current"),
                               Number(dir + "/memory.swap.peak"), 0);
  memory["kernel"] = MemoryEntry(0, 0, 0, 0);
  memory["kernelTCP"] = MemoryEntry(0, 0, 0, 0);
  PutNonZero(memory, "raw", raw);
  return memory;
}

// io.stat: "8:0 rbytes=1 wbytes=2 rios=3 wios=4 ...".
Json V2Io(const std::string& dir) {
  Json bytes = Json::array(), ios = Json::array();
  std::istringstream lines(Read(dir + "/io.stat"));
  std::string line;
  while (std::getline(lines, line)) {
    std::vector<std::string> fields = absl::StrSplit(line, ' ', absl::SkipEmpty());
    unsigned major, minor;
    if (fields.empty() || sscanf(fields[0].c_str(), "%u:%u", &major, &minor) != 2) continue;
    for (size_t i = 1; i < fields.size(); ++i) {
      std::vector<std::string> kv = absl::StrSplit(fields[i], '=');
      if (kv.size() != 2) continue;
      static const std::map<std::string, std::pair<bool, std::string>> kOps = {
          {"rbytes", {true, "Read"}}, {"wbytes", {true, "Write"}}, {"rios", {false, "Read"}}, {"wios", {false, "Write"}}};
      auto op = kOps.find(kv[0]);
      if (op == kOps.end()) continue;
      Json entry;
      PutNonZero(entry, "major", major);
      PutNonZero(entry, "minor", minor);
      entry["op"] = op->second.second;
      PutNonZero(entry, "value", std::stoull(kv[1]));
      (op->second.first ? bytes : ios).push_back(entry);
    }
  }
  Json io = Json::object();
  if (!bytes.empty()) io["ioServiceBytesRecursive"] = bytes;
  if (!ios.empty()) io["ioServicedRecursive"] = ios;
  return io;
}

Json V2Hugetlb(const std::string& dir) {
  Json hugetlb = Json::object();
  for (const std::string& size : HugepageSizes(dir, "max")) {
    std::string prefix = fmt::format("{}/hugetlb.{}.", dir, size);
    Json entry;
    PutNonZero(entry, "usage", Number(prefix + "current"));
    entry["failcnt"] = KeyValues(prefix + "events")["max"];
    hugetlb[size] = entry;
  }
  return hugetlb;
}

Json Envelope(Json cpu, Json cpuset, Json memory, Json pids, Json blkio, Json hugetlb) {
  return {{"cpu", cpu},       {"cpuset", cpuset},   {"memory", memory},        {"pids", pids},
          {"blkio", blkio},   {"hugetlb", hugetlb}, {"intel_rdt", Json::object()}, {"network_interfaces", nullptr}};
}

}  // namespace

std::vector<uint64_t> ParseCpuList(const std::string& list) {
  std::vector<uint64_t> out;
  for (absl::string_view range : absl::StrSplit(list, ',', absl::SkipEmpty())) {
    unsigned long first, last;
    std::string text(range);
    int got = sscanf(text.c_str(), "%lu-%lu", &first, &last);
    if (got < 1) continue;
    if (got == 1) last = first;
    for (uint64_t cpu = first; cpu <= last && out.size() < 4096; ++cpu) out.push_back(cpu);
  }
  return out;
}

Json V1Stats(const std::string& cpu, const std::string& cpuacct, const std::string& memory, const std::string& pids,
             const std::string& blkio, const std::string& hugetlb, const std::string& cpuset) {
  return Envelope(V1Cpu(cpu, cpuacct), Cpuset(cpuset), memory.empty() ? Json::object() : V1Memory(memory),
                  pids.empty() ? Json::object() : Pids(pids), V1Blkio(blkio), V1Hugetlb(hugetlb));
}

Json V2Stats(const std::string& dir) {
  return Envelope(V2Cpu(dir), Cpuset(dir), V2Memory(dir), Pids(dir), V2Io(dir), V2Hugetlb(dir));
}

absl::StatusOr<nlohmann::ordered_json> ReadCgroupStats(const Cgroup& cgroup) {
  if (cgroup.pure_v2()) {
    std::string dir = cgroup.ControllerDir("");
    if (access(dir.c_str(), F_OK) != 0) return absl::NotFoundError(fmt::format("cgroup {} is gone", dir));
    return V2Stats(dir);
  }
  std::string memory = cgroup.ControllerDir("memory");
  if (!memory.empty() && access(memory.c_str(), F_OK) != 0) {
    return absl::NotFoundError(fmt::format("cgroup {} is gone", memory));
  }
  return V1Stats(cgroup.ControllerDir("cpu"), cgroup.ControllerDir("cpuacct"), memory, cgroup.ControllerDir("pids"),
                 cgroup.ControllerDir("blkio"), cgroup.ControllerDir("hugetlb"), cgroup.ControllerDir("cpuset"));
}

MemoryAndPids V1MemoryAndPids(const std::string& memory, const std::string& pids, const std::string& freezer) {
  MemoryAndPids out;
  if (!memory.empty()) {
    out.memory_limit = Number(memory + "/memory.limit_in_bytes");
    out.memory_usage = Number(memory + "/memory.usage_in_bytes");
  }
  std::string tasks = freezer.empty() ? "" : Read(freezer + "/tasks");
  if (!tasks.empty()) {
    out.pids = static_cast<uint64_t>(std::count(tasks.begin(), tasks.end(), '\n')) + 1;  // Read trims the last
  } else if (!pids.empty()) {
    out.pids = Number(pids + "/pids.current");
  }
  return out;
}

MemoryAndPids V2MemoryAndPids(const std::string& dir) {
  return {Number(dir + "/memory.max"), Number(dir + "/memory.current"), Number(dir + "/pids.current")};
}

MemoryAndPids ReadMemoryAndPids(const Cgroup& cgroup) {
  if (cgroup.pure_v2()) return V2MemoryAndPids(cgroup.ControllerDir(""));
  return V1MemoryAndPids(cgroup.ControllerDir("memory"), cgroup.ControllerDir("pids"), cgroup.ControllerDir("freezer"));
}

}  // namespace platform
