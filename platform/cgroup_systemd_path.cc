// cgroupsPath "slice:prefix:name" for the systemd driver (runc's rules).
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "fmt/format.h"
#include "platform/cgroup_systemd.h"
#include "platform/status_macros.h"

namespace platform {
namespace {

constexpr char kSliceSuffix[] = ".slice";

absl::Status PathError(const std::string& cgroups_path,
                       const std::string& why) {
  return absl::InvalidArgumentError(fmt::format(
      "config.json: linux.cgroupsPath: \"{}\": {}", cgroups_path, why));
}

}  // namespace

bool SystemdUnitPath::is_slice() const {
  return absl::EndsWith(unit, kSliceSuffix);
}

std::string SystemdUnitPath::CgroupPath() const {
  return (slice_path == "/" ? "" : slice_path) + "/" + unit;
}

absl::StatusOr<std::string> ExpandSlice(const std::string& slice) {
  const std::string suffix = kSliceSuffix;
  if (slice.size() <= suffix.size() || !absl::EndsWith(slice, suffix) ||
      absl::StrContains(slice, '/')) {
    return absl::InvalidArgumentError(
        fmt::format("invalid slice name \"{}\"", slice));
  }
  std::string name = slice.substr(0, slice.size() - suffix.size());
  if (name == "-") return std::string("/");
  std::string path, prefix;
  for (absl::string_view component : absl::StrSplit(name, '-')) {
    // "a--b.slice" and "-a.slice" are not slice names.
    if (component.empty())
      return absl::InvalidArgumentError(
          fmt::format("invalid slice name \"{}\"", slice));
    path += "/" + prefix + std::string(component) + suffix;
    prefix += std::string(component) + "-";
  }
  return path;
}

absl::StatusOr<SystemdUnitPath> ParseSystemdCgroupsPath(
    const std::string& cgroups_path, const std::string& id) {
  std::string wanted = cgroups_path.empty() ? ":runsc:" + id : cgroups_path;
  std::vector<std::string> parts = absl::StrSplit(wanted, ':');
  if (parts.size() != 3) {
    return PathError(
        cgroups_path,
        "expected \"slice:prefix:name\" for the systemd cgroup driver");
  }
  const std::string& name = parts[2];
  if (name.empty() || absl::StrContains(name, '/'))
    return PathError(cgroups_path, "the name must be set, without '/'");
  if (absl::StrContains(parts[1], '/'))
    return PathError(cgroups_path, "the prefix may not hold '/'");
  SystemdUnitPath path;
  path.slice = parts[0].empty() ? "system.slice" : parts[0];
  absl::StatusOr<std::string> slice_path = ExpandSlice(path.slice);
  if (!slice_path.ok())
    return PathError(cgroups_path, std::string(slice_path.status().message()));
  path.slice_path = *slice_path;
  if (absl::EndsWith(name, kSliceSuffix)) {
    // A slice unit of its own: it must be a valid slice name.
    if (!ExpandSlice(name).ok())
      return PathError(cgroups_path,
                       fmt::format("invalid slice name \"{}\"", name));
    path.unit = name;
  } else {
    path.unit =
        parts[1].empty() ? name + ".scope" : parts[1] + "-" + name + ".scope";
  }
  return path;
}

}  // namespace platform
