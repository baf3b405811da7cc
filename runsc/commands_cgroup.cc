// The cgroup commands: update, pause, resume, events (runc's semantics).
//
// Choices (runc 1.1 is the reference):
// - `update` applies only the fields given (runc re-applies the whole merged
//   config; the files end up the same). Device rules in --resources are
//   ignored, as runc's update ignores them (containerd sends the full
//   LinuxResources, devices included).
// - `events` streams until the container stops; runc's stream keeps polling.
#include <poll.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cmath>
#include <fstream>
#include <iostream>
#include <sstream>

#include "fmt/format.h"
#include "platform/cgroup_oom.h"
#include "platform/cgroup_stats.h"
#include "platform/cgroup_systemd.h"
#include "platform/cgroups.h"
#include "platform/errors.h"
#include "platform/status_macros.h"
#include "runsc/commands.h"
#include "runsc/container.h"
#include "runsc/spec.h"
#include "sentry/control_server.h"
#include "spdlog/spdlog.h"

namespace runsc {
namespace {

using platform::Cgroup;

struct Loaded {
  ContainerState state;
  Status status;
  Cgroup cgroup;
};

// Loads the container and releases its lock (events runs for long).
absl::StatusOr<Loaded> Load(const GlobalOptions& global, const std::string& id) {
  StateStore store(global.root);
  ASSIGN_OR_RETURN(ContainerDir dir, store.Open(id));
  ASSIGN_OR_RETURN(ContainerState state, dir.Load());
  Status status = dir.DeriveStatus(state);
  ASSIGN_OR_RETURN(Cgroup cgroup, Cgroup::FromJson(state.cgroup));
  return Loaded{std::move(state), status, std::move(cgroup)};
}

absl::Status NotRunning(const std::string& id) {
  return absl::FailedPreconditionError(fmt::format("container {} is not running", id));
}

// Reads --resources: a file, or "-" for stdin.
absl::StatusOr<nlohmann::json> ReadResourcesJson(const std::string& source) {
  std::stringstream text;
  if (source == "-") {
    text << std::cin.rdbuf();
  } else {
    std::ifstream file(source);
    if (!file) return absl::NotFoundError(fmt::format("--resources: cannot read {}", source));
    text << file.rdbuf();
  }
  nlohmann::json doc = nlohmann::json::parse(text.str(), nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    return absl::InvalidArgumentError("--resources: not a JSON object (expected OCI linux.resources)");
  }
  return doc;
}

absl::StatusOr<int64_t> ParseInteger(const std::string& flag, const std::string& value) {
  int64_t number = 0;
  size_t used = 0;
  try {
    number = std::stoll(value, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (value.empty() || used != value.size()) {
    return absl::InvalidArgumentError(fmt::format("invalid value for {}: \"{}\" is not an integer", flag, value));
  }
  return number;
}

std::string Lower(std::string text) {
  for (char& c : text) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
  return text;
}

// docker's units.RAMInBytes as runc uses it: "512", "64k", "100m", "1.5g",
// "1GiB"; "-1" is unlimited.
absl::StatusOr<int64_t> ParseBytes(const std::string& flag, const std::string& value) {
  if (value == "-1") return -1;
  size_t end = 0;
  while (end < value.size() && (isdigit(static_cast<unsigned char>(value[end])) || value[end] == '.')) ++end;
  std::string unit = Lower(value.substr(end));
  static const std::pair<const char*, int> kUnits[] = {{"", 0},   {"b", 0},  {"k", 1},  {"kb", 1}, {"kib", 1},
                                                       {"m", 2},  {"mb", 2}, {"mib", 2}, {"g", 3},  {"gb", 3},
                                                       {"gib", 3}, {"t", 4}, {"tb", 4}, {"tib", 4}};
  for (const auto& [name, power] : kUnits) {
    if (end == 0 || unit != name) continue;
    try {
      double number = std::stod(value.substr(0, end)) * std::pow(1024.0, power);
      if (number < 9.2e18) return static_cast<int64_t>(number);
    } catch (const std::exception&) {
    }
  }
  return absl::InvalidArgumentError(fmt::format("invalid value for {}: \"{}\" (a size like 512, 64k, 100m, 1g, or -1)", flag, value));
}

// The CLI flags as resources (only those given).
absl::StatusOr<platform::CgroupResources> ResourcesFromFlags(const UpdateOptions& o) {
  platform::CgroupResources r;
  auto bytes = [](const std::optional<std::string>& flag, const char* name,
                  std::optional<int64_t>& out) -> absl::Status {
    if (!flag) return absl::OkStatus();
    ASSIGN_OR_RETURN(out, ParseBytes(name, *flag));
    return absl::OkStatus();
  };
  RETURN_IF_ERROR(bytes(o.memory, "--memory", r.memory_limit));
  RETURN_IF_ERROR(bytes(o.memory_reservation, "--memory-reservation", r.memory_reservation));
  RETURN_IF_ERROR(bytes(o.memory_swap, "--memory-swap", r.memory_swap));
  RETURN_IF_ERROR(bytes(o.kernel_memory, "--kernel-memory", r.memory_kernel));
  RETURN_IF_ERROR(bytes(o.kernel_memory_tcp, "--kernel-memory-tcp", r.memory_kernel_tcp));
  auto integer = [](const std::optional<std::string>& flag, const char* name, auto& out, int64_t min) -> absl::Status {
    if (!flag) return absl::OkStatus();
    ASSIGN_OR_RETURN(int64_t value, ParseInteger(name, *flag));
    if (value < min) return absl::InvalidArgumentError(fmt::format("invalid value for {}: must be at least {}", name, min));
    out = value;
    return absl::OkStatus();
  };
  RETURN_IF_ERROR(integer(o.cpu_shares, "--cpu-share", r.cpu_shares, 0));
  RETURN_IF_ERROR(integer(o.cpu_period, "--cpu-period", r.cpu_period, 0));
  RETURN_IF_ERROR(integer(o.cpu_quota, "--cpu-quota", r.cpu_quota, -1));
  RETURN_IF_ERROR(integer(o.cpu_rt_period, "--cpu-rt-period", r.cpu_realtime_period, 0));
  RETURN_IF_ERROR(integer(o.cpu_rt_runtime, "--cpu-rt-runtime", r.cpu_realtime_runtime, -1));
  RETURN_IF_ERROR(integer(o.pids_limit, "--pids-limit", r.pids_limit, -1));
  if (o.blkio_weight) {
    ASSIGN_OR_RETURN(int64_t weight, ParseInteger("--blkio-weight", *o.blkio_weight));
    if (weight != 0 && (weight < 10 || weight > 1000)) {
      return absl::InvalidArgumentError(fmt::format("invalid value for --blkio-weight: {} (10..1000)", weight));
    }
    if (weight != 0) r.blkio_weight = static_cast<uint16_t>(weight);
  }
  if (o.cpuset_cpus) r.cpus = *o.cpuset_cpus;
  if (o.cpuset_mems) r.mems = *o.cpuset_mems;
  return r;
}

// Go's time.ParseDuration for what --interval needs: "5s", "100ms", "1m30s".
absl::StatusOr<std::chrono::milliseconds> ParseDuration(const std::string& text) {
  static const std::pair<const char*, double> kUnits[] = {{"ns", 1e-6}, {"us", 1e-3}, {"µs", 1e-3}, {"ms", 1},
                                                          {"s", 1e3},   {"m", 6e4},   {"h", 3.6e6}};
  double total = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = pos;
    while (end < text.size() && (isdigit(static_cast<unsigned char>(text[end])) || text[end] == '.')) ++end;
    size_t unit_end = end;
    while (unit_end < text.size() && !isdigit(static_cast<unsigned char>(text[unit_end]))) ++unit_end;
    std::string unit = text.substr(end, unit_end - end);
    auto found = std::find_if(std::begin(kUnits), std::end(kUnits), [&](const auto& u) { return unit == u.first; });
    if (end == pos || found == std::end(kUnits)) {
      return absl::InvalidArgumentError(fmt::format("invalid value for --interval: \"{}\" (e.g. 5s, 500ms)", text));
    }
    total += std::stod(text.substr(pos, end - pos)) * found->second;
    pos = unit_end;
  }
  if (total < 1) return absl::InvalidArgumentError(fmt::format("invalid value for --interval: \"{}\" must be at least 1ms", text));
  return std::chrono::milliseconds(static_cast<int64_t>(total));
}

void PrintEvent(const std::string& type, const std::string& id, const nlohmann::ordered_json* data) {
  nlohmann::ordered_json event = {{"type", type}, {"id", id}};
  if (data != nullptr) event["data"] = *data;
  std::cout << event.dump() << std::endl;
}

// runc's stats, plus "sentry": the sentry's counts of trapped calls per
// disposition and per syscall (absent if the sentry cannot be reached, and
// while the container is paused: on v2 the sentry is frozen with it, and
// its counts do not move meanwhile anyway). pids.current is the kernel's,
// as runc reports it: the tasks pids.max limits, the sandbox's threads
// included (docs/design.md, "Cgroups"), as `docker stats` shows them.
absl::Status PrintStats(const Loaded& loaded, const std::string& root) {
  ASSIGN_OR_RETURN(nlohmann::ordered_json stats, platform::ReadCgroupStats(loaded.cgroup));
  if (loaded.cgroup.Frozen()) {
    PrintEvent("stats", loaded.state.id, &stats);
    return absl::OkStatus();
  }
  absl::StatusOr<nlohmann::json> sentry = sentry::QueryStats(fmt::format("{}/{}/sentry.sock", root, loaded.state.id));
  if (sentry.ok()) {
    stats["sentry"] = *sentry;
  } else {
    spdlog::debug("events: no sentry stats: {}", std::string(sentry.status().message()));
  }
  PrintEvent("stats", loaded.state.id, &stats);
  return absl::OkStatus();
}

// Prints one "oom" event per OOM counted. On v1 removing the cgroup also
// signals the eventfd: that is not an OOM (runc checks the same way).
void ReportOoms(platform::OomNotifier& oom, const Loaded& loaded, const std::string& id) {
  uint64_t count = oom.Consume();
  std::string memory = loaded.cgroup.ControllerDir(loaded.cgroup.pure_v2() ? "" : "memory");
  if (access((memory + "/cgroup.procs").c_str(), F_OK) != 0) return;
  for (; count > 0; --count) PrintEvent("oom", id, nullptr);
}

}  // namespace

absl::StatusOr<int> UpdateCommand(const GlobalOptions& global, const UpdateOptions& options) {
  ASSIGN_OR_RETURN(Loaded loaded, Load(global, options.id));
  platform::CgroupResources resources;
  if (!options.resources.empty()) {
    ASSIGN_OR_RETURN(nlohmann::json doc, ReadResourcesJson(options.resources));
    absl::StatusOr<Linux> linux = ParseLinuxResources(doc);
    if (!linux.ok()) {
      std::string message(linux.status().message());
      if (message.starts_with("config.json: ")) message = "--resources: " + message.substr(13);
      return absl::Status(linux.status().code(), message);
    }
    if (!linux->device_rules.empty()) spdlog::debug("update: ignoring linux.resources.devices, as runc does");
    resources = linux->resources;
  } else {
    ASSIGN_OR_RETURN(resources, ResourcesFromFlags(options));
  }
  if (loaded.status == Status::kStopped) return NotRunning(options.id);
  RETURN_IF_ERROR_CTX(platform::UpdateSystemdUnitOf(loaded.state.cgroup, resources),
                      fmt::format("updating container {}", options.id));
  RETURN_IF_ERROR_CTX(loaded.cgroup.ApplyResources(resources), fmt::format("updating container {}", options.id));
  return 0;
}

absl::StatusOr<int> PauseCommand(const GlobalOptions& global, const std::string& id) {
  ASSIGN_OR_RETURN(Loaded loaded, Load(global, id));
  if (loaded.status != Status::kRunning && loaded.status != Status::kCreated) return NotRunning(id);
  RETURN_IF_ERROR_CTX(loaded.cgroup.Freeze(true), fmt::format("pausing container {}", id));
  return 0;
}

absl::StatusOr<int> ResumeCommand(const GlobalOptions& global, const std::string& id) {
  ASSIGN_OR_RETURN(Loaded loaded, Load(global, id));
  if (loaded.status != Status::kPaused) {
    return absl::FailedPreconditionError(fmt::format("container {} is not paused", id));
  }
  RETURN_IF_ERROR_CTX(loaded.cgroup.Freeze(false), fmt::format("resuming container {}", id));
  return 0;
}

absl::StatusOr<int> EventsCommand(const GlobalOptions& global, const std::string& id, bool stats,
                                  const std::string& interval) {
  ASSIGN_OR_RETURN(std::chrono::milliseconds period, ParseDuration(interval));
  ASSIGN_OR_RETURN(Loaded loaded, Load(global, id));
  if (loaded.status == Status::kStopped) return NotRunning(id);
  if (stats) {
    RETURN_IF_ERROR(PrintStats(loaded, global.root));
    return 0;
  }
  ASSIGN_OR_RETURN(platform::UniqueFd init, OpenContainerInit(loaded.state));
  ASSIGN_OR_RETURN(platform::OomNotifier oom, platform::OomNotifier::Open(loaded.cgroup));
  auto next = std::chrono::steady_clock::now() + period;
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(next - std::chrono::steady_clock::now());
    struct pollfd fds[2] = {{oom.fd(), POLLIN, 0}, {init.get(), POLLIN, 0}};
    int ready = poll(fds, 2, static_cast<int>(std::max<int64_t>(left.count(), 0)));
    if (ready < 0 && errno != EINTR) return platform::LastError("events: poll");
    if (ready > 0 && (fds[0].revents & POLLIN)) ReportOoms(oom, loaded, id);
    if (ready > 0 && (fds[1].revents & POLLIN)) break;  // the init is gone: the container stopped
    if (std::chrono::steady_clock::now() >= next) {
      absl::Status printed = PrintStats(loaded, global.root);
      if (!printed.ok()) spdlog::error("events: {}", std::string(printed.message()));
      next += period;
    }
  }
  // An OOM kill of the init races with its exit: report what was counted.
  ReportOoms(oom, loaded, id);
  return 0;
}

}  // namespace runsc
