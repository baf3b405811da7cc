#include "sentry/config.h"

#include <string.h>

#include <fstream>

#include "fmt/format.h"
#include "platform/platform.h"
#include "platform/status_macros.h"

namespace sentry {

absl::Status SandboxConfig::Validate() const {
  RETURN_IF_ERROR(platform::CheckPlatform(platform));
  if (overlay != "none" && overlay != "memory") {
    return absl::InvalidArgumentError(fmt::format("--overlay \"{}\": unknown (known: none, memory)", overlay));
  }
  if (!audit_log.empty() && audit_log[0] != '/') {
    return absl::InvalidArgumentError(fmt::format("--audit-log \"{}\": must be an absolute path", audit_log));
  }
  if (!policy_learn.empty() && !policy.empty()) {
    return absl::InvalidArgumentError(
        "--policy-learn with --policy: learn mode starts from the default table; give one of them");
  }
  return BuildPolicy().status();
}

namespace {

// "EACCES" -> 13; 0 when unknown.
int ErrnoByName(const std::string& name) {
  for (int err = 1; err < 134; ++err) {
    const char* known = strerrorname_np(err);
    if (known != nullptr && name == known) return err;
  }
  return 0;
}

absl::Status ApplyOverride(Policy& policy, const std::string& name, const std::string& value) {
  std::string disposition_name = value.substr(0, value.find(':'));
  std::optional<Disposition> disposition = ParseDisposition(disposition_name);
  if (!disposition) {
    return absl::InvalidArgumentError(fmt::format("policy: syscall \"{}\": unknown disposition \"{}\"", name, value));
  }
  int err = 0;
  if (value.find(':') != std::string::npos) {
    err = ErrnoByName(value.substr(value.find(':') + 1));
    if (err == 0 || *disposition != Disposition::kDeny) {
      return absl::InvalidArgumentError(fmt::format("policy: syscall \"{}\": bad errno in \"{}\"", name, value));
    }
  }
  return policy.Override(name, *disposition, err);
}

}  // namespace

absl::StatusOr<Policy> SandboxConfig::BuildPolicy() const {
  Policy built;
  built.set_learn(!policy_learn.empty());
  if (policy.empty()) return built;
  if (!policy.is_object() || !policy.contains("syscalls") || !policy["syscalls"].is_object()) {
    return absl::InvalidArgumentError("policy: expected {\"syscalls\": {\"<name>\": \"<disposition>\"}}");
  }
  for (const auto& [name, value] : policy["syscalls"].items()) {
    if (!value.is_string()) {
      return absl::InvalidArgumentError(fmt::format("policy: syscall \"{}\": the disposition must be a string", name));
    }
    RETURN_IF_ERROR(ApplyOverride(built, name, value.get<std::string>()));
  }
  return built;
}

absl::Status SandboxConfig::LoadPolicyFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(fmt::format("--policy {}: cannot read it", path));
  policy = nlohmann::json::parse(in, nullptr, false);
  if (policy.is_discarded()) return absl::InvalidArgumentError(fmt::format("--policy {}: not valid JSON", path));
  return absl::OkStatus();
}

nlohmann::json SandboxConfig::ToJson() const {
  return {{"platform", platform}, {"strace", strace}, {"audit_log", audit_log}, {"kernel_release", kernel_release},
          {"policy", policy}, {"overlay", overlay}, {"allow_suid", allow_suid},
          {"overlay_lower", overlay_lower}, {"virtual_proc", virtual_proc}, {"policy_learn", policy_learn},
          {"directfs", directfs}};
}

absl::StatusOr<SandboxConfig> SandboxConfig::FromJson(const nlohmann::json& json) {
  try {
    SandboxConfig config;
    config.platform = json.at("platform");
    config.strace = json.at("strace");
    config.audit_log = json.at("audit_log");
    config.kernel_release = json.at("kernel_release");
    config.policy = json.value("policy", nlohmann::json::object());
    config.overlay = json.value("overlay", "none");
    config.allow_suid = json.value("allow_suid", false);
    config.overlay_lower = json.value("overlay_lower", "");
    config.virtual_proc = json.value("virtual_proc", true);
    config.policy_learn = json.value("policy_learn", "");
    config.directfs = json.value("directfs", true);
    return config;
  } catch (const nlohmann::json::exception& error) {
    return absl::DataLossError(fmt::format("sandbox config: {}", error.what()));
  }
}

nlohmann::json ContainerView::ToJson() const {
  return {{"id", id}, {"init_pid", init_pid}, {"cgroup", cgroup}, {"own_uts", own_uts},
          {"control_path", control_path}, {"host_storage_under_dev", host_storage_under_dev},
          {"writable_mounts", writable_mounts}};
}

absl::StatusOr<ContainerView> ContainerView::FromJson(const nlohmann::json& json) {
  try {
    ContainerView view;
    view.id = json.at("id");
    view.init_pid = json.at("init_pid");
    view.cgroup = json.at("cgroup");
    view.own_uts = json.at("own_uts");
    view.control_path = json.at("control_path");
    view.host_storage_under_dev = json.value("host_storage_under_dev", std::vector<std::string>{});
    view.writable_mounts = json.value("writable_mounts", std::vector<std::string>{});
    return view;
  } catch (const nlohmann::json::exception& error) {
    return absl::DataLossError(fmt::format("container view: {}", error.what()));
  }
}

}  // namespace sentry
