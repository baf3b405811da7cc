#include "sentry/emulation.h"

#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "platform/cgroup_stats.h"
#include "platform/procfs.h"
#include "spdlog/spdlog.h"

namespace sentry {
namespace {

using platform::CallResult;

double SecondsSinceBoot() {
  struct timespec now;
  clock_gettime(CLOCK_BOOTTIME, &now);
  return static_cast<double>(now.tv_sec) + now.tv_nsec / 1e9;
}

uint64_t JsonNumber(const nlohmann::ordered_json& json, std::initializer_list<const char*> path) {
  const nlohmann::ordered_json* node = &json;
  for (const char* key : path) {
    if (!node->is_object() || !node->contains(key)) return 0;
    node = &(*node)[key];
  }
  return node->is_number_unsigned() ? node->get<uint64_t>() : 0;
}

}  // namespace

Emulator::Emulator(const SandboxConfig& config, const ContainerView& view, std::optional<platform::Cgroup> cgroup)
    : config_(config), view_(view), cgroup_(std::move(cgroup)) {
  absl::StatusOr<platform::ProcessStat> stat = platform::ReadProcessStat(view.init_pid);
  if (stat.ok()) init_started_ = static_cast<double>(stat->start_time) / sysconf(_SC_CLK_TCK);
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
  absl::StatusOr<nlohmann::ordered_json> stats = platform::ReadCgroupStats(*cgroup_);
  if (!stats.ok()) return info;
  const uint64_t unit = info.mem_unit ? info.mem_unit : 1;
  const uint64_t host_total = info.totalram * unit;
  uint64_t limit = JsonNumber(*stats, {"memory", "usage", "limit"});
  uint64_t usage = JsonNumber(*stats, {"memory", "usage", "usage"});
  // An unlimited cgroup reports a huge limit: the host's memory is the box.
  if (limit > 0 && limit < host_total) {
    info.totalram = limit / unit;
    info.freeram = (limit > usage ? limit - usage : 0) / unit;
    info.bufferram = 0;
    info.sharedram = 0;
  }
  if (uint64_t procs = JsonNumber(*stats, {"pids", "current"}); procs > 0) {
    info.procs = static_cast<unsigned short>(procs > 0xffff ? 0xffff : procs);
  }
  return info;
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

std::optional<CallResult> Emulator::Handle(const std::string& name, const platform::TrappedCall& call,
                                           platform::RemoteMemory& memory) const {
  if (name == "uname") {
    struct utsname uts = Uname();
    return WriteResult(memory, call.args[0], &uts, sizeof(uts));
  }
  if (name == "sysinfo") {
    struct sysinfo info = Sysinfo();
    return WriteResult(memory, call.args[0], &info, sizeof(info));
  }
  if (name == "sethostname" || name == "setdomainname") {
    // Policy: a container with its own uts namespace may name itself; the
    // kernel then checks CAP_SYS_ADMIN over that namespace as it would
    // natively. CONTINUE is safe here (rule 1): nothing the sentry decides
    // depends on the name in memory. Without one it would rename the host.
    if (view_.own_uts) return CallResult::Continue();
    return CallResult::Error(EPERM);
  }
  return std::nullopt;
}

}  // namespace sentry
