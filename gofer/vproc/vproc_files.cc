// The generators of the virtual files (decisions in vproc_files.h).
#include "gofer/vproc/vproc_files.h"

#include "platform/cpu_view.h"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <map>
#include <set>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "fmt/format.h"

namespace gofer::vproc {
namespace {

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines = absl::StrSplit(text, '\n');
  if (!lines.empty() && lines.back().empty()) lines.pop_back();
  return lines;
}

// "Key:   123 kB" -> (Key, 123, true); nullopt for other shapes.
struct MeminfoLine {
  std::string key;
  uint64_t value = 0;
  bool kb = false;
};
std::optional<MeminfoLine> ParseMeminfoLine(const std::string& line) {
  size_t colon = line.find(':');
  if (colon == std::string::npos) return std::nullopt;
  std::vector<absl::string_view> fields = absl::StrSplit(absl::string_view(line).substr(colon + 1), ' ',
                                                         absl::SkipEmpty());
  MeminfoLine parsed{line.substr(0, colon), 0, fields.size() == 2 && fields[1] == "kB"};
  if (fields.empty() || !absl::SimpleAtoi(fields[0], &parsed.value)) return std::nullopt;
  return parsed;
}

std::string FormatKb(const std::string& key, uint64_t kb) { return fmt::format("{:<16}{:>8} kB", key + ":", kb); }

uint64_t HostMeminfo(const MachineInputs& in, const std::string& key) {
  for (const std::string& line : Lines(in.host.meminfo)) {
    auto parsed = ParseMeminfoLine(line);
    if (parsed && parsed->key == key) return parsed->value;
  }
  return 0;
}

// The memory numbers meminfo and swaps agree on, in kB.
struct MemView {
  bool limited = false;
  uint64_t total = 0, free = 0, available = 0, cached = 0, shmem = 0, swap_total = 0, swap_free = 0;
};
MemView ComputeMemView(const MachineInputs& in) {
  MemView view;
  const uint64_t host_total = HostMeminfo(in, "MemTotal");
  const uint64_t host_swap = HostMeminfo(in, "SwapTotal");
  view.limited = in.memory_limit && (host_total == 0 || *in.memory_limit / 1024 < host_total);
  if (!view.limited) {
    view.total = host_total;
    view.swap_total = host_swap;
    view.swap_free = HostMeminfo(in, "SwapFree");
    return view;
  }
  view.total = *in.memory_limit / 1024;
  const uint64_t used = std::min(in.memory_usage / 1024, view.total);
  view.free = view.total - used;
  view.cached = std::min(in.memory_cache / 1024, used);
  view.shmem = std::min(in.memory_shmem / 1024, used);
  view.available = std::min(view.free + view.cached, view.total);
  view.swap_total = in.swap_limit ? std::min(*in.swap_limit / 1024, host_swap) : host_swap;
  view.swap_free = view.swap_total - std::min(in.swap_usage / 1024, view.swap_total);
  return view;
}

// Host CPU ids, from the cpuN lines of the host's /proc/stat.
std::vector<uint64_t> HostCpuIds(const MachineInputs& in) {
  std::vector<uint64_t> ids;
  for (const std::string& line : Lines(in.host.stat)) {
    uint64_t id;
    if (line.size() > 3 && line.compare(0, 3, "cpu") == 0 && line[3] != ' ' &&
        absl::SimpleAtoi(absl::string_view(line).substr(3, line.find(' ') - 3), &id)) {
      ids.push_back(id);
    }
  }
  return ids;
}

// The ten counters of a "cpuN ..." line (missing ones are 0).
using CpuTimes = std::array<uint64_t, 10>;
std::optional<std::pair<std::string, CpuTimes>> ParseCpuLine(const std::string& line) {
  if (line.compare(0, 3, "cpu") != 0) return std::nullopt;
  std::vector<absl::string_view> fields = absl::StrSplit(line, ' ', absl::SkipEmpty());
  if (fields.empty()) return std::nullopt;
  CpuTimes times{};
  for (size_t i = 1; i < fields.size() && i <= times.size(); ++i) {
    if (!absl::SimpleAtoi(fields[i], &times[i - 1])) return std::nullopt;
  }
  return std::make_pair(std::string(fields[0]), times);
}

std::string FormatCpuLine(const std::string& name, const CpuTimes& times) {
  std::string line = name == "cpu" ? "cpu " : name;
  for (uint64_t value : times) line += fmt::format(" {}", value);
  return line + "\n";
}

uint64_t TicksPerSecond() {
  long hz = sysconf(_SC_CLK_TCK);  // glibc: from the auxv, no syscall
  return hz > 0 ? static_cast<uint64_t>(hz) : 100;
}

// `total` spread over `n` parts; part i gets the remainder's share first.
uint64_t Share(uint64_t total, size_t n, size_t i) { return total / n + (i < total % n ? 1 : 0); }

// Container seconds of CPU time, when known.
std::optional<double> CpuUsageSeconds(const MachineInputs& in) {
  if (!in.cpu_user_ns && !in.cpu_system_ns) return std::nullopt;
  return (in.cpu_user_ns.value_or(0) + in.cpu_system_ns.value_or(0)) / 1e9;
}

}  // namespace

