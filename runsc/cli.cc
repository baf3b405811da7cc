#include "runsc/cli.h"

#include <seccomp.h>

#include <filesystem>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>

#include "CLI/CLI.hpp"
#include "fmt/format.h"
#include "platform/logging.h"
#include "platform/status_macros.h"
#include "runsc/commands.h"
#include "runsc/container_init.h"
#include "runsc/exec.h"
#include "runsc/watchdog.h"
#include "gofer/gofer.h"
#include "sentry/sentry.h"
#include "spdlog/sinks/null_sink.h"
#include "spdlog/spdlog.h"

namespace runsc {
namespace {

#ifndef RUNSC_VERSION
#define RUNSC_VERSION "unknown"
#endif
#ifndef RUNSC_COMMIT
#define RUNSC_COMMIT "unknown"
#endif

constexpr char kSpecVersion[] = "1.0.2-dev";

// What `runsc --version` prints, in runc's shape: the version, the commit
// (git at configure time), the OCI spec and the libseccomp in use.
std::string VersionText() {
  const scmp_version* seccomp = seccomp_version();
  return fmt::format("runsc version {}\ncommit: {}\nspec: {}\nlibseccomp: {}.{}.{}", RUNSC_VERSION, RUNSC_COMMIT,
                     kSpecVersion, seccomp->major, seccomp->minor, seccomp->micro);
}

// The command chosen on the command line, run after parsing succeeds.
using Action = std::function<absl::StatusOr<int>()>;

void AddCreateFlags(CLI::App* command, CreateOptions& options) {
  command->add_option("--bundle,-b", options.bundle, "path to the root of the bundle directory");
  command->add_option("--console-socket", options.console_socket, "unix socket to receive the pty master");
  command->add_option("--pid-file", options.pid_file, "file to write the container init's pid to");
  command->add_flag("--no-pivot", options.no_pivot, "do not use pivot_root (for ramdisk roots)");
  command->add_flag("--no-new-keyring", options.no_new_keyring, "do not create a new session keyring");
  command->add_option("--preserve-fds", options.preserve_fds, "pass N extra fds (3..3+N-1) to the container");
  command->add_option("container-id", options.id, "the container's id")->required();
}

struct Parsed {
  GlobalOptions global;
  CreateOptions create;
  RunOptions run;
  DoOptions run_do;
  ExecOptions exec;
  UpdateOptions update;
  InstallOptions install;
  std::string interval = "5s";
  bool stats = false;
  InitFds init;
  sentry::SentryOptions boot;
  WatchdogOptions watchdog;
  gofer::GoferOptions gofer;
  std::vector<std::string> gofer_devices, gofer_mounts;
  std::string id, signal = "SIGTERM", format = "table", bundle;
  std::vector<std::string> extra;
  std::string policy_file;
  bool diff = false;
  bool all = false, force = false, quiet = false, rootless = false, internal = false;
};

// `runsc gofer`: its flags as gofer::GoferOptions (device rules as
// "allow c 1:3 rwm" / "deny a").
absl::StatusOr<int> RunGoferCommand(Parsed& p) {
  for (const std::string& text : p.gofer_devices) {
    size_t space = text.find(' ');
    std::string verdict = text.substr(0, space);
    if (space == std::string::npos || (verdict != "allow" && verdict != "deny")) {
      return absl::InvalidArgumentError(fmt::format("gofer --device-rule \"{}\": expected allow|deny RULE", text));
    }
    ASSIGN_OR_RETURN(platform::DeviceCgroupRule rule,
                     platform::ParseDeviceCgroupRule(verdict == "allow", std::string_view(text).substr(space + 1)));
    p.gofer.devices.push_back(rule);
  }
  for (const std::string& mount : p.gofer_mounts) p.gofer.writable_mounts.push_back({mount, false});
  return gofer::RunGofer(p.gofer);
}

void AddLifecycleCommands(CLI::App& app, Parsed& p, Action& action) {
  auto* create = app.add_subcommand("create", "create a container");
  AddCreateFlags(create, p.create);
  create->callback([&] { action = [&] { return CreateCommand(p.global, p.create); }; });

  auto* run = app.add_subcommand("run", "create and start a container, and wait for it");
  AddCreateFlags(run, p.run.create);
  run->add_flag("--detach,-d", p.run.detach, "detach from the container's process");
  run->add_flag("--keep", p.run.keep, "do not delete the container after it exits");
  run->callback([&] { action = [&] { return RunCommand(p.global, p.run); }; });

  auto* start = app.add_subcommand("start", "start a created container");
  start->add_option("container-id", p.id)->required();
  start->callback([&] { action = [&] { return StartCommand(p.global, p.id); }; });

  auto* kill = app.add_subcommand("kill", "send a signal to the container's init (default SIGTERM)");
  kill->add_flag("--all,-a", p.all, "signal every process of the container");
  kill->add_option("container-id", p.id)->required();
  kill->add_option("signal", p.signal, "signal name or number");
  kill->callback([&] { action = [&] { return KillCommand(p.global, p.id, p.signal, p.all); }; });

  auto* remove = app.add_subcommand("delete", "delete a container");
  remove->add_flag("--force,-f", p.force, "kill the container first if it is running");
  remove->add_option("container-id", p.id)->required();
  remove->callback([&] { action = [&] { return DeleteCommand(p.global, p.id, p.force); }; });
}

void AddExecCommand(CLI::App& app, Parsed& p, Action& action) {
  auto* run_do = app.add_subcommand("do", "run a command in a sandbox on the host's / (in-memory overlay), no bundle");
  run_do->add_option("--network", p.run_do.network, "none (default: only lo) or host");
  run_do->add_option("command", p.run_do.command, "the command and its arguments (after --)")->required();
  run_do->callback([&] { action = [&] { return DoCommand(p.global, p.run_do); }; });

  auto* exec = app.add_subcommand("exec", "run a new process in a running container");
  ExecOptions& o = p.exec;
  exec->add_option("--process,-p", o.process_file, "OCI process JSON replacing the container's defaults");
  exec->add_option("--cwd", o.cwd, "working directory in the container");
  exec->add_option("--env,-e", o.env, "KEY=VALUE added to the environment")->take_all();
  exec->add_option("--user,-u", o.user, "uid[:gid]");
  exec->add_option("--additional-gids,-g", o.additional_gids, "supplementary group ids");
  exec->add_option("--cap,-c", o.caps, "capability added to every set");
  exec->add_flag("--tty,-t", o.tty, "allocate a pseudo-TTY");
  exec->add_option("--console-socket", o.console_socket, "unix socket to receive the pty master");
  exec->add_flag("--detach,-d", o.detach, "do not wait for the process");
  exec->add_option("--pid-file", o.pid_file, "file to write the process's pid to");
  exec->add_flag("--no-new-privs", o.no_new_privs, "set no_new_privs");
  exec->add_option("--preserve-fds", o.preserve_fds, "pass N extra fds (3..3+N-1)");
  exec->add_option("container-id", o.id)->required();
  exec->add_option("command", o.args, "the command and its arguments");
  exec->positionals_at_end();
  exec->callback([&] { action = [&] { return ExecCommand(p.global, p.exec); }; });
}

// An update flag kept as a string: runc's value syntax is parsed later.
void AddUpdateFlag(CLI::App* command, const std::string& names, std::optional<std::string>& value,
                   const std::string& help) {
  command->add_option_function<std::string>(names, [&value](const std::string& text) { value = text; }, help);
}

void AddCgroupCommands(CLI::App& app, Parsed& p, Action& action) {
  auto* update = app.add_subcommand("update", "update a container's resource limits");
  UpdateOptions& u = p.update;
  update->add_option("--resources,-r", u.resources, "linux.resources JSON file (\"-\": stdin); overrides flags");
  AddUpdateFlag(update, "--memory", u.memory, "memory limit (e.g. 100m, -1: unlimited)");
  AddUpdateFlag(update, "--memory-reservation", u.memory_reservation, "memory soft limit");
  AddUpdateFlag(update, "--memory-swap", u.memory_swap, "memory+swap limit");
  AddUpdateFlag(update, "--kernel-memory", u.kernel_memory, "kernel memory limit (v1)");
  AddUpdateFlag(update, "--kernel-memory-tcp", u.kernel_memory_tcp, "kernel TCP memory limit (v1)");
  AddUpdateFlag(update, "--cpu-share,--cpu-shares", u.cpu_shares, "cpu shares (relative weight)");
  AddUpdateFlag(update, "--cpu-period", u.cpu_period, "CFS period in microseconds");
  AddUpdateFlag(update, "--cpu-quota", u.cpu_quota, "CFS quota in microseconds (-1: unlimited)");
  AddUpdateFlag(update, "--cpu-rt-period", u.cpu_rt_period, "realtime period in microseconds");
  AddUpdateFlag(update, "--cpu-rt-runtime", u.cpu_rt_runtime, "realtime runtime in microseconds");
  AddUpdateFlag(update, "--cpuset-cpus", u.cpuset_cpus, "CPUs to use (0-3, 0,1)");
  AddUpdateFlag(update, "--cpuset-mems", u.cpuset_mems, "memory nodes to use");
  AddUpdateFlag(update, "--pids-limit", u.pids_limit, "maximum number of pids (-1: unlimited)");
  AddUpdateFlag(update, "--blkio-weight", u.blkio_weight, "block IO weight (10..1000)");
  update->add_option("container-id", u.id)->required();
  update->callback([&] { action = [&] { return UpdateCommand(p.global, p.update); }; });

  auto* pause = app.add_subcommand("pause", "freeze every process of a container");
  pause->add_option("container-id", p.id)->required();
  pause->callback([&] { action = [&] { return PauseCommand(p.global, p.id); }; });

  auto* resume = app.add_subcommand("resume", "thaw a paused container");
  resume->add_option("container-id", p.id)->required();
  resume->callback([&] { action = [&] { return ResumeCommand(p.global, p.id); }; });

  auto* events = app.add_subcommand("events", "print stats and OOM events of a container");
  events->add_flag("--stats", p.stats, "print the stats once and exit");
  events->add_option("--interval", p.interval, "stats interval (default 5s)");
  events->add_option("container-id", p.id)->required();
  events->callback([&] { action = [&] { return EventsCommand(p.global, p.id, p.stats, p.interval); }; });
}

void AddQueryCommands(CLI::App& app, Parsed& p, Action& action) {
  auto* state = app.add_subcommand("state", "print a container's state as JSON");
  state->add_option("container-id", p.id)->required();
  state->callback([&] { action = [&] { return StateCommand(p.global, p.id); }; });

  auto* list = app.add_subcommand("list", "list containers");
  list->add_option("--format,-f", p.format, "table or json");
  list->add_flag("--quiet,-q", p.quiet, "print only ids");
  list->callback([&] { action = [&] { return ListCommand(p.global, p.format, p.quiet); }; });

  auto* ps = app.add_subcommand("ps", "list a container's processes");
  ps->add_option("--format,-f", p.format, "table or json");
  ps->add_option("container-id", p.id)->required();
  ps->add_option("ps-args", p.extra, "arguments for ps(1) (default -ef)");
  ps->callback([&] { action = [&] { return PsCommand(p.global, p.id, p.format, p.extra); }; });

  auto* spec = app.add_subcommand("spec", "write a default config.json");
  spec->add_option("--bundle,-b", p.bundle, "directory to write config.json in");
  spec->add_flag("--rootless", p.rootless, "a spec for a rootless container");
  spec->callback([&] { action = [&] { return SpecCommand(p.bundle, p.rootless); }; });

  auto* features = app.add_subcommand("features", "print the OCI features document");
  features->callback([&] { action = [&] { return FeaturesCommand(); }; });

  auto* syscalls = app.add_subcommand("syscalls", "print the syscall table (the compatibility list)");
  syscalls->add_option("--format,-f", p.format, "table, csv, json or markdown");
  syscalls->add_option("--policy", p.policy_file, "show the table under this policy file");
  syscalls->add_flag("--diff", p.diff, "show only what --policy removes, adds and changes (table or json)");
  syscalls->callback([&] {
    action = [&] { return SyscallsCommand(p.format, p.global.sandbox, p.diff, p.policy_file); };
  });
}

void AddInstallCommands(CLI::App& app, Parsed& p, Action& action) {
  auto* install = app.add_subcommand("install", "register runsc as a Docker runtime in daemon.json");
  install->add_option("--runtime", p.install.runtime, "the runtime's name (default runsc)");
  install->add_option("--config", p.install.config, "daemon.json to edit (default /etc/docker/daemon.json)");
  install->add_option("runtime-flags", p.install.runtime_args, "after --: global flags Docker passes to runsc");
  install->callback([&] { action = [&] { return InstallCommand(p.install); }; });

  auto* uninstall = app.add_subcommand("uninstall", "remove a runsc runtime from Docker's daemon.json");
  uninstall->add_option("--runtime", p.install.runtime, "the runtime's name (default runsc)");
  uninstall->add_option("--config", p.install.config, "daemon.json to edit (default /etc/docker/daemon.json)");
  uninstall->callback([&] { action = [&] { return UninstallCommand(p.install); }; });
}

// Internal commands: runsc re-executes itself as these (DESIGN.md).
void AddInternalCommands(CLI::App& app, Parsed& p, Action& action) {
  auto* init = app.add_subcommand("init", "")->group("");
  init->add_option("--sync-fd", p.init.sync)->required();
  init->add_option("--fifo-fd", p.init.fifo);
  init->add_option("--target-pidfd", p.init.target_pidfd);
  init->add_option("--console-fd", p.init.console);
  init->add_option("--sentry-fd", p.init.sentry)->required();
  init->add_option("--preserve-fds", p.init.preserve_fds);
  init->callback([&] {
    p.internal = true;
    action = [&]() -> absl::StatusOr<int> { return RunContainerInit(p.init); };
  });

  auto* boot = app.add_subcommand("boot", "")->group("");
  boot->add_option("--id", p.boot.container_id)->required();
  boot->add_option("--init-pidfd", p.boot.init_pidfd)->required();
  boot->add_option("--ready-fd", p.boot.ready_fd)->required();
  boot->add_option("--init-channel-fd", p.boot.init_channel_fd)->required();
  boot->add_option("--gofer-fd", p.boot.gofer_fd, "the gofer's SEQPACKET socket (default: no gofer)");
  boot->add_option("--watchdog-fd", p.boot.watchdog_fd, "read end of the watchdog's lifeline pipe");
  boot->add_option("--cgroup-kill-fd", p.boot.cgroup_kill_fd, "the container's cgroup.kill, to fail closed");
  boot->callback([&] { action = [&]() -> absl::StatusOr<int> { return sentry::RunSentry(p.boot); }; });

  auto* gofer = app.add_subcommand("gofer", "")->group("");
  gofer->add_option("--id", p.gofer.container_id)->required();
  gofer->add_option("--init-pidfd", p.gofer.init_pidfd)->required();
  gofer->add_option("--sentry-socket-fd", p.gofer.sentry_socket)->required();
  gofer->add_option("--ready-fd", p.gofer.ready_fd)->required();
  gofer->add_option("--cgroup-kill-fd", p.gofer.cgroup_kill_fd, "the container's cgroup.kill, to fail closed");
  gofer->add_flag("--donate-root", p.gofer.donate_root, "directfs: give the sentry an O_PATH fd of the gofer's root");
  gofer->add_option("--device-rule", p.gofer_devices, "allow|deny RULE: the container's device rules, in order");
  gofer->add_option("--writable-mount", p.gofer_mounts, "a mount the init made read-only for the workload: writable in the gofer's copy");
  gofer->add_option("--virtual-proc-cgroup", p.gofer.virtual_proc_cgroup,
                    "serve the virtual /proc files sized to this cgroup (JSON)");
  gofer->callback([&] { action = [&] { return RunGoferCommand(p); }; });

  auto* watchdog = app.add_subcommand("watchdog", "")->group("");
  watchdog->add_option("--id", p.watchdog.id)->required();
  watchdog->add_option("--init-pidfd", p.watchdog.init_pidfd)->required();
  watchdog->add_option("--sentry-pidfd", p.watchdog.sentry_pidfd)->required();
  watchdog->add_option("--cgroup", p.watchdog.cgroup)->required();
  watchdog->add_option("--lifeline-fd", p.watchdog.lifeline_fd, "write end of the pipe the sentry watches");
  watchdog->add_option("--cgroup-kill-fd", p.watchdog.cgroup_kill_fd, "the container's cgroup.kill");
  watchdog->callback([&] { action = [&]() -> absl::StatusOr<int> { return RunWatchdog(p.watchdog); }; });
}

void AddGlobalFlags(CLI::App& app, Parsed& p) {
  app.add_option("--root", p.global.root, "state directory (default /run/runsc)");
  app.add_option("--log", p.global.log.path, "log file (default stderr)");
  app.add_option("--log-format", p.global.log.format, "text or json");
  app.add_flag("--debug", p.global.log.debug, "log debug messages");
  app.add_option("--debug-log", p.global.log.debug_log,
                 "also append a debug-level text log to FILE, whatever --log says, from every runsc process of the "
                 "container (%ID%: the container id, %COMMAND%: create, boot, gofer, watchdog, exec, ...)");
  app.add_flag("--systemd-cgroup", p.global.systemd_cgroup, "use systemd to manage cgroups");
  app.add_option("--platform", p.global.sandbox.platform, "how trapped calls reach the sentry: seccomp-notify (default), ptrace");
  app.add_flag("--strace", p.global.sandbox.strace, "log every trapped call (name, args, result, time) at debug level");
  app.add_option("--audit-log", p.global.sandbox.audit_log, "write every emulated/brokered/denied call as JSON lines to FILE");
  app.add_option("--kernel-release", p.global.sandbox.kernel_release, "the kernel release uname shows in the container");
  app.add_option("--overlay", p.global.sandbox.overlay, "none: rootfs writes reach the host rootfs through the gofer; memory: they stay in memory");
  app.add_option("--directfs", p.global.sandbox.directfs,
                 "true: the sentry performs brokered file calls itself on the gofer's donated root (one hop); "
                 "false: every brokered call goes to the gofer (strict). Default true");
  app.add_option("--allow-suid", p.global.sandbox.allow_suid, "honour set-user-id bits on host-backed mounts (default false: nosuid)");
  app.add_option("--virtual-proc", p.global.sandbox.virtual_proc,
                 "size /proc/meminfo, cpuinfo, stat, uptime, loadavg and the online CPUs to the container's cgroup "
                 "(default true; annotation dev.runsc.virtual-proc overrides it per container)");
  app.add_option("--policy", p.policy_file, "JSON moving syscalls between dispositions: {\"syscalls\": {\"name\": \"deny:EPERM\"}}");
  app.add_option("--policy-learn", p.global.sandbox.policy_learn,
                 "learn mode: record the syscalls the container uses and write the least --policy for it to FILE "
                 "(%ID%: the container id; a directory: <id>.json in it)");
  // As runc's: a global flag given twice takes its last value (Docker's runtimeArgs come before
  // the shim's own --log/--root).
  for (CLI::Option* option : app.get_options()) option->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app.set_version_flag("--version,-v", VersionText());
}

// Who this process is, for --debug-log's %ID% and %COMMAND%: the chosen
// command and its container id (runc's positional or the internal --id).
platform::LogContext CommandContext(const CLI::App& app) {
  platform::LogContext context;
  std::vector<CLI::App*> chosen = app.get_subcommands();
  if (chosen.empty()) return context;
  context.command = chosen.front()->get_name();
  for (const char* name : {"container-id", "--id"}) {
    const CLI::Option* option = chosen.front()->get_option_no_throw(name);
    if (option != nullptr && option->count() > 0) context.container_id = option->as<std::string>();
  }
  return context;
}

// Sets up logging for the chosen command. A relative --debug-log is made
// absolute first (from the directory runsc was started in), so the sandbox's
// processes, which get the pattern, open the same place.
absl::Status SetupCommandLogging(const platform::LogContext& context, platform::LogOptions& log) {
  if (!log.debug_log.empty() && !log.debug_log.starts_with('/')) {
    std::error_code error;
    std::filesystem::path cwd = std::filesystem::current_path(error);
    if (!error) log.debug_log = (cwd / log.debug_log).string();
  }
  return platform::SetupLogging(log, context);
}

void ReportError(const absl::Status& status, bool logged) {
  std::string message(status.message());
  if (logged) spdlog::error("{}", message);
  std::cerr << "runsc: " << message << "\n";
}

// What RunCli needs of the parser once it is gone.
struct Chosen {
  std::optional<int> exit_code;  // set: exit now (--help, --version, a parse error)
  platform::LogContext context;
  bool run = false;   // `runsc run`
  bool exec = false;  // `runsc exec`
};

Chosen ExitWith(int code) {
  Chosen chosen;
  chosen.exit_code = code;
  return chosen;
}

// Parses the command line into `p` and `action`. The parser (every
// command's options, ~100 KiB of heap) is gone when this returns: the
// sandbox's daemons, which are this binary, do not keep it while they run.
Chosen Parse(int argc, char** argv, Parsed& p, Action& action) {
  CLI::App app{"runsc: a sandboxed OCI container runtime", "runsc"};
  app.require_subcommand(1);
  AddGlobalFlags(app, p);
  AddLifecycleCommands(app, p, action);
  AddExecCommand(app, p, action);
  AddQueryCommands(app, p, action);
  AddCgroupCommands(app, p, action);
  AddInstallCommands(app, p, action);
  AddInternalCommands(app, p, action);
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& success) {
    return ExitWith(app.exit(success));
  } catch (const CLI::ParseError& error) {
    std::vector<std::string> rest = app.remaining();
    if (app.get_subcommands().empty() && !rest.empty()) {
      std::cerr << "runsc: unknown command \"" << rest.front() << "\" (see runsc --help)\n";
    } else {
      std::cerr << "runsc: " << error.what() << " (see runsc --help)\n";
    }
    return ExitWith(1);
  }
  return {std::nullopt, CommandContext(app), app.got_subcommand("run"), app.got_subcommand("exec")};
}

}  // namespace

