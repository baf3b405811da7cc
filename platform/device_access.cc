#include "platform/device_access.h"

namespace platform {
namespace {

bool Names(const DeviceCgroupRule& rule, char type, int64_t major, int64_t minor, char access) {
  if (rule.type == 'a') return true;
  if (rule.type != type || rule.access.find(access) == std::string::npos) return false;
  return (!rule.major || *rule.major == major) && (!rule.minor || *rule.minor == minor);
}

bool OneAccessAllowed(const std::vector<DeviceCgroupRule>& rules, char type, int64_t major, int64_t minor,
                      char access) {
  for (auto rule = rules.rbegin(); rule != rules.rend(); ++rule) {
    if (Names(*rule, type, major, minor, access)) return rule->allow;
  }
  return false;  // default deny
}

}  // namespace

bool DeviceAccessAllowed(const std::vector<DeviceCgroupRule>& rules, char type, int64_t major, int64_t minor,
                         std::string_view access) {
  if (access.empty()) return false;
  for (char one : access) {
    if (!OneAccessAllowed(rules, type, major, minor, one)) return false;
  }
  return true;
}

}  // namespace platform
