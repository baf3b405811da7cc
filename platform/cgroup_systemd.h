// The systemd cgroup driver (`runsc --systemd-cgroup`), as runc's and crun's:
// the container's cgroup is a transient scope unit that systemd creates
// through its D-Bus API (sd-bus), with the resource properties systemd owns;
// runsc then writes the rest of linux.resources into the scope's cgroup
// directories itself (systemd owns the unit, runsc writes the files).
//
// cgroupsPath is "slice:prefix:name" (runc's rules): an empty slice is
// "system.slice"; the unit is "<prefix>-<name>.scope", or the slice "<name>"
// when name ends in ".slice"; a slice named "a-b.slice" lives under
// "a.slice/a-b.slice".
//
// The bus is the system bus (DBUS_SYSTEM_BUS_ADDRESS or the default socket),
// or systemd's private socket /run/systemd/private when there is none, as
// systemctl and runc do. Every call is synchronous and bounded.
#ifndef RUNSC_PLATFORM_CGROUP_SYSTEMD_H_
#define RUNSC_PLATFORM_CGROUP_SYSTEMD_H_

#include <sys/types.h>

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "platform/cgroup_resources.h"
#include "platform/cgroups.h"

namespace platform {

// A parsed systemd cgroupsPath.
struct SystemdUnitPath {
  std::string slice;       // the parent slice unit, e.g. "system.slice"
  std::string unit;        // e.g. "docker-<id>.scope" or "<name>.slice"
  std::string slice_path;  // the slice's cgroup path, e.g. "/system.slice"
  bool is_slice() const;
  // The unit's cgroup path below the hierarchy root (slice_path + unit).
  std::string CgroupPath() const;
};

// Parses `cgroups_path` ("slice:prefix:name"; empty: ":runsc:<id>").
// Errors name linux.cgroupsPath.
absl::StatusOr<SystemdUnitPath> ParseSystemdCgroupsPath(
    const std::string& cgroups_path, const std::string& id);

// runc's expandSlice: "a-b.slice" -> "/a.slice/a-b.slice"; "-.slice" -> "/".
absl::StatusOr<std::string> ExpandSlice(const std::string& slice);

// The key of the unit's name in the cgroup's state JSON (Cgroup::ToJson plus
// this key); absent for the cgroupfs driver.
inline constexpr char kSystemdUnitKey[] = "systemd_unit";

// Starts the transient unit for `path` holding `pid` (with the resource
// properties systemd owns), waits for its job, and returns the Cgroup of its
// directories: created where systemd did not (v1 hierarchies it does not
// manage), joined by `pid` everywhere, with every field of `resources`
// written. On failure the unit is stopped again.
absl::StatusOr<Cgroup> StartSystemdCgroup(const SystemdUnitPath& path,
                                          pid_t pid,
                                          const CgroupResources& resources);

// Stops the unit named in `cgroup_json` (kSystemdUnitKey), if any, waiting
// for its job. A unit systemd no longer knows is fine.
absl::Status StopSystemdUnitOf(const nlohmann::json& cgroup_json);

// Sets the systemd-owned properties of `resources` on the unit named in
// `cgroup_json`, if any (the caller then writes the files as for cgroupfs).
absl::Status UpdateSystemdUnitOf(const nlohmann::json& cgroup_json,
                                 const CgroupResources& resources);

}  // namespace platform

#endif  // RUNSC_PLATFORM_CGROUP_SYSTEMD_H_
