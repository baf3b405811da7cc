#include "runsc/device_rules.h"

#include "fmt/format.h"

namespace runsc {
namespace {

std::string Number(const std::optional<int64_t>& value) {
  return value && *value >= 0 ? std::to_string(*value) : "*";
}

std::string RuleText(char type, const std::optional<int64_t>& major, const std::optional<int64_t>& minor,
                     const std::string& access) {
  if (type == 'a') return "a";
  return fmt::format("{} {}:{} {}", type, Number(major), Number(minor), access);
}

}  // namespace

std::vector<std::pair<bool, std::string>> DeviceCgroupRules(const Spec& spec) {
  std::vector<std::pair<bool, std::string>> rules;
  for (const DeviceRule& rule : spec.linux.device_rules) {
    rules.emplace_back(rule.allow, RuleText(rule.type, rule.major, rule.minor, rule.access));
  }
  static const char* const kAlwaysAllowed[] = {
      "c *:* m", "b *:* m",  // mknod of any node; using it needs a rule below
      "c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm", "c 1:8 rwm", "c 1:9 rwm",  // null zero full random urandom
      "c 5:0 rwm", "c 5:1 rwm", "c 5:2 rwm",                            // tty console ptmx
      "c 136:* rwm",                                                    // pts/*
      "c 10:200 rwm",                                                   // net/tun
  };
  for (const char* rule : kAlwaysAllowed) rules.emplace_back(true, rule);
  for (const Device& device : spec.linux.devices) {
    if (device.type == 'p') continue;
    char type = device.type == 'u' ? 'c' : device.type;
    rules.emplace_back(true, RuleText(type, device.major, device.minor, "rwm"));
  }
  return rules;
}

}  // namespace runsc
