// The container's cgroup: created at create, joined by the init, removed at
// delete. Works on cgroup v1 (including the hybrid layout of this host, with
// cgroup2 at /sys/fs/cgroup/unified) and on pure cgroup v2.
//
// Resource limits (ApplyResources), the freezer (Freeze/Frozen) and the
// controller directories that stats and OOM notification read.
#ifndef RUNSC_PLATFORM_CGROUPS_H_
#define RUNSC_PLATFORM_CGROUPS_H_

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "platform/cgroup_devices_bpf.h"
#include "platform/cgroup_resources.h"

namespace platform {

// One mounted cgroup hierarchy.
struct CgroupHierarchy {
  std::string mount_point;  // e.g. /sys/fs/cgroup/memory
  std::string controllers;  // e.g. "memory", "cpu,cpuacct", "name=systemd"; "" for cgroup2
  bool unified() const { return controllers.empty(); }
};

// The hierarchies mounted on this host (from /proc/self/mountinfo).
// pure_v2 is true when /sys/fs/cgroup itself is cgroup2.
struct CgroupLayout {
  std::vector<CgroupHierarchy> hierarchies;
  bool pure_v2 = false;
};

// Reads the host's cgroup layout.
absl::StatusOr<CgroupLayout> DetectCgroupLayout();

// A container's cgroup: one directory per hierarchy.
class Cgroup {
 public:
  // Resolves the spec's cgroupsPath. Absolute: below each hierarchy's root
  // (Docker's "/docker/<id>"); relative or empty ("<id>"): below the cgroup
  // runsc itself is in, as runc does. ".." may not climb out.
  static absl::StatusOr<Cgroup> Resolve(const std::string& cgroups_path, const std::string& id);

  // Creates the directories (recording the ones it made, for Destroy). On
  // cgroup v2 it enables the available controllers in every new parent's
  // cgroup.subtree_control, as runc does.
  absl::Status Create();
  // Writes every set field of `resources` (runc's order and conversions).
  // A controller or file the host lacks is an error naming the field.
  absl::Status ApplyResources(const CgroupResources& resources) const;
  // Freezes (v1 freezer.state FROZEN, v2 cgroup.freeze 1) or thaws the
  // cgroup; waits, bounded, until the kernel reports the new state.
  absl::Status Freeze(bool frozen) const;
  // True if the cgroup is frozen (a missing cgroup reads as not frozen).
  bool Frozen() const;
  // The directory holding `controller`'s files ("memory", "cpuacct", ...):
  // the v1 hierarchy's dir, or the v2 dir on pure v2; "" if absent.
  std::string ControllerDir(const std::string& controller) const;
  // Moves `pid` into the cgroup in every hierarchy.
  absl::Status AddProcess(pid_t pid) const;
  // Applies device rules ("a", "c 1:3 rwm", ...), one call per rule in order.
  // v1: writes devices.allow or devices.deny (`allow`). v2 (no v1 devices
  // hierarchy): adds the rule to those this object was given and replaces the
  // cgroup's BPF device program with one enforcing them all (default deny,
  // last matching rule wins; see cgroup_devices_bpf.h).
  absl::Status ApplyDeviceRule(bool allow, const std::string& rule);
  // The sandbox's own processes (sentry, gofer, watchdog) are charged to the
  // container (DESIGN.md, "Processes"): SandboxDirs() are the dirs they
  // join, every one of dirs() except the v1 freezer's, so that on v1 pause
  // freezes the workload only and the sentry keeps answering. On pure v2 the
  // one cgroup holds the freezer too: they are frozen with the workload.
  // Invariant (docs/design.md, "Cgroups"): their threads count in the
  // container's pids.max on v1 and v2 alike, so the workload never gets
  // more tasks than under runc (the limit less the sandbox's, 8 when idle)
  // and the container cannot grow the sandbox past its limit.
  std::vector<std::string> SandboxDirs() const;
  // Of SandboxDirs(), those a sandbox process may be born in, before it has
  // opened what its own set-up needs (the gofer's /dev/fuse): without the
  // v1 devices dir, nor the v1 pids dir (runsc create, in these dirs while it
  // spawns, is not the container's task), and none on pure v2, whose one
  // dir carries the device program. The rest is joined by AddSandboxProcess
  // once they are ready.
  std::vector<std::string> SandboxBirthDirs() const;
  // Moves `pid` into SandboxDirs().
  absl::Status AddSandboxProcess(pid_t pid) const;
  // The pids in the cgroup (its cgroup.procs, including descendants' on v2).
  absl::StatusOr<std::vector<pid_t>> Processes() const;
  // Removes the directories this cgroup created, deepest first, waiting a
  // bounded time for exiting processes to leave. Missing dirs are fine.
  absl::Status Destroy() const;

  // Serialised form kept in state.json.
  nlohmann::json ToJson() const;
  static absl::StatusOr<Cgroup> FromJson(const nlohmann::json& json);

  const std::vector<std::string>& dirs() const { return dirs_; }
  bool pure_v2() const { return pure_v2_; }

 private:
  std::vector<std::string> dirs_;     // leaf dir in every hierarchy
  std::vector<std::string> created_;  // dirs Create made, parents first
  std::map<std::string, std::string> controller_dirs_;  // v1 controller -> dir; "" -> the v2 dir
  std::string devices_dir_;           // the v1 devices hierarchy's dir, if any
  std::vector<DeviceCgroupRule> v2_device_rules_;  // rules given so far, without a v1 devices dir
  std::string cpuset_dir_;            // the v1 cpuset hierarchy's dir, if any
  std::string cpuset_mount_;          // and that hierarchy's mount point + "/"
  std::string unified_mount_;         // the cgroup2 mount point (only after Resolve)
  bool pure_v2_ = false;
};

// Moves the calling process into `dirs` (cgroup dirs of any hierarchies),
// so that the children it starts meanwhile are born there and charged from
// their first page, and back into the cgroups it came from on Leave() or
// destruction. Not thread-safe: the whole process moves.
class CgroupVisit {
 public:
  static absl::StatusOr<CgroupVisit> Enter(
      const std::vector<std::string>& dirs);
  CgroupVisit(CgroupVisit&& other) noexcept
      : previous_(std::move(other.previous_)) {
    other.previous_.clear();
  }
  CgroupVisit& operator=(CgroupVisit&&) = delete;
  ~CgroupVisit() { (void)Leave(); }
  // Returns to the cgroups the process was in before Enter (idempotent).
  absl::Status Leave();

 private:
  CgroupVisit() = default;
  std::vector<std::string> previous_;  // the dirs to return to
};

}  // namespace platform

#endif  // RUNSC_PLATFORM_CGROUPS_H_
