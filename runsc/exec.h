// `runsc exec`: a new process in a running container.
#ifndef RUNSC_RUNSC_EXEC_H_
#define RUNSC_RUNSC_EXEC_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "runsc/commands.h"

namespace runsc {

// runc's exec flags.
struct ExecOptions {
  std::string id;
  std::string process_file;       // --process: an OCI process JSON replacing the defaults
  std::vector<std::string> args;  // the command, when no --process
  std::string cwd;
  std::vector<std::string> env;   // appended to the container's env
  std::string user;               // "uid[:gid]"
  std::vector<uint32_t> additional_gids;
  std::vector<std::string> caps;  // added to every capability set
  bool tty = false;
  std::string console_socket;
  bool detach = false;
  std::string pid_file;
  bool no_new_privs = false;
  int preserve_fds = 0;
};

// The process JSON an exec runs: --process's file, or the container's
// config.json process with the flags applied, as runc builds it.
absl::StatusOr<nlohmann::json> BuildExecProcess(const nlohmann::json& config_process, const ExecOptions& options);

// Runs the exec; returns the process's exit status (or 0 with --detach).
absl::StatusOr<int> ExecCommand(const GlobalOptions& global, const ExecOptions& options);

}  // namespace runsc

#endif  // RUNSC_RUNSC_EXEC_H_