int RunCli(int argc, char** argv) {
  Parsed p;
  Action action;
  const Chosen chosen = Parse(argc, argv, p, action);
  if (chosen.exit_code) return *chosen.exit_code;
  if (p.internal) {
    // The init's stdio is the workload's: it must print nothing there.
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("null", std::make_shared<spdlog::sinks::null_sink_mt>()));
  } else if (absl::Status logging = SetupCommandLogging(chosen.context, p.global.log); !logging.ok()) {
    ReportError(logging, false);
    return 1;
  }
  if (!p.policy_file.empty()) {
    if (absl::Status loaded = p.global.sandbox.LoadPolicyFile(p.policy_file); !loaded.ok()) {
      ReportError(loaded, !p.global.log.path.empty());
      return 1;
    }
  }
  const std::string learning_id = chosen.run ? p.run.create.id : p.create.id;
  if (absl::Status learn = PreparePolicyLearn(p.global.sandbox, learning_id); !learn.ok()) {
    ReportError(learn, !p.global.log.path.empty());
    return 1;
  }
  // A global flag, as runc's: it chooses the cgroup driver of create and run.
  p.create.systemd_cgroup = p.run.create.systemd_cgroup = p.global.systemd_cgroup;
  absl::StatusOr<int> result = action();
  if (!result.ok()) {
    ReportError(result.status(), !p.global.log.path.empty());
    // As runc: exec's own failures exit 255, so that they cannot be taken
    // for the exit status of the process it runs.
    return chosen.exec ? 255 : 1;
  }
  return *result;
}

}  // namespace runsc
