#include "runsc/state.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "fmt/format.h"
#include "platform/cgroups.h"
#include "platform/errors.h"
#include "platform/procfs.h"
#include "platform/status_macros.h"

namespace runsc {
namespace {

using platform::ErrnoError;
using platform::LastError;
using platform::UniqueFd;

absl::StatusOr<UniqueFd> LockDir(const std::string& path) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) return LastError(fmt::format("opening {}", path));
  while (flock(fd.get(), LOCK_EX) != 0) {
    if (errno != EINTR) return LastError(fmt::format("locking {}", path));
  }
  return fd;
}

absl::Status EnsureRoot(const std::string& root) {
  std::error_code error;
  std::filesystem::create_directories(root, error);
  if (error) return absl::InternalError(fmt::format("creating state root {}: {}", root, error.message()));
  chmod(root.c_str(), 0700);
  return absl::OkStatus();
}

// Written whole, then renamed over state.json by the caller: a reader sees the
// old state or the new one, never a part. No fsync, as runc: the state root
// is /run (tmpfs) under every engine, and a state that outlives a crash names
// processes that are gone; on a disk root the two fsyncs cost 2-7 ms of every
// create (once 68 ms on this VM).
absl::Status WriteWhole(int dir_fd, const std::string& name, const std::string& text) {
  UniqueFd fd(openat(dir_fd, name.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!fd.valid()) return LastError(fmt::format("creating {}", name));
  size_t done = 0;
  while (done < text.size()) {
    ssize_t written = write(fd.get(), text.data() + done, text.size() - done);
    if (written < 0 && errno == EINTR) continue;
    if (written < 0) return LastError(fmt::format("writing {}", name));
    done += written;
  }
  return absl::OkStatus();
}

}  // namespace

std::string StatusName(Status status) {
  switch (status) {
    case Status::kCreated: return "created";
    case Status::kRunning: return "running";
    case Status::kPaused: return "paused";
    case Status::kStopped: return "stopped";
  }
  return "unknown";
}

absl::Status ValidateContainerId(const std::string& id) {
  if (id.empty()) return absl::InvalidArgumentError("container id cannot be empty");
  bool valid = id != "." && id != ".." && id.size() <= 1024 &&
               std::all_of(id.begin(), id.end(), [](char c) {
                 return isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '+' || c == '-' || c == '.';
               });
  if (!valid) {
    return absl::InvalidArgumentError(
        fmt::format("invalid container id format: \"{}\" (allowed: letters, digits, _ + - .)", id));
  }
  return absl::OkStatus();
}

nlohmann::json OciStateJson(const ContainerState& state, Status status) {
  nlohmann::ordered_json json;
  json["ociVersion"] = state.oci_version;
  json["id"] = state.id;
  // runc reports pid 0 once the container has stopped.
  json["pid"] = status == Status::kStopped ? 0 : state.pid;
  json["status"] = StatusName(status);
  json["bundle"] = state.bundle;
  json["rootfs"] = state.rootfs;
  json["created"] = state.created;
  json["owner"] = state.owner_uid == 0 ? "" : std::to_string(state.owner_uid);
  if (!state.annotations.empty()) json["annotations"] = state.annotations;
  return json;
}

absl::StatusOr<ContainerState> ContainerDir::Load() const {
  std::string path = path_ + "/state.json";
  std::ifstream file(path);
  if (!file) return ErrnoError(errno, fmt::format("reading {}", path));
  nlohmann::json json = nlohmann::json::parse(file, nullptr, false);
  if (json.is_discarded()) return absl::DataLossError(fmt::format("{}: malformed", path));
  ContainerState state;
  try {
    state.id = json.at("id");
    state.oci_version = json.at("ociVersion");
    state.bundle = json.at("bundle");
    state.rootfs = json.at("rootfs");
    state.pid = json.at("pid");
    state.pid_start_time = json.at("pid_start_time");
    state.sentry_pid = json.at("sentry_pid");
    state.sentry_start_time = json.at("sentry_start_time");
    state.gofer_pid = json.value("gofer_pid", 0);
    state.gofer_start_time = json.value("gofer_start_time", uint64_t{0});
    state.watchdog_pid = json.value("watchdog_pid", 0);
    state.watchdog_start_time = json.value("watchdog_start_time", uint64_t{0});
    state.created = json.at("created");
    state.owner_uid = json.at("owner_uid");
    state.annotations = json.at("annotations").get<std::map<std::string, std::string>>();
    state.cgroup = json.at("cgroup");
    state.config = json.value("config", nlohmann::json::object());
    state.sandbox = json.value("sandbox", nlohmann::json::object());
  } catch (const nlohmann::json::exception& error) {
    return absl::DataLossError(fmt::format("{}: {}", path, error.what()));
  }
  return state;
}

