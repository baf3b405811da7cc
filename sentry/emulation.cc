#include "sentry/emulation.h"

#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sched.h>
#include <sys/syscall.h>

#include <fstream>
#include <sstream>

#include "platform/cgroup_stats.h"
#include "platform/cpu_view.h"
#include "platform/procfs.h"
#include "absl/strings/strip.h"
#include "spdlog/spdlog.h"

namespace sentry {
namespace {

using platform::CallResult;

double SecondsSinceBoot() {
  struct timespec now;
  clock_gettime(CLOCK_BOOTTIME, &now);
  return static_cast<double>(now.tv_sec) + now.tv_nsec / 1e9;
}

std::optional<std::string> ReadText(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The host's online CPUs (the sentry sees the host's /sys).
std::vector<uint64_t> HostCpus() {
  std::optional<std::string> online = ReadText("/sys/devices/system/cpu/online");
  return online ? platform::ParseCpuList(std::string(absl::StripAsciiWhitespace(*online))) : std::vector<uint64_t>{};
}

// The largest cpumask the kernel may copy (NR_CPUS is at most 8192 bits).
constexpr size_t kMaxCpuMaskBytes = 8192 / 8;

}  // namespace

Emulator::Emulator(const SandboxConfig& config, const ContainerView& view, std::optional<platform::Cgroup> cgroup)
    : config_(config),
      view_(view),
      cgroup_(std::move(cgroup)),
      writable_(std::make_shared<WritableMounts>(view.writable_mounts)) {
  absl::StatusOr<platform::ProcessStat> stat = platform::ReadProcessStat(view.init_pid);
  if (stat.ok()) init_started_ = static_cast<double>(stat->start_time) / sysconf(_SC_CLK_TCK);
  host_cpus_ = HostCpus();
}

struct utsname Emulator::Uname() const {
  struct utsname uts;
  uname(&uts);
  if (!config_.kernel_release.empty()) {
    strncpy(uts.release, config_.kernel_release.c_str(), sizeof(uts.release) - 1);
    uts.release[sizeof(uts.release) - 1] = '\0';
  }
  return uts;
}

struct sysinfo Emulator::Sysinfo() const {
  struct sysinfo info;
  sysinfo(&info);
  const double uptime = SecondsSinceBoot() - init_started_;
  info.uptime = uptime > 0 ? static_cast<long>(uptime) : 0;
  if (!cgroup_) return info;
  const platform::MemoryAndPids figures = platform::ReadMemoryAndPids(*cgroup_);
  const uint64_t unit = info.mem_unit ? info.mem_unit : 1;
  const uint64_t host_total = info.totalram * unit;
  const uint64_t limit = figures.memory_limit, usage = figures.memory_usage;
  // An unlimited cgroup reports a huge limit: the host's memory is the box.
  if (limit > 0 && limit < host_total) {
    info.totalram = limit / unit;
    info.freeram = (limit > usage ? limit - usage : 0) / unit;
    info.bufferram = 0;
    info.sharedram = 0;
  }
  if (uint64_t procs = figures.pids; procs > 0) {
    info.procs = static_cast<unsigned short>(procs > 0xffff ? 0xffff : procs);
  }
  if (config_.virtual_proc) {  // the loads per visible CPU, as /proc/loadavg shows them
    const size_t host = host_cpus_.size(), visible = VisibleCpus().size();
    if (host > 0 && visible > 0 && visible < host) {
      for (unsigned long& load : info.loads) load = load * visible / host;
    }
  }
  return info;
}

std::vector<uint64_t> Emulator::VisibleCpus() const {
  if (!cgroup_) return {};
  platform::CpuLimits limits = platform::ReadCpuLimits([this](const std::string& controller, const std::string& file) {
    std::string dir = cgroup_->ControllerDir(controller);
    return dir.empty() ? std::nullopt : ReadText(dir + "/" + file);
  });
  return platform::VisibleCpus(host_cpus_, limits);
}

// sched_getaffinity(pid, len, mask) for the caller itself (pid 0): the
// kernel's answer for the calling thread (same errors, same length), its
// mask narrowed to the visible CPUs so that nproc and os.sched_getaffinity
// agree with /sys/devices/system/cpu/online. A mask the narrowing would
// empty (the thread is pinned elsewhere) is left as it is.
CallResult Emulator::SchedGetaffinity(const platform::TrappedCall& call, platform::RemoteMemory& memory) const {
  const size_t len = static_cast<size_t>(std::min<uint64_t>(call.args[1], kMaxCpuMaskBytes));
  std::vector<uint64_t> mask((len + 7) / 8 + 1, 0);
  long copied = syscall(SYS_sched_getaffinity, call.tid, len, mask.data());
  if (copied < 0) return CallResult::Error(errno);
  std::vector<uint64_t> narrowed(mask.size(), 0);
  bool any = false;
  for (uint64_t cpu : VisibleCpus()) {
    if (cpu / 64 < mask.size() && (mask[cpu / 64] >> (cpu % 64)) & 1) {
      narrowed[cpu / 64] |= 1ull << (cpu % 64);
      any = true;
    }
  }
  if (any) mask = std::move(narrowed);
  CallResult written = WriteResult(memory, call.args[2], mask.data(), static_cast<size_t>(copied));
  if (written.kind() == CallResult::Kind::kError) return written;
  return CallResult::Value(copied);
}

// Invariant (rule 1): results are written to the caller's memory through
// RemoteMemory, which checks the call is still live after the write; a call
// that is gone gets no answer at all.
CallResult Emulator::WriteResult(platform::RemoteMemory& memory, uint64_t addr, const void* data,
                                 size_t size) const {
  absl::Status written = memory.Write(addr, data, size);
  if (written.ok()) return CallResult::Value(0);
  return CallResult::Error(platform::WorkloadErrno(written));
}

CallResult Emulator::Handle(const EmulateHandler& handler, const platform::TrappedCall& call,
                            platform::RemoteMemory& memory) const {
  return (this->*handler.handle)(call, memory);
}

CallResult Emulator::HandleUname(const platform::TrappedCall& call, platform::RemoteMemory& memory) const {
  // Nothing to change without a configured release: the kernel's own
  // answer in the container's uts namespace (the one the sentry reads) is
  // the container's view, and it also honours the caller's personality
  // (UNAME26, PER_LINUX32), which ours would not. The kernel answering
  // saves the write into the caller (open, check, write: ~3 syscalls).
  // CONTINUE is safe (rule 1): nothing the sentry decides depends on memory.
  if (config_.kernel_release.empty()) return CallResult::Continue();
  struct utsname uts = Uname();
  return WriteResult(memory, call.args[0], &uts, sizeof(uts));
}

CallResult Emulator::HandleSysinfo(const platform::TrappedCall& call, platform::RemoteMemory& memory) const {
  struct sysinfo info = Sysinfo();
  return WriteResult(memory, call.args[0], &info, sizeof(info));
}

CallResult Emulator::HandleSchedGetaffinity(const platform::TrappedCall& call, platform::RemoteMemory& memory) const {
  // Another thread's or process's mask (a pid of the container's pid
  // namespace), or no virtual /proc: the kernel answers. CONTINUE is safe
  // (rule 1): the kernel only writes the mask; nothing depends on memory.
  if (call.args[0] != 0 || call.tid == 0 || !config_.virtual_proc || !cgroup_) return CallResult::Continue();
  return SchedGetaffinity(call, memory);
}

// Policy: a container with its own uts namespace may name itself; the
// kernel then checks CAP_SYS_ADMIN over that namespace as it would
// natively. CONTINUE is safe here (rule 1): nothing the sentry decides
// depends on the name in memory. Without one it would rename the host.
CallResult Emulator::HandleSetName(const platform::TrappedCall&, platform::RemoteMemory&) const {
  if (view_.own_uts) return CallResult::Continue();
  return CallResult::Error(EPERM);
}

const EmulateHandler* FindEmulateHandler(std::string_view name) {
  static const EmulateHandler kHandlers[] = {
      {"uname", &Emulator::HandleUname},
      {"sysinfo", &Emulator::HandleSysinfo},
      {"sched_getaffinity", &Emulator::HandleSchedGetaffinity},
      {"sethostname", &Emulator::HandleSetName},
      {"setdomainname", &Emulator::HandleSetName},
      {"statfs", &Emulator::HandleStatfs},
      {"fstatfs", &Emulator::HandleFstatfs},
  };
  for (const EmulateHandler& handler : kHandlers) {
    if (handler.name == name) return &handler;
  }
  return nullptr;
}

}  // namespace sentry