const std::vector<VFileInfo>& AllFiles() {
  static const std::vector<VFileInfo> files = {
      {VFile::kMeminfo, "meminfo", "/proc/meminfo"},
      {VFile::kCpuinfo, "cpuinfo", "/proc/cpuinfo"},
      {VFile::kStat, "stat", "/proc/stat"},
      {VFile::kUptime, "uptime", "/proc/uptime"},
      {VFile::kLoadavg, "loadavg", "/proc/loadavg"},
      {VFile::kDiskstats, "diskstats", "/proc/diskstats"},
      {VFile::kSwaps, "swaps", "/proc/swaps"},
      {VFile::kCpuOnline, "cpu_online", "/sys/devices/system/cpu/online"},
      {VFile::kCmdline, "cmdline", "/proc/cmdline"},
      {VFile::kBootId, "boot_id", "/proc/sys/kernel/random/boot_id"},
  };
  return files;
}

unsigned HostCpuCount(const MachineInputs& in) {
  size_t count = HostCpuIds(in).size();
  return count > 0 ? static_cast<unsigned>(count) : 1;
}

std::vector<uint64_t> VisibleCpus(const MachineInputs& in) {
  return platform::VisibleCpus(HostCpuIds(in), {in.cpu_quota_us, in.cpu_period_us, in.cpuset});
}

std::string MeminfoText(const MachineInputs& in) {
  const MemView view = ComputeMemView(in);
  if (!view.limited) return in.host.meminfo;
  // Address-space and geometry lines are not amounts of the box's memory.
  static const std::set<std::string> kUntouched = {"VmallocTotal", "VmallocUsed", "VmallocChunk", "Hugepagesize",
                                                   "DirectMap4k",  "DirectMap2M", "DirectMap1G",  "Percpu"};
  const std::vector<std::pair<const char*, uint64_t>> rewritten = {
      {"MemTotal", view.total},     {"MemFree", view.free},          {"MemAvailable", view.available},
      {"Buffers", 0},               {"Cached", view.cached},         {"SwapCached", 0},
      {"Shmem", view.shmem},        {"SReclaimable", 0},             {"SwapTotal", view.swap_total},
      {"SwapFree", view.swap_free},
  };
  std::string out;
  for (const std::string& line : Lines(in.host.meminfo)) {
    auto parsed = ParseMeminfoLine(line);
    if (!parsed || !parsed->kb || kUntouched.count(parsed->key)) {
      out += line + "\n";
      continue;
    }
    uint64_t value = std::min(parsed->value, view.total);
    for (const auto& [key, replacement] : rewritten) {
      if (parsed->key == key) value = replacement;
    }
    out += FormatKb(parsed->key, value) + "\n";
  }
  return out;
}

std::string CpuinfoText(const MachineInputs& in) {
  // Blocks end at a blank line; a CPU's block has a "processor : N" line.
  std::vector<std::vector<std::string>> blocks(1);
  for (const std::string& line : Lines(in.host.cpuinfo)) {
    if (line.empty()) {
      if (!blocks.back().empty()) blocks.emplace_back();
    } else {
      blocks.back().push_back(line);
    }
  }
  std::map<uint64_t, size_t> by_cpu;
  std::vector<size_t> others;
  for (size_t i = 0; i < blocks.size(); ++i) {
    if (blocks[i].empty()) continue;
    bool is_cpu = false;
    for (const std::string& line : blocks[i]) {
      uint64_t id;
      if (absl::StartsWith(line, "processor") && line.find(':') != std::string::npos &&
          absl::SimpleAtoi(absl::StripAsciiWhitespace(line.substr(line.find(':') + 1)), &id)) {
        by_cpu[id] = i;
        is_cpu = true;
      }
    }
    if (!is_cpu) others.push_back(i);
  }
  std::string out;
  size_t number = 0;
  for (uint64_t cpu : VisibleCpus(in)) {
    auto found = by_cpu.find(cpu);
    if (found == by_cpu.end()) continue;
    for (const std::string& line : blocks[found->second]) {
      out += absl::StartsWith(line, "processor") ? fmt::format("processor\t: {}", number) : line;
      out += "\n";
    }
    out += "\n";
    ++number;
  }
  for (size_t i : others) {
    for (const std::string& line : blocks[i]) out += line + "\n";
    out += "\n";
  }
  return out;
}

// The running tasks as Linux counts them for a reader: at least the reader
// itself, which is on a CPU while the kernel formats the file, but here
// sleeps in open(2) while the gofer makes the text.
uint32_t RunningTasks(const MachineInputs& in) { return std::max<uint32_t>(in.tasks_running, 1); }

