// The runsc commands, one function each, behind the CLI table in cli.cc.
// Each returns the process exit status or an error the CLI prints.
#ifndef RUNSC_RUNSC_COMMANDS_H_
#define RUNSC_RUNSC_COMMANDS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "platform/logging.h"
#include "sentry/config.h"
#include "runsc/container.h"

namespace runsc {

// Flags every command sees (runc's global flags).
struct GlobalOptions {
  std::string root = "/run/runsc";
  platform::LogOptions log;
  bool systemd_cgroup = false;
  sentry::SandboxConfig sandbox;  // --platform, --strace, --audit-log, --kernel-release
};

// `runsc run`: create + start, then (unless detached) wait, forwarding
// signals, delete, and return the workload's exit status.
struct RunOptions {
  CreateOptions create;
  bool detach = false;
  bool keep = false;
};

// runsc do [--network none|host] -- CMD ARGS...
struct DoOptions {
  std::vector<std::string> command;
  std::string network = "none";
};
absl::StatusOr<int> DoCommand(GlobalOptions global, const DoOptions& options);

absl::StatusOr<int> CreateCommand(const GlobalOptions& global, const CreateOptions& options);
absl::StatusOr<int> StartCommand(const GlobalOptions& global, const std::string& id);
absl::StatusOr<int> RunCommand(const GlobalOptions& global, const RunOptions& options);
absl::StatusOr<int> KillCommand(const GlobalOptions& global, const std::string& id, const std::string& signal,
                                bool all);
absl::StatusOr<int> DeleteCommand(const GlobalOptions& global, const std::string& id, bool force);

absl::StatusOr<int> StateCommand(const GlobalOptions& global, const std::string& id);
absl::StatusOr<int> ListCommand(const GlobalOptions& global, const std::string& format, bool quiet);
absl::StatusOr<int> PsCommand(const GlobalOptions& global, const std::string& id, const std::string& format,
                              const std::vector<std::string>& ps_args);

// `runsc update`: each flag is a string so that "given" is known; values
// are parsed (and errors name the flag) by UpdateCommand.
struct UpdateOptions {
  std::string id;
  std::string resources;  // --resources FILE, "-" for stdin; overrides the flags
  std::optional<std::string> memory, memory_reservation, memory_swap, kernel_memory, kernel_memory_tcp;
  std::optional<std::string> cpu_shares, cpu_period, cpu_quota, cpu_rt_period, cpu_rt_runtime;
  std::optional<std::string> cpuset_cpus, cpuset_mems, pids_limit, blkio_weight;
};

// Changes a live container's cgroup limits (runc update).
absl::StatusOr<int> UpdateCommand(const GlobalOptions& global, const UpdateOptions& options);
// Freezes every process of the container (runc pause).
absl::StatusOr<int> PauseCommand(const GlobalOptions& global, const std::string& id);
// Thaws a paused container (runc resume).
absl::StatusOr<int> ResumeCommand(const GlobalOptions& global, const std::string& id);
// Prints stats once (`stats`) or streams stats every `interval` and OOM
// events until the container stops (runc events).
absl::StatusOr<int> EventsCommand(const GlobalOptions& global, const std::string& id, bool stats,
                                  const std::string& interval);

absl::StatusOr<int> SpecCommand(const std::string& bundle, bool rootless);
absl::StatusOr<int> FeaturesCommand();
// Prints the syscall table (`format`: table, csv, json or markdown) under
// `sandbox`'s --policy (read from `policy_file`, named in the output); with
// `diff`, only what that policy changes against the default (table or json).
absl::StatusOr<int> SyscallsCommand(const std::string& format, const sentry::SandboxConfig& sandbox, bool diff,
                                    const std::string& policy_file);

// --policy-learn FILE for create and run of container `id`: makes FILE
// absolute (from the current directory) and checks, before anything exists,
// that the learned policy can be written there (sentry/policy_learn.h).
absl::Status PreparePolicyLearn(sentry::SandboxConfig& sandbox, const std::string& id);

// `runsc install` / `runsc uninstall`: Docker's daemon.json (see install.h).
struct InstallOptions {
  std::string config = "/etc/docker/daemon.json";  // --config, for tests
  std::string runtime = "runsc";                   // --runtime NAME
  std::vector<std::string> runtime_args;           // after `--`: the runtime's global flags
};
// Registers this binary as Docker runtime `options.runtime`.
absl::StatusOr<int> InstallCommand(const InstallOptions& options);
// Removes Docker runtime `options.runtime`.
absl::StatusOr<int> UninstallCommand(const InstallOptions& options);

}  // namespace runsc

#endif  // RUNSC_RUNSC_COMMANDS_H_
