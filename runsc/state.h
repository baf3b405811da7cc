// The state store: <root>/<id>/state.json, one directory per container.
#ifndef RUNSC_RUNSC_STATE_H_
#define RUNSC_RUNSC_STATE_H_

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "platform/unique_fd.h"

namespace runsc {

// What runsc records about a container. Written by create, read by every
// other command; the status is derived, never stored (see DeriveStatus).
struct ContainerState {
  std::string id;
  std::string oci_version;
  std::string bundle;
  std::string rootfs;
  pid_t pid = 0;                // the container init's host pid
  uint64_t pid_start_time = 0;  // its start time: a reused pid is not ours
  pid_t sentry_pid = 0;
  uint64_t sentry_start_time = 0;
  pid_t gofer_pid = 0;  // 0: no gofer (a container made before it existed)
  uint64_t gofer_start_time = 0;
  pid_t watchdog_pid = 0;  // 0: a container made before it was recorded
  uint64_t watchdog_start_time = 0;
  std::string created;  // RFC 3339 with nanoseconds, UTC
  uint32_t owner_uid = 0;
  std::map<std::string, std::string> annotations;
  nlohmann::json cgroup;  // platform::Cgroup::ToJson()
  nlohmann::json config;  // config.json as it was at create (exec's defaults)
  nlohmann::json sandbox;  // sentry::SandboxConfig::ToJson() of create (exec uses the same policy)
};

// created, running, paused (its cgroup frozen) or stopped.
enum class Status { kCreated, kRunning, kPaused, kStopped };

// "created", "running", "paused", "stopped".
std::string StatusName(Status status);

// Checks runc's id rules: [A-Za-z0-9_+.-]+, not "." or "..". The error
// names the id: `invalid container id "../x": ...`.
absl::Status ValidateContainerId(const std::string& id);

// The state JSON `runsc state` prints (runc's shape).
nlohmann::json OciStateJson(const ContainerState& state, Status status);

// One container's directory, locked for the lifetime of this object.
// Lock order: only one container lock is ever held at a time.
class ContainerDir {
 public:
  const std::string& path() const { return path_; }
  // <dir>/exec.fifo: present from create until start.
  std::string exec_fifo() const { return path_ + "/exec.fifo"; }
  // Loads state.json.
  absl::StatusOr<ContainerState> Load() const;
  // Writes state.json atomically: tmp file, fsync, rename, fsync of the dir.
  absl::Status Save(const ContainerState& state) const;
  // The container's status, derived from the recorded init (pid + start
  // time, so pid reuse reads as stopped), the exec fifo and the freezer.
  Status DeriveStatus(const ContainerState& state) const;
  // Removes the directory and everything in it.
  absl::Status Remove();

 private:
  friend class StateStore;
  ContainerDir(std::string path, platform::UniqueFd lock) : path_(std::move(path)), lock_(std::move(lock)) {}
  std::string path_;
  platform::UniqueFd lock_;  // flock(LOCK_EX) on the directory
};

// All containers under one --root.
class StateStore {
 public:
  explicit StateStore(std::string root) : root_(std::move(root)) {}

  // Creates <root>/<id> with mkdir, which is atomic: of two racing creates
  // exactly one wins; the other gets `container with id <id> already exists`.
  absl::StatusOr<ContainerDir> CreateNew(const std::string& id) const;
  // Opens and locks an existing container's dir; `container does not exist: <id>`.
  absl::StatusOr<ContainerDir> Open(const std::string& id) const;
  // Removes <root>/<id> if it exists without state.json (a create that
  // died half-way); a live create holds the lock, so this waits for it.
  absl::Status RemoveStale(const std::string& id) const;
  // Ids of all containers, sorted.
  absl::StatusOr<std::vector<std::string>> List() const;
  const std::string& root() const { return root_; }

 private:
  std::string root_;
};

}  // namespace runsc

#endif  // RUNSC_RUNSC_STATE_H_
