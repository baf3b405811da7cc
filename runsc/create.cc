#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <optional>

#include "fmt/format.h"
#include "platform/cgroup_systemd.h"
#include "platform/cgroups.h"
#include "platform/errors.h"
#include "platform/logging.h"
#include "platform/oci_seccomp.h"
#include "platform/procfs.h"
#include "platform/self_exe.h"
#include "platform/status_macros.h"
#include "platform/sync_channel.h"
#include "platform/unix_socket.h"
#include "runsc/console.h"
#include "runsc/container.h"
#include "runsc/container_init.h"
#include "runsc/device_rules.h"
#include "runsc/filter_cache.h"
#include "runsc/host_mounts.h"
#include "runsc/sandbox_filter.h"
#include "runsc/sandbox_spawn.h"
#include "runsc/spawn.h"
#include "runsc/spec.h"
#include "sentry/config.h"
#include "spdlog/spdlog.h"

namespace runsc {
namespace {

using platform::LastError;
using platform::UniqueFd;

absl::StatusOr<std::string> AbsoluteBundle(const std::string& bundle) {
  std::error_code error;
  std::filesystem::path path = std::filesystem::absolute(bundle.empty() ? "." : bundle, error);
  if (error) return absl::InvalidArgumentError(fmt::format("bundle {}: {}", bundle, error.message()));
  return path.lexically_normal().string();
}

absl::Status CheckSupported(const Spec& spec, const CreateOptions& options) {
  struct stat st;
  if (stat(spec.root_path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return absl::NotFoundError(fmt::format("config.json: root.path: rootfs {} does not exist or is not a directory",
                                           spec.root_path));
  }
  if (options.preserve_fds < 0) return absl::InvalidArgumentError("--preserve-fds must not be negative");
  return absl::OkStatus();
}

// Everything create makes, undone in reverse unless Commit()ed.
class Rollback {
 public:
  explicit Rollback(ContainerDir& dir) : dir_(dir) {}
  ~Rollback() {
    if (committed_) return;
    // The last started first: the daemons, which would otherwise see the
    // init die and fail closed (logging it), then the init.
    for (auto it = processes_.rbegin(); it != processes_.rend(); ++it) {
      syscall(SYS_pidfd_send_signal, it->second.get(), SIGKILL, nullptr, 0);
      waitpid(it->first, nullptr, 0);
    }
    if (cgroup_) (void)cgroup_->Destroy();
    (void)dir_.Remove();
  }
  void SetCgroup(const platform::Cgroup& cgroup) { cgroup_ = cgroup; }
  // Keeps its own copy of the pidfd: the caller's may be closed before this
  // destructor runs, and a closed one would kill nothing and leave waitpid
  // waiting forever (for an init blocked on the fifo, say).
  void AddProcess(const SpawnedChild& child) {
    processes_.emplace_back(
        child.pid, UniqueFd(fcntl(child.pidfd.get(), F_DUPFD_CLOEXEC, 0)));
  }
  void Commit() { committed_ = true; }

 private:
  ContainerDir& dir_;
  std::optional<platform::Cgroup> cgroup_;
  std::vector<std::pair<pid_t, UniqueFd>> processes_;  // in the order started
  bool committed_ = false;
};

absl::Status ApplyDeviceRules(const Spec& spec, platform::Cgroup& cgroup);

absl::StatusOr<platform::Cgroup> SetUpCgroup(const Spec& spec, const std::string& id) {
  ASSIGN_OR_RETURN(platform::Cgroup cgroup, platform::Cgroup::Resolve(spec.linux.cgroups_path, id));
  RETURN_IF_ERROR(cgroup.Create());
  if (absl::Status status = cgroup.ApplyResources(spec.linux.resources); !status.ok()) {
    (void)cgroup.Destroy();
    return status;
  }
  RETURN_IF_ERROR(ApplyDeviceRules(spec, cgroup));
  return cgroup;
}

// The systemd driver's cgroup, made once the init exists: systemd's scope
// must be started with a pid in it.
absl::StatusOr<platform::Cgroup> SetUpSystemdCgroup(const Spec& spec, const platform::SystemdUnitPath& unit,
                                                    pid_t init) {
  ASSIGN_OR_RETURN(platform::Cgroup cgroup, platform::StartSystemdCgroup(unit, init, spec.linux.resources));
  if (absl::Status status = ApplyDeviceRules(spec, cgroup); !status.ok()) {
    (void)platform::StopSystemdUnitOf({{platform::kSystemdUnitKey, unit.unit}});
    return status;
  }
  return cgroup;
}

// Writes the spec's device rules; on failure the cgroup's dirs are removed.
absl::Status ApplyDeviceRules(const Spec& spec, platform::Cgroup& cgroup) {
  // On v1, without rules of its own a spec needs none written (the hierarchy
  // allows all). On pure v2 there is no inherited list: as runc, the
  // container gets a default-deny eBPF program allowing the default devices.
  if (spec.linux.device_rules.empty() && !cgroup.pure_v2()) return absl::OkStatus();
  for (const auto& [allow, rule] : DeviceCgroupRules(spec)) {
    absl::Status status = cgroup.ApplyDeviceRule(allow, rule);
    if (!status.ok()) {
      (void)cgroup.Destroy();
      return status;
    }
  }
  return absl::OkStatus();
}

// A uts namespace made for the container (not joined, not the host's).
bool UtsIsOwn(const Spec& spec) {
  const Namespace* uts = spec.linux.FindNamespace("uts");
  return uts != nullptr && uts->path.empty();
}

int CloneFlags(const Spec& spec) {
  int flags = 0;
  for (const Namespace& ns : spec.linux.namespaces) {
    // Joined namespaces are entered by the init; the cgroup namespace is
    // made by the init once it is in its cgroup.
    if (ns.path.empty() && ns.clone_flag != CLONE_NEWCGROUP) flags |= ns.clone_flag;
  }
  return flags;
}

// With linux.namespaces[pid].path the init must be born in that namespace.
absl::Status EnterPidNamespaceForChildren(const Spec& spec, PidNamespaceForChildren& pid_ns) {
  const Namespace* wanted = spec.linux.FindNamespace("pid");
  if (wanted == nullptr || wanted->path.empty()) return absl::OkStatus();
  UniqueFd target(open(wanted->path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!target.valid()) return LastError(fmt::format("linux.namespaces: opening pid namespace {}", wanted->path));
  return platform::Annotate(pid_ns.Enter(target.get()), fmt::format("linux.namespaces: pid namespace {}", wanted->path));
}

absl::StatusOr<std::pair<SpawnedChild, UniqueFd>> SpawnInit(const Spec& spec, const CreateOptions& options,
                                                             int exe_fd, int fifo_fd, int console_fd, int sentry_fd) {
  int sync[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sync) != 0) return LastError("socketpair");
  UniqueFd ours(sync[0]), theirs(sync[1]);
  SpawnRequest request;
  request.exe_fd = exe_fd;
  request.clone_flags = CloneFlags(spec);
  request.preserve_fds = options.preserve_fds;
  request.pass_fds = {theirs.get(), fifo_fd, sentry_fd};
  request.argv = {"runsc", "init", "--sync-fd", std::to_string(ChildFd(request, 0)), "--fifo-fd",
                  std::to_string(ChildFd(request, 1)), "--sentry-fd", std::to_string(ChildFd(request, 2)),
                  "--preserve-fds", std::to_string(options.preserve_fds)};
  if (console_fd >= 0) {
    request.pass_fds.push_back(console_fd);
    request.argv.insert(request.argv.end(), {"--console-fd", std::to_string(ChildFd(request, 3))});
  }
  request.uid_mappings = spec.linux.uid_mappings;
  request.gid_mappings = spec.linux.gid_mappings;
  UniqueFd userns;
  if (const Namespace* user = spec.linux.FindNamespace("user"); user != nullptr && !user->path.empty()) {
    userns.reset(open(user->path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!userns.valid()) return LastError(fmt::format("linux.namespaces: opening user namespace {}", user->path));
    request.join_userns_fd = userns.get();
  }
  PidNamespaceForChildren pid_ns;
  RETURN_IF_ERROR(EnterPidNamespaceForChildren(spec, pid_ns));
  ASSIGN_OR_RETURN(SpawnedChild child, SpawnSelf(request));
  return std::make_pair(std::move(child), std::move(ours));
}

// The container's cgroup.kill (cgroup v2, Linux 5.14+; the unified
// hierarchy of a hybrid host too), opened here for the daemons' fail closed:
// writing it kills every process of the cgroup, with or without a pid
// namespace, and needs no signal permission (the gofer and the sentry keep
// no CAP_KILL). Invalid when the host has none (cgroup v1 only): then the
// daemons kill the init, and the watchdog each pid of cgroup.procs.
UniqueFd OpenCgroupKill(const platform::Cgroup& cgroup) {
  for (const std::string& dir : cgroup.dirs()) {
    UniqueFd fd(open((dir + "/cgroup.kill").c_str(), O_WRONLY | O_CLOEXEC));
    if (fd.valid()) return fd;
  }
  spdlog::debug("no cgroup.kill for the container: fail closed kills the init");
  return UniqueFd();
}

// The sentry, then the watchdog, which holds the write end of a pipe whose
// read end the sentry watches (watchdog.h): the sentry stops the container
// when the watchdog dies, the watchdog when the sentry does. Until the
// watchdog exists we hold the write end, so the sentry also stops the
// container if runsc create dies before it. Both are born in the
// container's memory and cpu cgroups: charged from their first page
// (ChargeSandbox joins the rest). The sentry waits for its config.
absl::StatusOr<std::pair<StartingDaemon, SpawnedChild>> StartSentryAndWatchdog(
    SandboxStart start, const platform::Cgroup& cgroup,
    const platform::LogOptions& log) {
  int lifeline[2];
  if (pipe2(lifeline, O_CLOEXEC) != 0) return LastError("pipe2");
  UniqueFd sentry_end(lifeline[0]), watchdog_end(lifeline[1]);
  start.watchdog_lifeline = sentry_end.get();
  ASSIGN_OR_RETURN(platform::CgroupVisit visit,
                   platform::CgroupVisit::Enter(cgroup.SandboxBirthDirs()));
  ASSIGN_OR_RETURN(StartingDaemon sentry, StartSentry(start, log));
  sentry_end.reset();
  absl::StatusOr<SpawnedChild> watchdog =
      SpawnWatchdog(start, sentry.child.pidfd.get(), watchdog_end.get(), log);
  if (!watchdog.ok()) {
    KillChild(sentry.child);
    return watchdog.status();
  }
  RETURN_IF_ERROR_CTX(visit.Leave(), "leaving the container's cgroup");
  return std::make_pair(std::move(sentry), *std::move(watchdog));
}

// Starts the gofer, born in the container's memory and cpu cgroups.
absl::StatusOr<StartingDaemon> StartGoferInCgroup(
    const SandboxStart& start, const Spec& spec, int gofer_end,
    const platform::Cgroup& cgroup, const platform::LogOptions& log) {
  ASSIGN_OR_RETURN(platform::CgroupVisit visit,
                   platform::CgroupVisit::Enter(cgroup.SandboxBirthDirs()));
  ASSIGN_OR_RETURN(StartingDaemon gofer,
                   StartGofer(start, spec, gofer_end, log));
  RETURN_IF_ERROR_CTX(visit.Leave(), "leaving the container's cgroup");
  return gofer;
}

// The OCI state the create-time hooks get: the container is "creating".
// Decision: the OCI spec's "creating" is "the container is being created",
// which is when prestart, createRuntime and createContainer run (lifecycle
// step 6, inside create); "created" only holds once create has returned.
// runc 1.1 passes "creating" too (tests/hooks_test.cc runs against it).
nlohmann::json CreatingState(const Spec& spec, const std::string& id, const std::string& bundle, pid_t init) {
  nlohmann::json state = {{"ociVersion", spec.oci_version}, {"id", id}, {"status", "creating"},
                          {"pid", init}, {"bundle", bundle}};
  if (!spec.annotations.empty()) state["annotations"] = spec.annotations;
  return state;
}

// The init's sandbox filter, compiled once per policy and binary
// (filter_cache.h): the init compiles it only when this is null.
absl::StatusOr<nlohmann::json> SandboxFilterForInit(
    const std::string& root, const Spec& spec, const nlohmann::json& sandbox) {
  ASSIGN_OR_RETURN(
      std::optional<platform::OciSeccompProfile> profile,
      platform::ParseOciSeccomp(spec.linux.seccomp, "linux.seccomp"));
  return PrecompiledSandboxFilter(
      root, sandbox, profile.has_value() && profile->NeedsListener());
}

// Sends the init its config, then serves it until it is ready: it may ask
// for the prestart and createRuntime hooks, which run here, in the
// runtime's namespaces. Returns the mounts the init made read-only for the
// workload (host_mounts.h), which the gofer makes writable in its copy.
absl::StatusOr<std::vector<std::string>> ConfigureInit(
    int sync_fd, const Spec& spec, const CreateOptions& options,
    const std::string& bundle, pid_t init, const sentry::SandboxConfig& sandbox,
    const std::string& root) {
  InitConfig config;
  config.id = options.id;
  config.bundle = bundle;
  config.spec = spec.raw;
  config.no_pivot = options.no_pivot;
  config.no_new_keyring = options.no_new_keyring;
  config.hook_state = CreatingState(spec, options.id, bundle, init);
  config.sandbox = sandbox.ToJson();
  ASSIGN_OR_RETURN(config.sandbox_filter,
                   SandboxFilterForInit(root, spec, config.sandbox));
  RETURN_IF_ERROR(platform::SendMessage(sync_fd, InitConfigToJson(config)));
  while (true) {
    absl::StatusOr<nlohmann::json> reply = platform::ReceiveMessage(sync_fd);
    if (!reply.ok()) return platform::Annotate(reply.status(), "container init died during set-up");
    if (reply->contains("error")) return absl::FailedPreconditionError(reply->at("error").get<std::string>());
    if (reply->contains("run_hooks")) {
      absl::Status hooks = RunHooks("prestart", spec.hooks.prestart, config.hook_state);
      if (hooks.ok()) hooks = RunHooks("createRuntime", spec.hooks.create_runtime, config.hook_state);
      RETURN_IF_ERROR(platform::SendMessage(sync_fd, hooks.ok() ? nlohmann::json{{"ok", true}}
                                                                : nlohmann::json{{"error", std::string(hooks.message())}}));
      RETURN_IF_ERROR(hooks);
      continue;
    }
    for (const auto& phase : reply->value("timeline", nlohmann::json::array())) {
      platform::LogPhaseAt("init: " + phase.at(0).get<std::string>(), phase.at(1).get<int64_t>());
    }
    for (const auto& warning : reply->value("warnings", nlohmann::json::array())) {
      // runc shows none of these by default (its own default spec asks for
      // ambient caps without an inheritable set): debug level.
      spdlog::debug("container {}: {}", options.id, warning.get<std::string>());
    }
    return reply->value("made_readonly", std::vector<std::string>{});
  }
}

absl::StatusOr<ContainerState> RecordState(const Spec& spec, const std::string& bundle, const std::string& id,
                                           pid_t init, pid_t sentry, pid_t gofer, const platform::Cgroup& cgroup) {
  ContainerState state;
  state.id = id;
  state.oci_version = spec.oci_version;
  state.bundle = bundle;
  state.rootfs = spec.root_path;
  state.pid = init;
  ASSIGN_OR_RETURN(platform::ProcessStat init_stat, platform::ReadProcessStat(init));
  state.pid_start_time = init_stat.start_time;
  state.sentry_pid = sentry;
  ASSIGN_OR_RETURN(platform::ProcessStat sentry_stat, platform::ReadProcessStat(sentry));
  state.sentry_start_time = sentry_stat.start_time;
  if (gofer > 0) {
    state.gofer_pid = gofer;
    ASSIGN_OR_RETURN(platform::ProcessStat gofer_stat, platform::ReadProcessStat(gofer));
    state.gofer_start_time = gofer_stat.start_time;
  }
  state.created = platform::Rfc3339NanoNow();
  state.owner_uid = getuid();
  state.annotations = spec.annotations;
  state.cgroup = cgroup.ToJson();
  state.config = spec.raw;
  return state;
}

// What the daemons are started with, before the init has set up: its
// mounts made read-only (writable_mounts, made_readonly) come after.
SandboxStart MakeSandboxStart(const Spec& spec, const std::string& id,
                              const ContainerDir& dir,
                              const sentry::SandboxConfig& sandbox,
                              const platform::Cgroup& cgroup, int exe_fd,
                              const SpawnedChild& init, int init_channel,
                              int cgroup_kill_fd) {
  SandboxStart start;
  start.exe_fd = exe_fd;
  start.init_pidfd = init.pidfd.get();
  start.init_channel = init_channel;
  start.config = sandbox;
  start.view.id = id;
  start.view.init_pid = init.pid;
  start.view.cgroup = cgroup.ToJson();
  start.view.own_uts = UtsIsOwn(spec);
  start.view.control_path = dir.path() + "/sentry.sock";
  start.view.host_storage_under_dev = HostStorageUnderDev(spec);
  start.cgroup_kill_fd = cgroup_kill_fd;
  return start;
}

// The sandbox's own processes are the container's (DESIGN.md, "Processes";
// docs/design.md, "Cgroups"): born in its memory, cpu and other v1 cgroups
// (CgroupVisit), they now join the rest of Cgroup::SandboxDirs(): the v1
// devices cgroup once the gofer holds /dev/fuse (from now on it opens no
// device the container may not), the v1 pids cgroup (their threads share
// the container's pids.max from now on; moving in is never refused, so
// they may start above it), and on pure v2 the one cgroup, whose device
// program would have refused it /dev/fuse at birth (there their start-up
// memory, ~3 MB, stays where runsc create ran; all they allocate after is
// the container's). Never the v1 freezer: pause freezes the workload only.
absl::Status ChargeSandbox(const platform::Cgroup& cgroup,
                           std::initializer_list<pid_t> pids) {
  for (pid_t pid : pids) {
    if (pid <= 0) continue;
    RETURN_IF_ERROR_CTX(
        cgroup.AddSandboxProcess(pid),
        fmt::format("moving sandbox process {} into the container's cgroup",
                    pid));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<CreatedContainer> CreateContainer(const StateStore& store, const CreateOptions& options,
                                                 const platform::LogOptions& log, const sentry::SandboxConfig& flags) {
  RETURN_IF_ERROR(ValidateContainerId(options.id));
  RETURN_IF_ERROR(flags.Validate());
  ASSIGN_OR_RETURN(std::string bundle, AbsoluteBundle(options.bundle));
  ASSIGN_OR_RETURN(Spec spec, LoadSpec(bundle));
  ASSIGN_OR_RETURN(sentry::SandboxConfig annotated, ApplyAnnotations(flags, spec));
  ASSIGN_OR_RETURN(const sentry::SandboxConfig sandbox, ChoosePlatformForProfile(std::move(annotated), spec.linux.seccomp));
  RETURN_IF_ERROR(CheckSupported(spec, options));
  platform::LogPhase("spec loaded");
  ASSIGN_OR_RETURN(ContainerDir dir, store.CreateNew(options.id));
  Rollback rollback(dir);
  if (mkfifo(dir.exec_fifo().c_str(), 0622) != 0) return LastError("creating the exec fifo");
  chmod(dir.exec_fifo().c_str(), 0622);  // not narrowed by our umask
  UniqueFd fifo(open(dir.exec_fifo().c_str(), O_PATH | O_CLOEXEC));
  if (!fifo.valid()) return LastError("opening the exec fifo");
  std::optional<platform::SystemdUnitPath> unit;
  if (options.systemd_cgroup) {
    ASSIGN_OR_RETURN(unit, platform::ParseSystemdCgroupsPath(spec.linux.cgroups_path, options.id));
  }
  platform::Cgroup cgroup;
  if (!unit) {
    ASSIGN_OR_RETURN(cgroup, SetUpCgroup(spec, options.id));
    rollback.SetCgroup(cgroup);
  }
  platform::LogPhase("cgroup set up");
  ASSIGN_OR_RETURN(UniqueFd exe, platform::SealedSelfExe());
  platform::LogPhase("own executable sealed");
  ASSIGN_OR_RETURN(ConsoleChannel console,
                   OpenConsoleChannel(spec.process.terminal, options.console_socket, options.foreground));
  int channel[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, channel) != 0) return LastError("socketpair");
  UniqueFd sentry_end(channel[0]), init_end(channel[1]);
  ASSIGN_OR_RETURN(auto init_and_sync,
                   SpawnInit(spec, options, exe.get(), fifo.get(), console.theirs.get(), init_end.get()));
  auto& [init, sync] = init_and_sync;
  platform::LogPhase("init spawned");
  console.theirs.reset();
  init_end.reset();
  rollback.AddProcess(init);
  if (unit) {
    ASSIGN_OR_RETURN(cgroup, SetUpSystemdCgroup(spec, *unit, init.pid));
    rollback.SetCgroup(cgroup);  // systemd collects the scope once the init is gone
  } else {
    RETURN_IF_ERROR(cgroup.AddProcess(init.pid));
  }
  UniqueFd cgroup_kill = OpenCgroupKill(cgroup);
  SandboxStart start =
      MakeSandboxStart(spec, options.id, dir, sandbox, cgroup, exe.get(), init,
                       sentry_end.get(), cgroup_kill.get());
  ASSIGN_OR_RETURN(sentry::Policy policy, sandbox.BuildPolicy());
  std::optional<GoferChannel> gofer_channel;
  if (policy.broker_to_gofer()) {
    ASSIGN_OR_RETURN(gofer_channel, MakeGoferChannel());
    start.gofer_channel = gofer_channel->sentry_end.get();
  }
  // The sentry's and the watchdog's start-up overlap the init's set-up.
  ASSIGN_OR_RETURN(auto daemons, StartSentryAndWatchdog(start, cgroup, log));
  auto& [sentry, watchdog] = daemons;
  rollback.AddProcess(sentry.child);
  rollback.AddProcess(watchdog);
  if (gofer_channel) gofer_channel->sentry_end.reset();
  platform::LogPhase("sentry and watchdog spawned");
  ASSIGN_OR_RETURN(std::vector<std::string> made_readonly,
                   ConfigureInit(sync.get(), spec, options, bundle, init.pid,
                                 sandbox, store.root()));
  platform::LogPhase("init set up (handshake answered)");
  UniqueFd master;
  if (console.ours.valid()) {
    ASSIGN_OR_RETURN(master, platform::Annotate(platform::ReceiveFd(console.ours.get()), "receiving the pty"));
  }
  start.view.writable_mounts = made_readonly;
  start.made_readonly = std::move(made_readonly);
  // The gofer's start-up overlaps the sentry's, which connects to it.
  std::optional<StartingDaemon> gofer;
  if (gofer_channel) {
    ASSIGN_OR_RETURN(
        gofer, StartGoferInCgroup(start, spec, gofer_channel->gofer_end.get(),
                                  cgroup, log));
    rollback.AddProcess(gofer->child);
    gofer_channel->gofer_end.reset();
  }
  RETURN_IF_ERROR(SendSentryConfig(sentry, start));
  RETURN_IF_ERROR(AwaitSandbox(gofer ? &*gofer : nullptr, sentry));
  platform::LogPhase("sentry and watchdog started");
  const pid_t gofer_pid = gofer ? gofer->child.pid : 0;
  RETURN_IF_ERROR(
      ChargeSandbox(cgroup, {gofer_pid, sentry.child.pid, watchdog.pid}));
  ASSIGN_OR_RETURN(ContainerState state,
                   RecordState(spec, bundle, options.id, init.pid,
                               sentry.child.pid, gofer_pid, cgroup));
  state.watchdog_pid = watchdog.pid;
  ASSIGN_OR_RETURN(platform::ProcessStat watchdog_stat,
                   platform::ReadProcessStat(watchdog.pid));
  state.watchdog_start_time = watchdog_stat.start_time;
  state.sandbox = sandbox.ToJson();
  if (unit) state.cgroup[platform::kSystemdUnitKey] = unit->unit;
  RETURN_IF_ERROR(dir.Save(state));
  platform::LogPhase("state saved");
  if (!options.pid_file.empty()) RETURN_IF_ERROR(WritePidFile(options.pid_file, init.pid));
  rollback.Commit();
  spdlog::info("created container {} (init pid {}, sentry pid {})", options.id,
               init.pid, sentry.child.pid);
  return CreatedContainer{init.pid, std::move(init.pidfd), std::move(master)};
}

}  // namespace runsc
