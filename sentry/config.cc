#include "sentry/config.h"

#include "fmt/format.h"

namespace sentry {

absl::Status SandboxConfig::Validate() const {
  if (platform != "seccomp-notify" && platform != "ptrace") {
    return absl::InvalidArgumentError(
        fmt::format("--platform \"{}\": unknown platform (known: seccomp-notify, ptrace)", platform));
  }
  if (platform == "ptrace") return absl::UnimplementedError("--platform ptrace: not implemented yet");
  if (!audit_log.empty() && audit_log[0] != '/') {
    return absl::InvalidArgumentError(fmt::format("--audit-log \"{}\": must be an absolute path", audit_log));
  }
  return absl::OkStatus();
}

nlohmann::json SandboxConfig::ToJson() const {
  return {{"platform", platform}, {"strace", strace}, {"audit_log", audit_log}, {"kernel_release", kernel_release}};
}

absl::StatusOr<SandboxConfig> SandboxConfig::FromJson(const nlohmann::json& json) {
  try {
    SandboxConfig config;
    config.platform = json.at("platform");
    config.strace = json.at("strace");
    config.audit_log = json.at("audit_log");
    config.kernel_release = json.at("kernel_release");
    return config;
  } catch (const nlohmann::json::exception& error) {
    return absl::DataLossError(fmt::format("sandbox config: {}", error.what()));
  }
}

nlohmann::json ContainerView::ToJson() const {
  return {{"id", id}, {"init_pid", init_pid}, {"cgroup", cgroup}, {"own_uts", own_uts},
          {"control_path", control_path}};
}

absl::StatusOr<ContainerView> ContainerView::FromJson(const nlohmann::json& json) {
  try {
    ContainerView view;
    view.id = json.at("id");
    view.init_pid = json.at("init_pid");
    view.cgroup = json.at("cgroup");
    view.own_uts = json.at("own_uts");
    view.control_path = json.at("control_path");
    return view;
  } catch (const nlohmann::json::exception& error) {
    return absl::DataLossError(fmt::format("container view: {}", error.what()));
  }
}

}  // namespace sentry
