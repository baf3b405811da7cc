// OCI lifecycle hooks: parsed from config.json's "hooks", run with the
// container's state JSON on stdin.
#ifndef RUNSC_RUNSC_HOOKS_H_
#define RUNSC_RUNSC_HOOKS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace runsc {

// One hook: a program, its argv (args[0] included, as execv wants) and env.
struct Hook {
  std::string path;
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::optional<int> timeout_seconds;
};

// Every hook list of the spec, in the order the OCI spec runs them.
struct Hooks {
  std::vector<Hook> prestart;          // deprecated twin of createRuntime; runtime namespace
  std::vector<Hook> create_runtime;    // after the namespaces exist, before pivot_root; runtime namespace
  std::vector<Hook> create_container;  // same moment, in the container's namespaces
  std::vector<Hook> start_container;   // at start, in the container, before the workload execs
  std::vector<Hook> poststart;         // after start; runtime namespace; failure: warning
  std::vector<Hook> poststop;          // after delete; runtime namespace; failure: warning
  bool empty() const;
};

// Parses config.json's "hooks" (null or absent: no hooks). Errors name the
// field: `config.json: hooks.prestart[0].path: must be an absolute path`.
absl::StatusOr<Hooks> ParseHooks(const nlohmann::json& hooks);

// Runs `hooks` in order, each with `state` (the OCI state JSON) on stdin
// and its own timeout; stops at the first failure, which names the hook:
// `createRuntime hook /bin/x: exited with status 1: <its stderr>`.
absl::Status RunHooks(const std::string& kind, const std::vector<Hook>& hooks, const nlohmann::json& state);

// poststart and poststop: as the OCI spec says, a failing hook is a warning
// and the remaining hooks still run. Runs every hook of `hooks` in order and
// logs one warning per failure, naming `container_id` and the hook.
void RunHooksWarningOnFailure(const std::string& kind, const std::vector<Hook>& hooks, const nlohmann::json& state,
                              const std::string& container_id);

}  // namespace runsc

#endif  // RUNSC_RUNSC_HOOKS_H_
