#include "platform/cgroups.h"

#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "absl/strings/str_split.h"
#include "fmt/format.h"
#include "platform/errors.h"
#include "platform/status_macros.h"
#include "spdlog/spdlog.h"

namespace platform {
namespace {

// Splits a cleaned absolute path into components; error if ".." climbs above "/".
absl::StatusOr<std::vector<std::string>> CleanComponents(const std::string& path) {
  std::vector<std::string> parts;
  for (absl::string_view piece : absl::StrSplit(path, '/', absl::SkipEmpty())) {
    std::string part(piece);
    if (part == ".") continue;
    if (part == "..") {
      if (parts.empty()) return absl::InvalidArgumentError(fmt::format("cgroupsPath \"{}\" climbs out of the cgroup root", path));
      parts.pop_back();
      continue;
    }
    parts.push_back(part);
  }
  return parts;
}

std::string JoinPath(const std::string& base, const std::vector<std::string>& parts) {
  std::string out = base;
  for (const std::string& part : parts) out += "/" + part;
  return out;
}

// /proc/self/cgroup: controllers ("" for v2) -> path.
std::map<std::string, std::string> OwnCgroups() {
  std::map<std::string, std::string> own;
  std::ifstream file("/proc/self/cgroup");
  std::string line;
  while (std::getline(file, line)) {
    size_t first = line.find(':');
    size_t second = line.find(':', first + 1);
    if (first == std::string::npos || second == std::string::npos) continue;
    own[line.substr(first + 1, second - first - 1)] = line.substr(second + 1);
  }
  return own;
}

absl::Status WriteFile(const std::string& path, const std::string& value) {
  std::ofstream file(path);
  if (!file) return ErrnoError(errno, fmt::format("opening {}", path));
  file << value;
  file.flush();
  if (!file) return ErrnoError(errno, fmt::format("writing \"{}\" to {}", value, path));
  return absl::OkStatus();
}

std::string ReadTrimmed(const std::string& path) {
  std::ifstream file(path);
  std::string value;
  std::getline(file, value);
  return value;
}

// A new v1 cpuset cgroup starts with empty cpus/mems, and joining it fails
// with ENOSPC: inherit the parent's, as runc does.
absl::Status InheritCpuset(const std::string& dir) {
  std::string parent = dir.substr(0, dir.rfind('/'));
  for (const char* file : {"/cpuset.cpus", "/cpuset.mems"}) {
    if (!ReadTrimmed(dir + file).empty()) continue;
    RETURN_IF_ERROR(WriteFile(dir + file, ReadTrimmed(parent + file)));
  }
  return absl::OkStatus();
}

// On cgroup v2 a child sees only the controllers its parent enabled in
// cgroup.subtree_control: enable every available one on the way down to
// `leaf`, as runc does. Failures (EBUSY: the parent holds processes) are
// not fatal: writing a limit then fails naming the missing file.
void EnableV2Controllers(const std::string& mount, const std::string& leaf) {
  if (mount.empty() || leaf.size() <= mount.size()) return;
  std::string dir = mount;
  for (absl::string_view part : absl::StrSplit(leaf.substr(mount.size()), '/', absl::SkipEmpty())) {
    std::string enabled = " " + ReadTrimmed(dir + "/cgroup.subtree_control") + " ";
    for (absl::string_view controller : absl::StrSplit(ReadTrimmed(dir + "/cgroup.controllers"), ' ', absl::SkipEmpty())) {
      if (enabled.find(" " + std::string(controller) + " ") != std::string::npos) continue;
      absl::Status status = WriteFile(dir + "/cgroup.subtree_control", "+" + std::string(controller));
      if (!status.ok()) spdlog::debug("enabling cgroup controller {} in {}: {}", std::string(controller), dir, std::string(status.message()));
    }
    dir += "/" + std::string(part);
  }
}

bool Exists(const std::string& path) { return access(path.c_str(), F_OK) == 0; }

}  // namespace

absl::StatusOr<CgroupLayout> DetectCgroupLayout() {
  std::ifstream file("/proc/self/mountinfo");
  if (!file) return LastError("reading /proc/self/mountinfo");
  CgroupLayout layout;
  std::string line;
  while (std::getline(file, line)) {
    // "id parent maj:min root mountpoint opts [optional...] - fstype source superopts"
    std::vector<std::string> fields = absl::StrSplit(line, ' ');
    auto dash = std::find(fields.begin(), fields.end(), "-");
    if (fields.size() < 5 || dash == fields.end() || dash + 3 > fields.end()) continue;
    const std::string& fstype = *(dash + 1);
    const std::string& mount_point = fields[4];
    if (fstype == "cgroup2") {
      layout.hierarchies.push_back({mount_point, ""});
      if (mount_point == "/sys/fs/cgroup") layout.pure_v2 = true;
    } else if (fstype == "cgroup") {
      std::string controllers;
      for (absl::string_view opt : absl::StrSplit(*(dash + 3), ',')) {
        if (opt == "rw" || opt == "ro" || opt.empty() || absl::StartsWith(opt, "release_agent") ||
            opt == "clone_children" || opt == "noprefix" || opt == "xattr" || opt == "cpuset_v2_mode") {
          continue;
        }
        controllers += (controllers.empty() ? "" : ",") + std::string(opt);
      }
      layout.hierarchies.push_back({mount_point, controllers});
    }
  }
  if (layout.hierarchies.empty()) return absl::FailedPreconditionError("no cgroup filesystem is mounted");
  return layout;
}

absl::StatusOr<Cgroup> Cgroup::Resolve(const std::string& cgroups_path, const std::string& id) {
  ASSIGN_OR_RETURN(CgroupLayout layout, DetectCgroupLayout());
  std::string wanted = cgroups_path.empty() ? id : cgroups_path;
  bool relative = wanted[0] != '/';
  std::map<std::string, std::string> own = OwnCgroups();
  Cgroup cgroup;
  cgroup.pure_v2_ = layout.pure_v2;
  for (const CgroupHierarchy& hierarchy : layout.hierarchies) {
    std::string base = relative ? own[hierarchy.controllers] : "/";
    ASSIGN_OR_RETURN(std::vector<std::string> parts, CleanComponents(base + "/" + wanted));
    if (parts.empty()) return absl::InvalidArgumentError(fmt::format("cgroupsPath \"{}\" is the cgroup root", cgroups_path));
    std::string dir = JoinPath(hierarchy.mount_point, parts);
    if (hierarchy.unified()) cgroup.controller_dirs_[""] = dir, cgroup.unified_mount_ = hierarchy.mount_point;
    if (std::find(cgroup.dirs_.begin(), cgroup.dirs_.end(), dir) != cgroup.dirs_.end()) continue;
    cgroup.dirs_.push_back(dir);
    for (absl::string_view controller : absl::StrSplit(hierarchy.controllers, ',')) {
      if (!hierarchy.unified()) cgroup.controller_dirs_[std::string(controller)] = dir;
      if (controller == "devices") cgroup.devices_dir_ = dir;
      if (controller == "cpuset") cgroup.cpuset_dir_ = dir, cgroup.cpuset_mount_ = hierarchy.mount_point + "/";
    }
  }
  return cgroup;
}

absl::Status Cgroup::Create() {
  for (const std::string& dir : dirs_) {
    std::string cpuset_root = dir.rfind(cpuset_dir_, 0) == 0 && !cpuset_dir_.empty() ? cpuset_mount_ : "";
    // Walk down from the hierarchy root, creating what is missing.
    std::string path;
    for (absl::string_view part : absl::StrSplit(dir, '/', absl::SkipEmpty())) {
      path += "/" + std::string(part);
      if (mkdir(path.c_str(), 0755) == 0) {
        created_.push_back(path);
        if (path.rfind(cpuset_root, 0) == 0 && !cpuset_root.empty()) RETURN_IF_ERROR(InheritCpuset(path));
      } else if (errno != EEXIST) {
        return ErrnoError(errno, fmt::format("creating cgroup {}", path));
      }
    }
  }
  if (pure_v2_) EnableV2Controllers(unified_mount_, controller_dirs_[""]);
  return absl::OkStatus();
}

absl::Status Cgroup::AddProcess(pid_t pid) const {
  for (const std::string& dir : dirs_) {
    RETURN_IF_ERROR(WriteFile(dir + "/cgroup.procs", std::to_string(pid)));
  }
  return absl::OkStatus();
}

absl::Status Cgroup::ApplyDeviceRule(bool allow, const std::string& rule) {
  if (!devices_dir_.empty()) return WriteFile(devices_dir_ + (allow ? "/devices.allow" : "/devices.deny"), rule);
  auto v2 = controller_dirs_.find("");
  if (v2 == controller_dirs_.end()) {
    return absl::FailedPreconditionError("linux.resources.devices: this host has no devices cgroup controller");
  }
  ASSIGN_OR_RETURN(DeviceCgroupRule parsed, Annotate(ParseDeviceCgroupRule(allow, rule), "linux.resources.devices"));
  v2_device_rules_.push_back(parsed);
  return Annotate(SetDeviceFilter(v2->second, v2_device_rules_), "linux.resources.devices");
}

absl::StatusOr<std::vector<pid_t>> Cgroup::Processes() const {
  std::vector<pid_t> pids;
  // A dir the sandbox's processes join too (not the v1 freezer's).
  std::vector<std::string> dirs = SandboxDirs();
  if (dirs.empty()) dirs = dirs_;
  if (dirs.empty()) return pids;
  std::string path = dirs.front() + "/cgroup.procs";
  std::ifstream file(path);
  if (!file) return ErrnoError(errno, fmt::format("reading {}", path));
  pid_t pid;
  while (file >> pid) pids.push_back(pid);
  return pids;
}

absl::Status Cgroup::Destroy() const {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  for (auto it = created_.rbegin(); it != created_.rend(); ++it) {
    while (rmdir(it->c_str()) != 0 && errno != ENOENT) {
      // EBUSY: a process is still leaving (killed, not yet reaped), or a
      // sibling container still uses a shared parent (then keep it).
      if (errno != EBUSY || std::chrono::steady_clock::now() > deadline) {
        if (errno == EBUSY && std::find(dirs_.begin(), dirs_.end(), *it) == dirs_.end()) break;
        return ErrnoError(errno, fmt::format("removing cgroup {}", *it));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  return absl::OkStatus();
}

nlohmann::json Cgroup::ToJson() const {
  return {{"dirs", dirs_}, {"created", created_}, {"devices_dir", devices_dir_}, {"pure_v2", pure_v2_},
          {"cpuset_dir", cpuset_dir_}, {"cpuset_mount", cpuset_mount_}, {"controller_dirs", controller_dirs_}};
}

absl::StatusOr<Cgroup> Cgroup::FromJson(const nlohmann::json& json) {
  Cgroup cgroup;
  try {
    cgroup.dirs_ = json.at("dirs").get<std::vector<std::string>>();
    cgroup.created_ = json.at("created").get<std::vector<std::string>>();
    cgroup.devices_dir_ = json.at("devices_dir").get<std::string>();
    cgroup.pure_v2_ = json.at("pure_v2").get<bool>();
    cgroup.cpuset_dir_ = json.value("cpuset_dir", "");
    cgroup.cpuset_mount_ = json.value("cpuset_mount", "");
    cgroup.controller_dirs_ =
        json.value("controller_dirs", nlohmann::json::object()).get<std::map<std::string, std::string>>();
  } catch (const nlohmann::json::exception& error) {
    return absl::DataLossError(fmt::format("cgroup in state.json: {}", error.what()));
  }
  return cgroup;
}

std::string Cgroup::ControllerDir(const std::string& controller) const {
  auto it = controller_dirs_.find(pure_v2_ ? "" : controller);
  return it == controller_dirs_.end() ? "" : it->second;
}

namespace {

// One resource write, with errors that name the linux.resources field.
absl::Status ApplyWrite(const std::string& dir, const CgroupWrite& write, bool v2) {
  std::string field = "linux.resources." + write.field;
  if (dir.empty()) {
    return absl::FailedPreconditionError(
        fmt::format("{}: this host has no {} cgroup controller", field, write.controller));
  }
  std::string path = dir + "/" + write.file;
  // As runc: with the BFQ scheduler the weights are blkio.bfq.weight{,_device}.
  std::string bfq = dir + "/blkio.bfq." + write.file.substr(write.file.find('.') + 1);
  bool weight = write.file == "blkio.weight" || write.file == "blkio.weight_device";
  if (!Exists(path) && weight && Exists(bfq)) path = bfq;
  if (!Exists(path)) {
    std::string hint = v2 ? " (is its controller enabled in the parent's cgroup.subtree_control?)" : "";
    return absl::FailedPreconditionError(fmt::format("{}: not supported by this host: the {} cgroup has no {}{}", field,
                                                     v2 ? "v2" : write.controller, write.file, hint));
  }
  return Annotate(WriteFile(path, write.value), field);
}

}  // namespace

absl::Status Cgroup::ApplyResources(const CgroupResources& resources) const {
  if (resources.empty()) return absl::OkStatus();
  std::vector<CgroupWrite> writes;
  if (pure_v2_) {
    ASSIGN_OR_RETURN(writes, V2Writes(resources));
  } else {
    std::string current = ReadTrimmed(ControllerDir("memory") + "/memory.limit_in_bytes");
    int64_t limit = current.empty() ? 0 : std::stoll(current);
    ASSIGN_OR_RETURN(writes, V1Writes(resources, SwapBeforeLimitV1(resources, limit)));
  }
  for (const CgroupWrite& write : writes) {
    RETURN_IF_ERROR(ApplyWrite(ControllerDir(write.controller), write, pure_v2_));
  }
  return absl::OkStatus();
}

namespace {

// The v1 freezer dir, or "" to use cgroup.freeze in the v2 dir.
std::string FreezerFile(const std::map<std::string, std::string>& dirs, bool pure_v2) {
  auto v1 = dirs.find("freezer");
  if (!pure_v2 && v1 != dirs.end()) return v1->second + "/freezer.state";
  auto v2 = dirs.find("");
  return v2 == dirs.end() ? "" : v2->second + "/cgroup.freeze";
}

bool ReachedFreezeState(const std::string& file, bool frozen) {
  if (file.ends_with("freezer.state")) return ReadTrimmed(file) == (frozen ? "FROZEN" : "THAWED");
  std::ifstream events(file.substr(0, file.rfind('/')) + "/cgroup.events");
  std::string line;
  while (std::getline(events, line)) {
    if (line.starts_with("frozen ")) return line == (frozen ? "frozen 1" : "frozen 0");
  }
  return false;
}

}  // namespace

absl::Status Cgroup::Freeze(bool frozen) const {
  std::string file = FreezerFile(controller_dirs_, pure_v2_);
  if (file.empty() || !Exists(file)) return absl::FailedPreconditionError("this host has no cgroup freezer");
  bool v1 = file.ends_with("freezer.state");
  std::string value = v1 ? (frozen ? "FROZEN" : "THAWED") : (frozen ? "1" : "0");
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (int attempt = 0; std::chrono::steady_clock::now() < deadline; ++attempt) {
    // v1 may sit in FREEZING while tasks are busy in the kernel: write again.
    if (attempt % 50 == 0) RETURN_IF_ERROR(WriteFile(file, value));
    if (ReachedFreezeState(file, frozen)) return absl::OkStatus();
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  if (frozen) (void)WriteFile(file, v1 ? "THAWED" : "0");
  return absl::DeadlineExceededError(fmt::format("{}: the cgroup did not reach \"{}\" in 10s", file, value));
}

bool Cgroup::Frozen() const {
  std::string file = FreezerFile(controller_dirs_, pure_v2_);
  if (file.empty()) return false;
  if (file.ends_with("freezer.state")) return ReadTrimmed(file) == "FROZEN";
  return ReadTrimmed(file) == "1";
}

}  // namespace platform

namespace platform {

std::vector<std::string> Cgroup::SandboxDirs() const {
  if (pure_v2_) return dirs_;
  std::string freezer = ControllerDir("freezer");
  std::vector<std::string> dirs;
  for (const std::string& dir : dirs_) {
    if (dir != freezer) dirs.push_back(dir);
  }
  return dirs;
}

std::vector<std::string> Cgroup::SandboxBirthDirs() const {
  if (pure_v2_) return {};
  // Joined by moving in (never refused by pids.max): the threads the
  // daemons started meanwhile count from then on.
  std::string pids = ControllerDir("pids");
  std::vector<std::string> dirs;
  for (const std::string& dir : SandboxDirs()) {
    if (dir != devices_dir_ && dir != pids) dirs.push_back(dir);
  }
  return dirs;
}

absl::Status Cgroup::AddSandboxProcess(pid_t pid) const {
  for (const std::string& dir : SandboxDirs()) {
    RETURN_IF_ERROR(WriteFile(dir + "/cgroup.procs", std::to_string(pid)));
  }
  return absl::OkStatus();
}

absl::StatusOr<CgroupVisit> CgroupVisit::Enter(
    const std::vector<std::string>& dirs) {
  ASSIGN_OR_RETURN(CgroupLayout layout, DetectCgroupLayout());
  std::map<std::string, std::string> own = OwnCgroups();
  CgroupVisit visit;
  for (const std::string& dir : dirs) {
    // The hierarchy holding `dir`: the longest mount point above it.
    const CgroupHierarchy* found = nullptr;
    for (const CgroupHierarchy& hierarchy : layout.hierarchies) {
      if (!dir.starts_with(hierarchy.mount_point + "/")) continue;
      if (found == nullptr ||
          hierarchy.mount_point.size() > found->mount_point.size())
        found = &hierarchy;
    }
    if (found == nullptr)
      return absl::NotFoundError(
          fmt::format("cgroup {}: no hierarchy is mounted above it", dir));
    std::string previous = found->mount_point + own[found->controllers];
    // "0": the writer's whole thread group.
    RETURN_IF_ERROR(WriteFile(dir + "/cgroup.procs", "0"));
    visit.previous_.push_back(previous);
  }
  return visit;
}

absl::Status CgroupVisit::Leave() {
  absl::Status result = absl::OkStatus();
  for (auto it = previous_.rbegin(); it != previous_.rend(); ++it) {
    absl::Status status = WriteFile(*it + "/cgroup.procs", "0");
    if (!status.ok() && result.ok()) result = status;
  }
  previous_.clear();
  return result;
}

}  // namespace platform
