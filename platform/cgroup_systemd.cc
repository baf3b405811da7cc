// The systemd cgroup driver: transient units through sd-bus.
#include "platform/cgroup_systemd.h"

#include <systemd/sd-bus.h>

#include <chrono>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "fmt/format.h"
#include "platform/errors.h"
#include "platform/status_macros.h"
#include "spdlog/spdlog.h"

namespace platform {
namespace {

constexpr char kDestination[] = "org.freedesktop.systemd1";
constexpr char kPath[] = "/org/freedesktop/systemd1";
constexpr char kManager[] = "org.freedesktop.systemd1.Manager";
constexpr uint64_t kCallTimeoutUsec = 10'000'000;
constexpr auto kJobTimeout = std::chrono::seconds(10);
constexpr uint64_t kInfinity = std::numeric_limits<uint64_t>::max();

struct BusUnref {
  void operator()(sd_bus* bus) const { sd_bus_flush_close_unref(bus); }
};
struct MessageUnref {
  void operator()(sd_bus_message* m) const { sd_bus_message_unref(m); }
};
struct SlotUnref {
  void operator()(sd_bus_slot* slot) const { sd_bus_slot_unref(slot); }
};
using Bus = std::unique_ptr<sd_bus, BusUnref>;
using Message = std::unique_ptr<sd_bus_message, MessageUnref>;
using Slot = std::unique_ptr<sd_bus_slot, SlotUnref>;

absl::Status BusError(int r, const std::string& what) {
  return ErrnoError(-r, what);
}

// What systemd said: the D-Bus error's name and message.
absl::Status SystemdError(const sd_bus_error& error, int r,
                          const std::string& what) {
  if (!sd_bus_error_is_set(&error)) return BusError(r, what);
  return absl::FailedPreconditionError(
      fmt::format("{}: systemd: {}: {}", what, error.name, error.message));
}

// The system bus, else systemd's private socket (no bus daemon; root only).
absl::StatusOr<Bus> OpenBus() {
  sd_bus* raw = nullptr;
  int r = sd_bus_open_system(&raw);
  if (r >= 0) {
    Bus bus(raw);
    sd_bus_set_method_call_timeout(bus.get(), kCallTimeoutUsec);
    return bus;
  }
  spdlog::debug("systemd: no system bus ({}), trying /run/systemd/private",
                strerror(-r));
  if (int n = sd_bus_new(&raw); n < 0)
    return BusError(n, "systemd: sd_bus_new");
  Bus bus(raw);
  sd_bus_set_address(bus.get(), "unix:path=/run/systemd/private");
  if (int s = sd_bus_start(bus.get()); s < 0) {
    return BusError(
        s, "connecting to systemd (the system bus and /run/systemd/private)");
  }
  sd_bus_set_method_call_timeout(bus.get(), kCallTimeoutUsec);
  return bus;
}

// Records JobRemoved signals (job path -> result) until the caller's job's
// one arrives. Subscribed before the job is queued, so none is missed.
class JobWatch {
 public:
  static absl::StatusOr<JobWatch> Subscribe(sd_bus* bus) {
    JobWatch watch(bus);
    sd_bus_slot* slot = nullptr;
    int r = sd_bus_match_signal(bus, &slot, kDestination, kPath, kManager,
                                "JobRemoved", &JobWatch::OnRemoved,
                                watch.removed_.get());
    if (r < 0) return BusError(r, "systemd: subscribing to JobRemoved");
    watch.slot_.reset(slot);
    return watch;
  }
  // Waits (bounded) for `job` to be removed; an error unless its result is
  // "done".
  absl::Status Wait(const std::string& job, const std::string& what) {
    auto deadline = std::chrono::steady_clock::now() + kJobTimeout;
    while (removed_->find(job) == removed_->end()) {
      int r = sd_bus_process(bus_, nullptr);
      if (r < 0) return BusError(r, what + ": waiting for the job");
      if (r > 0) continue;
      if (std::chrono::steady_clock::now() > deadline) {
        return absl::DeadlineExceededError(
            fmt::format("{}: systemd job {} did not finish in 10s", what, job));
      }
      sd_bus_wait(bus_, 100'000);
    }
    const std::string& result = (*removed_)[job];
    if (result == "done") return absl::OkStatus();
    return absl::FailedPreconditionError(
        fmt::format("{}: systemd job ended with result \"{}\"", what, result));
  }

 private:
  explicit JobWatch(sd_bus* bus)
      : bus_(bus),
        removed_(std::make_unique<std::map<std::string, std::string>>()) {}
  static int OnRemoved(sd_bus_message* m, void* userdata, sd_bus_error*) {
    uint32_t id = 0;
    const char *job = nullptr, *unit = nullptr, *result = nullptr;
    if (sd_bus_message_read(m, "uoss", &id, &job, &unit, &result) < 0) return 0;
    (*static_cast<std::map<std::string, std::string>*>(userdata))[job] = result;
    return 0;
  }
  sd_bus* bus_;
  std::unique_ptr<std::map<std::string, std::string>>
      removed_;  // stable address for the callback
  Slot slot_;
};

// One (sv) entry of a property array.
template <typename... Args>
int AppendProperty(sd_bus_message* m, const char* name, const char* signature,
                   Args... values) {
  int r = sd_bus_message_open_container(m, 'r', "sv");
  if (r >= 0) r = sd_bus_message_append(m, "s", name);
  if (r >= 0) r = sd_bus_message_open_container(m, 'v', signature);
  if (r >= 0) r = sd_bus_message_append(m, signature, values...);
  if (r >= 0) r = sd_bus_message_close_container(m);
  if (r >= 0) r = sd_bus_message_close_container(m);
  return r;
}

// "0-2,4" -> a bit mask, lowest CPU/node in the first byte's lowest bit.
absl::StatusOr<std::vector<uint8_t>> RangeListToMask(const std::string& list,
                                                     const std::string& field) {
  std::vector<uint8_t> mask;
  for (absl::string_view range :
       absl::StrSplit(list, ',', absl::SkipWhitespace())) {
    std::vector<std::string> ends = absl::StrSplit(range, '-');
    uint32_t first = 0, last = 0;
    if (ends.size() > 2 || !absl::SimpleAtoi(ends[0], &first) ||
        !absl::SimpleAtoi(ends.back(), &last) || last < first || last > 8191) {
      return absl::InvalidArgumentError(
          fmt::format("linux.resources.{}: invalid list \"{}\"", field, list));
    }
    if (mask.size() <= last / 8) mask.resize(last / 8 + 1);
    for (uint32_t bit = first; bit <= last; ++bit)
      mask[bit / 8] |= 1 << (bit % 8);
  }
  return mask;
}

int AppendMask(sd_bus_message* m, const char* name,
               const std::vector<uint8_t>& mask) {
  int r = sd_bus_message_open_container(m, 'r', "sv");
  if (r >= 0) r = sd_bus_message_append(m, "s", name);
  if (r >= 0) r = sd_bus_message_open_container(m, 'v', "ay");
  if (r >= 0) r = sd_bus_message_append_array(m, 'y', mask.data(), mask.size());
  if (r >= 0) r = sd_bus_message_close_container(m);
  if (r >= 0) r = sd_bus_message_close_container(m);
  return r;
}

uint64_t OrInfinity(int64_t value) {
  return value < 0 ? kInfinity : static_cast<uint64_t>(value);
}

// runc's CPUQuotaPerSecUSec: quota per second, rounded up to 10ms.
uint64_t QuotaPerSecUsec(int64_t quota, uint64_t period) {
  if (quota <= 0 || period == 0) return kInfinity;
  uint64_t per_sec = static_cast<uint64_t>(quota) * 1'000'000 / period;
  return per_sec % 10'000 == 0 ? per_sec : (per_sec / 10'000 + 1) * 10'000;
}

// The properties systemd owns for `resources` (runc's choice per version).
absl::Status AppendResourceProperties(sd_bus_message* m,
                                      const CgroupResources& res, bool v2) {
  int r = 0;
  if (res.memory_limit && *res.memory_limit != 0) {
    r = AppendProperty(m, v2 ? "MemoryMax" : "MemoryLimit", "t",
                       OrInfinity(*res.memory_limit));
  }
  if (r >= 0 && res.cpu_shares && *res.cpu_shares != 0) {
    r = v2 ? AppendProperty(m, "CPUWeight", "t",
                            CpuSharesToWeight(*res.cpu_shares))
           : AppendProperty(m, "CPUShares", "t", *res.cpu_shares);
  }
  if (r >= 0 && res.cpu_period && *res.cpu_period != 0)
    r = AppendProperty(m, "CPUQuotaPeriodUSec", "t", *res.cpu_period);
  if (r >= 0 && res.cpu_quota && *res.cpu_quota != 0) {
    r = AppendProperty(
        m, "CPUQuotaPerSecUSec", "t",
        QuotaPerSecUsec(*res.cpu_quota, res.cpu_period.value_or(100000)));
  }
  if (r >= 0 && res.pids_limit &&
      (*res.pids_limit > 0 || *res.pids_limit == -1)) {
    r = AppendProperty(m, "TasksMax", "t", OrInfinity(*res.pids_limit));
  }
  // v1's cpuset is not systemd's: runsc writes it.
  if (r >= 0 && v2 && res.cpus && !res.cpus->empty()) {
    ASSIGN_OR_RETURN(std::vector<uint8_t> mask,
                     RangeListToMask(*res.cpus, "cpu.cpus"));
    r = AppendMask(m, "AllowedCPUs", mask);
  }
  if (r >= 0 && v2 && res.mems && !res.mems->empty()) {
    ASSIGN_OR_RETURN(std::vector<uint8_t> mask,
                     RangeListToMask(*res.mems, "cpu.mems"));
    r = AppendMask(m, "AllowedMemoryNodes", mask);
  }
  if (r < 0) return BusError(r, "systemd: building the resource properties");
  return absl::OkStatus();
}

absl::Status AppendUnitProperties(sd_bus_message* m,
                                  const SystemdUnitPath& path, pid_t pid,
                                  bool v2) {
  std::string description = "runsc container " + path.unit;
  int r = AppendProperty(m, "Description", "s", description.c_str());
  if (path.is_slice()) {
    // A slice's parent is named by Wants=; it holds no PIDs of its own.
    if (r >= 0) r = AppendProperty(m, "Wants", "as", 1, path.slice.c_str());
  } else {
    if (r >= 0) r = AppendProperty(m, "Slice", "s", path.slice.c_str());
    if (r >= 0) r = AppendProperty(m, "Delegate", "b", 1);
    if (r >= 0)
      r = AppendProperty(m, "PIDs", "au", 1, static_cast<uint32_t>(pid));
  }
  if (r >= 0) r = AppendProperty(m, "DefaultDependencies", "b", 0);
  for (const char* accounting :
       {"MemoryAccounting", "CPUAccounting", "TasksAccounting",
        v2 ? "IOAccounting" : "BlockIOAccounting"}) {
    if (r >= 0) r = AppendProperty(m, accounting, "b", 1);
  }
  if (r < 0) return BusError(r, "systemd: building the unit's properties");
  return absl::OkStatus();
}

absl::StatusOr<Message> NewManagerCall(sd_bus* bus, const char* method) {
  sd_bus_message* raw = nullptr;
  int r = sd_bus_message_new_method_call(bus, &raw, kDestination, kPath,
                                         kManager, method);
  if (r < 0) return BusError(r, fmt::format("systemd: {}", method));
  return Message(raw);
}

// Sends `call` and returns the job path it answers with.
absl::StatusOr<std::string> CallForJob(sd_bus* bus, sd_bus_message* call,
                                       const std::string& what) {
  sd_bus_error error = SD_BUS_ERROR_NULL;
  sd_bus_message* reply = nullptr;
  int r = sd_bus_call(bus, call, kCallTimeoutUsec, &error, &reply);
  Message owned(reply);
  if (r < 0) {
    absl::Status status = SystemdError(error, r, what);
    sd_bus_error_free(&error);
    return status;
  }
  const char* job = nullptr;
  if (int n = sd_bus_message_read(reply, "o", &job); n < 0)
    return BusError(n, what + ": reading the job");
  return std::string(job);
}

absl::Status StartUnit(sd_bus* bus, const SystemdUnitPath& path, pid_t pid,
                       const CgroupResources& res, bool v2) {
  std::string what = fmt::format("starting systemd unit {}", path.unit);
  ASSIGN_OR_RETURN(JobWatch watch, JobWatch::Subscribe(bus));
  ASSIGN_OR_RETURN(Message call, NewManagerCall(bus, "StartTransientUnit"));
  int r = sd_bus_message_append(call.get(), "ss", path.unit.c_str(), "replace");
  if (r >= 0) r = sd_bus_message_open_container(call.get(), 'a', "(sv)");
  if (r < 0) return BusError(r, what);
  RETURN_IF_ERROR(AppendUnitProperties(call.get(), path, pid, v2));
  RETURN_IF_ERROR(AppendResourceProperties(call.get(), res, v2));
  r = sd_bus_message_close_container(call.get());
  if (r >= 0) r = sd_bus_message_append(call.get(), "a(sa(sv))", 0);
  if (r < 0) return BusError(r, what);
  absl::StatusOr<std::string> job = CallForJob(bus, call.get(), what);
  // As runc 1.1: a unit of that name is joined (a shared cgroupsPath), its
  // properties left as they are; the caller moves the pid into its dirs.
  if (!job.ok() && absl::StrContains(job.status().message(),
                                     "org.freedesktop.systemd1.UnitExists")) {
    spdlog::info("systemd: unit {} exists: joining it", path.unit);
    return absl::OkStatus();
  }
  if (!job.ok()) return job.status();
  return watch.Wait(*job, what);
}

absl::Status StopUnit(sd_bus* bus, const std::string& unit) {
  std::string what = fmt::format("stopping systemd unit {}", unit);
  ASSIGN_OR_RETURN(JobWatch watch, JobWatch::Subscribe(bus));
  ASSIGN_OR_RETURN(Message call, NewManagerCall(bus, "StopUnit"));
  if (int r = sd_bus_message_append(call.get(), "ss", unit.c_str(), "replace");
      r < 0)
    return BusError(r, what);
  absl::StatusOr<std::string> job = CallForJob(bus, call.get(), what);
  // Gone already (an empty scope is collected by systemd): nothing to stop.
  if (!job.ok() && absl::StrContains(job.status().message(),
                                     "org.freedesktop.systemd1.NoSuchUnit")) {
    return absl::OkStatus();
  }
  if (!job.ok()) return job.status();
  return watch.Wait(*job, what);
}

std::string UnitOf(const nlohmann::json& cgroup_json) {
  if (!cgroup_json.is_object()) return "";
  return cgroup_json.value(kSystemdUnitKey, "");
}

}  // namespace

absl::StatusOr<Cgroup> StartSystemdCgroup(const SystemdUnitPath& path,
                                          pid_t pid,
                                          const CgroupResources& resources) {
  ASSIGN_OR_RETURN(CgroupLayout layout, DetectCgroupLayout());
  ASSIGN_OR_RETURN(Bus bus, OpenBus());
  RETURN_IF_ERROR(StartUnit(bus.get(), path, pid, resources, layout.pure_v2));
  spdlog::debug("systemd: started {} in {}", path.unit, path.slice);
  // The unit's directories in the hierarchies systemd does not manage (v1
  // cpuset, freezer, ...) are runsc's to make, as runc does.
  absl::StatusOr<Cgroup> cgroup = Cgroup::Resolve(path.CgroupPath(), path.unit);
  absl::Status status = cgroup.status();
  if (status.ok()) status = cgroup->Create();
  if (status.ok()) status = cgroup->AddProcess(pid);
  if (status.ok()) status = cgroup->ApplyResources(resources);
  if (!status.ok()) {
    if (cgroup.ok()) (void)cgroup->Destroy();
    (void)StopUnit(bus.get(), path.unit);
    return status;
  }
  return cgroup;
}

absl::Status StopSystemdUnitOf(const nlohmann::json& cgroup_json) {
  std::string unit = UnitOf(cgroup_json);
  if (unit.empty()) return absl::OkStatus();
  ASSIGN_OR_RETURN(Bus bus, OpenBus());
  return StopUnit(bus.get(), unit);
}

absl::Status UpdateSystemdUnitOf(const nlohmann::json& cgroup_json,
                                 const CgroupResources& resources) {
  std::string unit = UnitOf(cgroup_json);
  if (unit.empty()) return absl::OkStatus();
  std::string what = fmt::format("updating systemd unit {}", unit);
  ASSIGN_OR_RETURN(Bus bus, OpenBus());
  ASSIGN_OR_RETURN(Message call,
                   NewManagerCall(bus.get(), "SetUnitProperties"));
  int r = sd_bus_message_append(call.get(), "sb", unit.c_str(), 1);
  if (r >= 0) r = sd_bus_message_open_container(call.get(), 'a', "(sv)");
  if (r < 0) return BusError(r, what);
  RETURN_IF_ERROR(AppendResourceProperties(
      call.get(), resources, cgroup_json.value("pure_v2", false)));
  if (r = sd_bus_message_close_container(call.get()); r < 0)
    return BusError(r, what);
  sd_bus_error error = SD_BUS_ERROR_NULL;
  r = sd_bus_call(bus.get(), call.get(), kCallTimeoutUsec, &error, nullptr);
  absl::Status status = r < 0 ? SystemdError(error, r, what) : absl::OkStatus();
  sd_bus_error_free(&error);
  return status;
}

}  // namespace platform