absl::Status ContainerDir::Save(const ContainerState& state) const {
  nlohmann::json json = {{"id", state.id},
                         {"ociVersion", state.oci_version},
                         {"bundle", state.bundle},
                         {"rootfs", state.rootfs},
                         {"pid", state.pid},
                         {"pid_start_time", state.pid_start_time},
                         {"sentry_pid", state.sentry_pid},
                         {"sentry_start_time", state.sentry_start_time},
                         {"gofer_pid", state.gofer_pid},
                         {"gofer_start_time", state.gofer_start_time},
                         {"watchdog_pid", state.watchdog_pid},
                         {"watchdog_start_time", state.watchdog_start_time},
                         {"created", state.created},
                         {"owner_uid", state.owner_uid},
                         {"annotations", state.annotations},
                         {"cgroup", state.cgroup},
                         {"config", state.config},
                         {"sandbox", state.sandbox}};
  RETURN_IF_ERROR(WriteWhole(lock_.get(), "state.json.tmp", json.dump(2)));
  if (renameat(lock_.get(), "state.json.tmp", lock_.get(), "state.json") != 0) {
    return LastError("renaming state.json.tmp");
  }
  return absl::OkStatus();
}

Status ContainerDir::DeriveStatus(const ContainerState& state) const {
  if (!platform::IsSameLiveProcess(state.pid, state.pid_start_time)) return Status::kStopped;
  struct stat st;
  if (stat(exec_fifo().c_str(), &st) == 0) return Status::kCreated;
  absl::StatusOr<platform::Cgroup> cgroup = platform::Cgroup::FromJson(state.cgroup);
  if (cgroup.ok() && cgroup->Frozen()) return Status::kPaused;
  return Status::kRunning;
}

absl::Status ContainerDir::Remove() {
  std::error_code error;
  std::filesystem::remove_all(path_, error);
  if (error) return absl::InternalError(fmt::format("removing {}: {}", path_, error.message()));
  lock_.reset();
  return absl::OkStatus();
}

absl::StatusOr<ContainerDir> StateStore::CreateNew(const std::string& id) const {
  RETURN_IF_ERROR(ValidateContainerId(id));
  RETURN_IF_ERROR(EnsureRoot(root_));
  std::string path = root_ + "/" + id;
  if (mkdir(path.c_str(), 0711) != 0) {
    if (errno == EEXIST) return absl::AlreadyExistsError(fmt::format("container with id {} already exists", id));
    return LastError(fmt::format("creating {}", path));
  }
  absl::StatusOr<UniqueFd> lock = LockDir(path);
  if (!lock.ok()) {
    rmdir(path.c_str());
    return lock.status();
  }
  return ContainerDir(path, std::move(*lock));
}

absl::StatusOr<ContainerDir> StateStore::Open(const std::string& id) const {
  RETURN_IF_ERROR(ValidateContainerId(id));
  std::string path = root_ + "/" + id;
  UniqueFd probe(open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!probe.valid() && errno == ENOENT) {
    return absl::NotFoundError(fmt::format("container does not exist: {}", id));
  }
  ASSIGN_OR_RETURN(UniqueFd lock, LockDir(path));
  // A concurrent create may still be writing: state.json appears only once
  // the container is created (create holds the lock until then).
  struct stat st;
  if (fstatat(lock.get(), "state.json", &st, 0) != 0) {
    return absl::NotFoundError(fmt::format("container does not exist: {}", id));
  }
  return ContainerDir(path, std::move(lock));
}

absl::Status StateStore::RemoveStale(const std::string& id) const {
  RETURN_IF_ERROR(ValidateContainerId(id));
  std::string path = root_ + "/" + id;
  absl::StatusOr<UniqueFd> lock = LockDir(path);
  if (absl::IsNotFound(lock.status())) return absl::OkStatus();
  if (!lock.ok()) return lock.status();
  struct stat st;
  if (fstatat(lock->get(), "state.json", &st, 0) == 0) return absl::OkStatus();  // not stale
  return ContainerDir(path, std::move(*lock)).Remove();
}

absl::StatusOr<std::vector<std::string>> StateStore::List() const {
  std::vector<std::string> ids;
  DIR* dir = opendir(root_.c_str());
  if (dir == nullptr) {
    if (errno == ENOENT) return ids;
    return LastError(fmt::format("listing {}", root_));
  }
  while (struct dirent* entry = readdir(dir)) {
    std::string name = entry->d_name;
    if (name == "." || name == ".." || entry->d_type != DT_DIR) continue;
    if (faccessat(dirfd(dir), (name + "/state.json").c_str(), F_OK, 0) == 0) ids.push_back(name);
  }
  closedir(dir);
  std::sort(ids.begin(), ids.end());
  return ids;
}

}  // namespace runsc
