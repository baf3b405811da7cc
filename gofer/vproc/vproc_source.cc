// Reading the vproc inputs from the cgroup and the host's procfs.
#include "gofer/vproc/vproc_source.h"

#include <fcntl.h>
#include <sys/random.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <map>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "fmt/format.h"
#include "platform/cgroup_stats.h"
#include "platform/cpu_view.h"
#include "platform/errors.h"
#include "platform/status_macros.h"

namespace gofer::vproc {
namespace {

constexpr size_t kMaxFileSize = 4 << 20;
// Tasks whose state is classified for loadavg/stat (more are only counted).
constexpr size_t kMaxTasksClassified = 1024;
// v1's "no limit" is PAGE_COUNTER_MAX rounded to pages; anything this big is.
constexpr uint64_t kV1Unlimited = 1ull << 62;

platform::UniqueFd OpenDir(const std::string& path) {
  if (path.empty()) return platform::UniqueFd();
  return platform::UniqueFd(open(path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
}

std::optional<uint64_t> Number(int dir, const std::string& name) {
  auto text = ReadBelow(dir, name);
  uint64_t value;
  if (!text || !absl::SimpleAtoi(absl::StripAsciiWhitespace(*text), &value)) return std::nullopt;
  return value;
}

// "key value" lines.
std::map<std::string, uint64_t> KeyValues(int dir, const std::string& name) {
  std::map<std::string, uint64_t> values;
  auto text = ReadBelow(dir, name);
  if (!text) return values;
  for (absl::string_view line : absl::StrSplit(*text, '\n', absl::SkipEmpty())) {
    std::vector<absl::string_view> fields = absl::StrSplit(line, ' ', absl::SkipEmpty());
    uint64_t value;
    if (fields.size() == 2 && absl::SimpleAtoi(fields[1], &value)) values[std::string(fields[0])] = value;
  }
  return values;
}

// A v2 "max"-or-number file: nullopt for "max" or when absent.
std::optional<uint64_t> V2Limit(int dir, const std::string& name) { return Number(dir, name); }

std::optional<uint64_t> V1Limit(int dir, const std::string& name) {
  auto value = Number(dir, name);
  if (value && *value >= kV1Unlimited) return std::nullopt;
  return value;
}

double BootSeconds() {
  struct timespec now;
  clock_gettime(CLOCK_BOOTTIME, &now);
  return static_cast<double>(now.tv_sec) + now.tv_nsec / 1e9;
}

}  // namespace

std::optional<std::string> ReadBelow(int dir_fd, const std::string& name) {
  if (dir_fd < 0) return std::nullopt;
  struct open_how how = {};
  how.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_XDEV | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  platform::UniqueFd fd(static_cast<int>(syscall(SYS_openat2, dir_fd, name.c_str(), &how, sizeof(how))));
  if (!fd.valid()) return std::nullopt;
  std::string text;
  char buffer[8192];
  while (text.size() < kMaxFileSize) {
    ssize_t n = read(fd.get(), buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::nullopt;
    if (n == 0) break;
    text.append(buffer, static_cast<size_t>(n));
  }
  return text;
}

CgroupDirs DirsOf(const platform::Cgroup& cgroup) {
  return {cgroup.ControllerDir("memory"), cgroup.ControllerDir("cpu"), cgroup.ControllerDir("cpuacct"),
          cgroup.ControllerDir("cpuset"), cgroup.ControllerDir("pids")};
}

namespace {

// A random version-4 UUID, as the kernel writes boot_id.
absl::StatusOr<std::string> RandomBootId() {
  uint8_t b[16];
  if (getrandom(b, sizeof(b), 0) != static_cast<ssize_t>(sizeof(b))) return platform::LastError("getrandom");
  b[6] = static_cast<uint8_t>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<uint8_t>((b[8] & 0x3f) | 0x80);
  return fmt::format("{:02x}{:02x}{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}",
                     b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

}  // namespace

absl::StatusOr<std::unique_ptr<MachineSource>> MachineSource::Open(const SourceOptions& options) {
  std::unique_ptr<MachineSource> source(new MachineSource());
  source->proc_ = OpenDir(options.host_proc);
  if (!source->proc_.valid()) return platform::ErrnoError(errno, "opening " + options.host_proc);
  source->memory_ = OpenDir(options.cgroup.memory);
  source->cpu_ = OpenDir(options.cgroup.cpu);
  source->cpuacct_ = OpenDir(options.cgroup.cpuacct);
  source->cpuset_ = OpenDir(options.cgroup.cpuset);
  source->pids_ = OpenDir(options.cgroup.pids);
  source->init_start_seconds_ = options.init_start_seconds;
  ASSIGN_OR_RETURN(source->boot_id_, RandomBootId());
  return source;
}

void MachineSource::ReadMemory(MachineInputs& in) const {
  const int dir = memory_.get();
  if (dir < 0) return;
  if (ReadBelow(dir, "memory.max")) {  // v2
    in.memory_limit = V2Limit(dir, "memory.max");
    in.memory_usage = Number(dir, "memory.current").value_or(0);
    auto stat = KeyValues(dir, "memory.stat");
    in.memory_cache = stat["file"];
    in.memory_shmem = stat["shmem"];
    in.swap_limit = V2Limit(dir, "memory.swap.max");
    in.swap_usage = Number(dir, "memory.swap.current").value_or(0);
    return;
  }
  in.memory_limit = V1Limit(dir, "memory.limit_in_bytes");
  in.memory_usage = Number(dir, "memory.usage_in_bytes").value_or(0);
  auto stat = KeyValues(dir, "memory.stat");
  in.memory_cache = stat.count("total_cache") ? stat["total_cache"] : stat["cache"];
  in.memory_shmem = stat.count("total_shmem") ? stat["total_shmem"] : stat["shmem"];
  // memsw counts memory + swap: the swap alone is the difference.
  auto memsw = V1Limit(dir, "memory.memsw.limit_in_bytes");
  if (memsw && in.memory_limit) in.swap_limit = *memsw > *in.memory_limit ? *memsw - *in.memory_limit : 0;
  uint64_t memsw_usage = Number(dir, "memory.memsw.usage_in_bytes").value_or(0);
  in.swap_usage = memsw_usage > in.memory_usage ? memsw_usage - in.memory_usage : 0;
}

void MachineSource::ReadCpu(MachineInputs& in) const {
  platform::CpuLimits limits = platform::ReadCpuLimits(
      [this](const std::string& controller, const std::string& file) {
        return ReadBelow(controller == "cpuset" ? cpuset_.get() : cpu_.get(), file);
      });
  in.cpu_quota_us = limits.quota_us;
  in.cpu_period_us = limits.period_us;
  in.cpuset = std::move(limits.cpuset);
  // v2's cpu.stat is in the cpu dir (pure v2 may report no cpuacct dir).
  auto stat = KeyValues(cpuacct_.valid() ? cpuacct_.get() : cpu_.get(), "cpu.stat");
  if (!stat.count("usage_usec")) stat = KeyValues(cpu_.get(), "cpu.stat");
  if (stat.count("usage_usec")) {  // v2
    in.cpu_user_ns = stat["user_usec"] * 1000;
    in.cpu_system_ns = stat["system_usec"] * 1000;
  } else if (auto ticks = KeyValues(cpuacct_.get(), "cpuacct.stat"); ticks.count("user")) {  // v1, USER_HZ
    const uint64_t tick_ns = 1000000000ull / static_cast<uint64_t>(sysconf(_SC_CLK_TCK));
    in.cpu_user_ns = ticks["user"] * tick_ns;
    in.cpu_system_ns = ticks["system"] * tick_ns;
  }
}

void MachineSource::ReadTasks(MachineInputs& in) const {
  std::optional<std::string> tasks = ReadBelow(pids_.get(), "cgroup.threads");  // v2
  if (!tasks) tasks = ReadBelow(pids_.get(), "tasks");                          // v1
  if (!tasks) tasks = ReadBelow(cpu_.get(), "tasks");
  if (!tasks) tasks = ReadBelow(cpu_.get(), "cgroup.threads");
  if (!tasks) return;
  for (absl::string_view tid : absl::StrSplit(*tasks, '\n', absl::SkipEmpty())) {
    ++in.tasks_total;
    if (in.tasks_total > kMaxTasksClassified) continue;
    auto stat = ReadBelow(proc_.get(), std::string(tid) + "/stat");
    // The state follows the last ')' (the comm may contain one).
    size_t paren = stat ? stat->rfind(')') : std::string::npos;
    if (paren == std::string::npos || paren + 2 >= stat->size()) continue;
    char state = (*stat)[paren + 2];
    if (state == 'R') ++in.tasks_running;
    if (state == 'D') ++in.tasks_blocked;
  }
}

absl::StatusOr<MachineInputs> MachineSource::Read(VFile file) const {
  MachineInputs in;
  in.uptime_seconds = BootSeconds() - init_start_seconds_;
  // Every CPU-shaped file needs the host's CPU list (from its stat).
  in.host.stat = ReadBelow(proc_.get(), "stat").value_or("");
  switch (file) {
    case VFile::kMeminfo:
    case VFile::kSwaps:
      in.host.meminfo = ReadBelow(proc_.get(), "meminfo").value_or("");
      ReadMemory(in);
      break;
    case VFile::kCpuinfo:
      in.host.cpuinfo = ReadBelow(proc_.get(), "cpuinfo").value_or("");
      ReadCpu(in);
      break;
    case VFile::kStat:
    case VFile::kLoadavg:
      in.host.loadavg = ReadBelow(proc_.get(), "loadavg").value_or("");
      ReadCpu(in);
      ReadTasks(in);
      break;
    case VFile::kUptime:
    case VFile::kCpuOnline:
      ReadCpu(in);
      break;
    case VFile::kDiskstats:
      in.host.diskstats = ReadBelow(proc_.get(), "diskstats").value_or("");
      break;
    case VFile::kCmdline:
    case VFile::kBootId:
      in.boot_id = boot_id_;
      break;
  }
  if (in.host.stat.empty()) return absl::UnavailableError("reading the host's /proc/stat");
  return in;
}

}  // namespace gofer::vproc