std::string StatText(const MachineInputs& in) {
  const std::vector<uint64_t> visible = VisibleCpus(in);
  const size_t n = visible.size();
  std::map<uint64_t, CpuTimes> host;
  std::vector<std::string> rest;
  for (const std::string& line : Lines(in.host.stat)) {
    auto cpu = ParseCpuLine(line);
    uint64_t id;
    if (cpu && cpu->first == "cpu") continue;
    if (cpu && absl::SimpleAtoi(absl::string_view(cpu->first).substr(3), &id)) {
      host[id] = cpu->second;
    } else if (absl::StartsWith(line, "procs_running ")) {
      rest.push_back(fmt::format("procs_running {}", RunningTasks(in)));
    } else if (absl::StartsWith(line, "procs_blocked ")) {
      rest.push_back(fmt::format("procs_blocked {}", in.tasks_blocked));
    } else {
      rest.push_back(line);
    }
  }
  std::vector<CpuTimes> per_cpu(n, CpuTimes{});
  if (CpuUsageSeconds(in)) {
    const uint64_t hz = TicksPerSecond();
    const uint64_t user = in.cpu_user_ns.value_or(0) * hz / 1000000000ull;
    const uint64_t system = in.cpu_system_ns.value_or(0) * hz / 1000000000ull;
    const double capacity = in.uptime_seconds * hz * n;
    const uint64_t idle = capacity > user + system ? static_cast<uint64_t>(capacity) - user - system : 0;
    for (size_t i = 0; i < n; ++i) {
      per_cpu[i][0] = Share(user, n, i);
      per_cpu[i][2] = Share(system, n, i);
      per_cpu[i][3] = Share(idle, n, i);
    }
  } else {
    for (size_t i = 0; i < n; ++i) {
      if (auto found = host.find(visible[i]); found != host.end()) per_cpu[i] = found->second;
    }
  }
  CpuTimes total{};
  for (const CpuTimes& times : per_cpu) {
    for (size_t k = 0; k < total.size(); ++k) total[k] += times[k];
  }
  std::string out = FormatCpuLine("cpu", total);
  for (size_t i = 0; i < n; ++i) out += FormatCpuLine(fmt::format("cpu{}", i), per_cpu[i]);
  for (const std::string& line : rest) out += line + "\n";
  return out;
}

std::string UptimeText(const MachineInputs& in) {
  const double uptime = std::max(in.uptime_seconds, 0.0);
  const double idle = std::max(uptime * VisibleCpus(in).size() - CpuUsageSeconds(in).value_or(0), 0.0);
  return fmt::format("{:.2f} {:.2f}\n", uptime, idle);
}

std::string LoadavgText(const MachineInputs& in) {
  std::vector<absl::string_view> fields = absl::StrSplit(in.host.loadavg, ' ', absl::SkipEmpty());
  std::array<double, 3> loads{};
  for (size_t i = 0; i < loads.size() && i < fields.size(); ++i) {
    if (!absl::SimpleAtod(fields[i], &loads[i])) loads[i] = 0;
  }
  const double scale = static_cast<double>(VisibleCpus(in).size()) / HostCpuCount(in);
  return fmt::format("{:.2f} {:.2f} {:.2f} {}/{} 0\n", loads[0] * scale, loads[1] * scale, loads[2] * scale,
                     RunningTasks(in), std::max(in.tasks_total, RunningTasks(in)));
}

std::string DiskstatsText(const MachineInputs& in) { return in.host.diskstats; }

std::string SwapsText(const MachineInputs& in) {
  const MemView view = ComputeMemView(in);
  std::string out = "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n";
  if (view.swap_total > 0) {
    out += fmt::format("none\t\t\t\t\tvirtual\t\t{}\t\t{}\t\t0\n", view.swap_total, view.swap_total - view.swap_free);
  }
  return out;
}

std::string CpuOnlineText(const MachineInputs& in) {
  const size_t n = VisibleCpus(in).size();
  return n == 1 ? "0\n" : fmt::format("0-{}\n", n - 1);
}

std::string CmdlineText(const MachineInputs&) { return "BOOT_IMAGE=/vmlinuz quiet\n"; }

std::string BootIdText(const MachineInputs& in) { return in.boot_id + "\n"; }

std::string Generate(VFile file, const MachineInputs& in) {
  switch (file) {
    case VFile::kMeminfo: return MeminfoText(in);
    case VFile::kCpuinfo: return CpuinfoText(in);
    case VFile::kStat: return StatText(in);
    case VFile::kUptime: return UptimeText(in);
    case VFile::kLoadavg: return LoadavgText(in);
    case VFile::kDiskstats: return DiskstatsText(in);
    case VFile::kSwaps: return SwapsText(in);
    case VFile::kCpuOnline: return CpuOnlineText(in);
    case VFile::kCmdline: return CmdlineText(in);
    case VFile::kBootId: return BootIdText(in);
  }
  return "";
}

}  // namespace gofer::vproc
