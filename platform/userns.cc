#include "platform/userns.h"

#include <fcntl.h>
#include <unistd.h>

#include <fstream>

#include "fmt/format.h"
#include "platform/errors.h"
#include "platform/status_macros.h"
#include "platform/unique_fd.h"

namespace platform {
namespace {

// The kernel takes the whole map in one write(2).
absl::Status WriteProcFile(pid_t pid, const char* name, const std::string& text) {
  std::string path = fmt::format("/proc/{}/{}", pid, name);
  UniqueFd fd(open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd.valid()) return LastError(fmt::format("opening {}", path));
  ssize_t written = write(fd.get(), text.data(), text.size());
  if (written < 0) return LastError(fmt::format("writing {}", path));
  if (static_cast<size_t>(written) != text.size()) {
    return absl::InternalError(fmt::format("writing {}: short write", path));
  }
  return absl::OkStatus();
}

}  // namespace

std::string FormatIdMap(const std::vector<IdMapping>& mappings) {
  std::string text;
  for (const IdMapping& mapping : mappings) {
    text += fmt::format("{} {} {}\n", mapping.container_id, mapping.host_id, mapping.size);
  }
  return text;
}

absl::Status WriteIdMappings(pid_t pid, const std::vector<IdMapping>& uid_mappings,
                             const std::vector<IdMapping>& gid_mappings) {
  if (geteuid() != 0) RETURN_IF_ERROR(WriteProcFile(pid, "setgroups", "deny"));
  RETURN_IF_ERROR_CTX(WriteProcFile(pid, "uid_map", FormatIdMap(uid_mappings)), "linux.uidMappings");
  RETURN_IF_ERROR_CTX(WriteProcFile(pid, "gid_map", FormatIdMap(gid_mappings)), "linux.gidMappings");
  return absl::OkStatus();
}

absl::StatusOr<std::vector<IdMapping>> ReadIdMappings(const std::string& path) {
  std::ifstream in(path);
  if (!in) return LastError(fmt::format("reading {}", path));
  std::vector<IdMapping> mappings;
  IdMapping mapping;
  while (in >> mapping.container_id >> mapping.host_id >> mapping.size) mappings.push_back(mapping);
  if (!in.eof()) return absl::DataLossError(fmt::format("{}: unexpected content", path));
  return mappings;
}

int64_t HostIdOf(const std::vector<IdMapping>& mappings, uint32_t container_id) {
  for (const IdMapping& mapping : mappings) {
    uint64_t first = mapping.container_id;
    if (container_id >= first && container_id < first + mapping.size) {
      return static_cast<int64_t>(mapping.host_id) + (container_id - first);
    }
  }
  return -1;
}

}  // namespace platform
