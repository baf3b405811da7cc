// User namespaces: the id mappings of a new one, written from outside.
#ifndef RUNSC_PLATFORM_USERNS_H_
#define RUNSC_PLATFORM_USERNS_H_

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace platform {

// One line of uid_map/gid_map: ids [container_id, container_id+size) in the
// namespace are host ids [host_id, host_id+size).
struct IdMapping {
  uint32_t container_id = 0;
  uint32_t host_id = 0;
  uint32_t size = 0;
};

// The text of a uid_map/gid_map file for `mappings` (one line each).
std::string FormatIdMap(const std::vector<IdMapping>& mappings);

// Writes /proc/<pid>/uid_map and gid_map of a process that has just made a
// user namespace (each can be written once). An unprivileged caller must
// first deny setgroups (the kernel requires it to write gid_map), so that
// is done only then: a privileged runtime leaves setgroups allowed, as runc
// does, so the container's init can set its supplementary groups.
absl::Status WriteIdMappings(pid_t pid, const std::vector<IdMapping>& uid_mappings,
                             const std::vector<IdMapping>& gid_mappings);

// Parses a uid_map/gid_map file (e.g. /proc/self/uid_map).
absl::StatusOr<std::vector<IdMapping>> ReadIdMappings(const std::string& path);

// Maps a container id to the host through `mappings`; -1 when unmapped.
int64_t HostIdOf(const std::vector<IdMapping>& mappings, uint32_t container_id);

}  // namespace platform

#endif  // RUNSC_PLATFORM_USERNS_H_
