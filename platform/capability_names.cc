// platform::CapabilityFromName: capability names to numbers through libcap.
#include <sys/capability.h>

#include <cctype>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "fmt/format.h"
#include "platform/process_attrs.h"

namespace platform {
namespace {

// Lowercases `name` and adds the "cap_" prefix libcap expects. Returns an
// empty string when the name has characters no capability name has (libcap
// would otherwise accept "12" as a number or "cap_kill,cap_chown" as a list).
std::string NormalizeCapabilityName(std::string_view name) {
  std::string lower;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return "";
    lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  if (lower.empty()) return "";
  if (!lower.starts_with("cap_")) lower.insert(0, "cap_");
  return lower;
}

}  // namespace

absl::StatusOr<int> CapabilityFromName(std::string_view name) {
  const std::string normalized = NormalizeCapabilityName(name);
  cap_value_t value = 0;
  if (normalized.empty() || cap_from_name(normalized.c_str(), &value) != 0 || value < 0) {
    return absl::InvalidArgumentError(fmt::format("unknown capability \"{}\"", name));
  }
  return static_cast<int>(value);
}

}  // namespace platform
