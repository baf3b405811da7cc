// `runsc install` / `runsc uninstall`: registering runsc as a Docker runtime in daemon.json.
#ifndef RUNSC_RUNSC_INSTALL_H_
#define RUNSC_RUNSC_INSTALL_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace runsc {

// Docker's daemon configuration, which `runsc install` edits unless --config says otherwise.
inline constexpr char kDockerDaemonConfig[] = "/etc/docker/daemon.json";

// What an install or uninstall did to the configuration file.
struct InstallOutcome {
  bool changed = false;     // the file was rewritten
  std::string backup_path;  // the backup made of the previous file ("" if none was made)
};

// Sets `"runtimes": {name: {"path": binary, "runtimeArgs": runtime_args}}` in the JSON
// file `config_path`, keeping every other key. A missing or empty file counts as `{}`.
// The first time runsc changes an existing file, its previous content is kept beside it
// as `<file>.bak-<UTC timestamp>` (only once: later changes keep that original). The
// file is replaced atomically (written beside it, then renamed) and keeps its mode.
absl::StatusOr<InstallOutcome> InstallRuntime(const std::string& config_path, const std::string& name,
                                              const std::string& binary,
                                              const std::vector<std::string>& runtime_args);

// Removes runtime `name` (and "runtimes" if it ends up empty) from `config_path`, with the
// same backup and atomic write as InstallRuntime. A runtime that is not there is no error.
absl::StatusOr<InstallOutcome> UninstallRuntime(const std::string& config_path, const std::string& name);

}  // namespace runsc

#endif  // RUNSC_RUNSC_INSTALL_H_
