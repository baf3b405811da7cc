#include "runsc/container_init.h"

#include <fcntl.h>
#include <linux/close_range.h>
#include <linux/keyctl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "fmt/format.h"
#include "spdlog/spdlog.h"
#include "platform/errors.h"
#include "platform/logging.h"
#include "platform/oci_seccomp.h"
#include "platform/process_attrs.h"
#include "platform/pty.h"
#include "platform/memory_overlay.h"
#include "platform/rootfs.h"
#include "platform/status_macros.h"
#include "platform/sync_channel.h"
#include "platform/unique_fd.h"
#include "platform/unix_socket.h"
#include "runsc/host_mounts.h"
#include "runsc/sandbox_filter.h"
#include "runsc/spawn.h"
#include "runsc/spec.h"
#include "sentry/config.h"

namespace runsc {
namespace {

using platform::LastError;
using platform::UniqueFd;

absl::StatusOr<InitConfig> ReceiveConfig(int sync_fd) {
  ASSIGN_OR_RETURN(nlohmann::json message, platform::ReceiveMessage(sync_fd));
  InitConfig config;
  try {
    config.id = message.at("id");
    config.bundle = message.at("bundle");
    config.spec = message.at("spec");
    config.no_pivot = message.at("no_pivot");
    config.no_new_keyring = message.at("no_new_keyring");
    config.exec = message.value("exec", false);
    config.hook_state = message.value("hook_state", nlohmann::json::object());
    config.sandbox = message.value("sandbox", nlohmann::json::object());
    config.sandbox_filter = message.value("sandbox_filter", nlohmann::json());
  } catch (const nlohmann::json::exception& error) {
    return absl::DataLossError(fmt::format("init config: {}", error.what()));
  }
  return config;
}

// Joins the namespaces the spec names by path. The pid namespace was joined
// by create (it applies to children only); new ones came from clone flags,
// except the cgroup namespace, made here after create put us in our cgroup
// so that its root is the container's cgroup.
absl::Status EnterNamespaces(const Spec& spec) {
  for (const Namespace& ns : spec.linux.namespaces) {
    // The user namespace is made or joined by SpawnSelf (spawn.h), before the others.
    if (ns.clone_flag == CLONE_NEWPID || ns.clone_flag == CLONE_NEWUSER) continue;
    if (ns.path.empty()) {
      if (ns.clone_flag == CLONE_NEWCGROUP && unshare(CLONE_NEWCGROUP) != 0) {
        return LastError("creating the cgroup namespace");
      }
      continue;
    }
    UniqueFd fd(open(ns.path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) return LastError(fmt::format("opening {} namespace {}", ns.type, ns.path));
    if (setns(fd.get(), ns.clone_flag) != 0) {
      return LastError(fmt::format("joining {} namespace {}", ns.type, ns.path));
    }
  }
  // OCI: a type the spec leaves out is inherited. The sandbox needs a mount
  // namespace all the same (pivot_root, the read-only view, the gofer's
  // copy): it gets one of its own, a copy of the runtime's (README).
  if (!spec.linux.HasNamespace("mount") && unshare(CLONE_NEWNS) != 0) {
    return LastError("creating the sandbox's mount namespace");
  }
  return absl::OkStatus();
}

// "0 100000 65536; ..." (uid_map lines on one line).
std::string Describe(const std::vector<IdMapping>& mappings) {
  std::string text = platform::FormatIdMap(mappings);
  while (!text.empty() && text.back() == '\n') text.pop_back();
  std::replace(text.begin(), text.end(), '\n', ';');
  return text;
}

bool SameMappings(const std::vector<IdMapping>& a, const std::vector<IdMapping>& b) {
  auto same = [](const IdMapping& x, const IdMapping& y) {
    return x.container_id == y.container_id && x.host_id == y.host_id && x.size == y.size;
  };
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), same);
}

// A user namespace joined by path keeps its mappings; those the spec gives
// (runc 1.1 requires them) must be that namespace's, read from inside it.
absl::Status CheckJoinedUserNamespaceMappings(const Spec& spec) {
  if (spec.linux.CreatesUserNamespace() || spec.linux.uid_mappings.empty()) return absl::OkStatus();
  for (auto [file, field, wanted] : {std::tuple{"uid_map", "uidMappings", &spec.linux.uid_mappings},
                                     std::tuple{"gid_map", "gidMappings", &spec.linux.gid_mappings}}) {
    ASSIGN_OR_RETURN(std::vector<IdMapping> actual, platform::ReadIdMappings(fmt::format("/proc/self/{}", file)));
    if (!SameMappings(actual, *wanted)) {
      return absl::InvalidArgumentError(fmt::format("config.json: linux.{}: \"{}\" is not the joined user namespace's \"{}\"",
                                                    field, Describe(*wanted), Describe(actual)));
    }
  }
  return absl::OkStatus();
}

platform::MountRequest ToMountRequest(const Mount& mount) {
  return {mount.source, mount.type,    mount.flags,           mount.propagation,
          mount.data,   mount.copy_up, mount.recursive_set, mount.recursive_clear};
}

// True when the spec bind-mounts a host /dev: then runc makes no devices.
bool BindsDev(const Spec& spec) {
  for (const Mount& mount : spec.mounts) {
    if (mount.destination == "/dev" && mount.is_bind()) return true;
  }
  return false;
}

// In a user namespace mknod is refused: the host's nodes are bind-mounted.
absl::Status CreateDevices(int root_fd, const Spec& spec) {
  const bool bind = spec.linux.HasNamespace("user");
  if (!BindsDev(spec)) RETURN_IF_ERROR(platform::CreateDefaultDevices(root_fd, bind));
  for (const Device& device : spec.linux.devices) {
    platform::DeviceNode node{device.path, device.type == 'u' ? 'c' : device.type,
                              static_cast<uint32_t>(device.major), static_cast<uint32_t>(device.minor),
                              device.file_mode.value_or(0666), device.uid.value_or(0), device.gid.value_or(0)};
    RETURN_IF_ERROR_CTX(bind ? platform::BindDevice(root_fd, node) : platform::CreateDevice(root_fd, node),
                        fmt::format("linux.devices {}", device.path));
  }
  return absl::OkStatus();
}

// linux.rootfsPropagation as mount flags. The default is runc's rslave:
// host mount events still reach the container, nothing flows back.
unsigned long RootPropagation(const std::string& name) {
  unsigned long recursive = name.empty() || name[0] == 'r' ? MS_REC : 0;
  std::string base = !name.empty() && name[0] == 'r' ? name.substr(1) : name;
  if (base == "shared") return recursive | MS_SHARED;
  if (base == "private") return recursive | MS_PRIVATE;
  if (base == "unbindable") return recursive | MS_UNBINDABLE;
  return recursive | MS_SLAVE;
}

// The propagation given to the mounts inherited from the runtime's
// namespace before the rootfs is bound: the one asked for, except that
// unbindable ones could not be bound (the rootfs, the spec's binds) and are
// made private instead; the new root becomes unbindable after pivot_root.
unsigned long InheritedPropagation(const std::string& name) {
  unsigned long flags = RootPropagation(name);
  return flags & MS_UNBINDABLE ? (flags & MS_REC) | MS_PRIVATE : flags;
}

// Everything done while the rootfs is still reached through a path and the
// host's /proc is at /proc.
absl::Status PrepareRootfs(const Spec& spec, const sentry::SandboxConfig& sandbox) {
  RETURN_IF_ERROR(platform::SetRootPropagation(InheritedPropagation(spec.linux.rootfs_propagation)));
  if (sandbox.overlay == "memory") {
    const std::string& lower = sandbox.overlay_lower.empty() ? spec.root_path : sandbox.overlay_lower;
    RETURN_IF_ERROR_CTX(platform::MountMemoryOverlay(lower, spec.root_path), "--overlay=memory");
  } else {
    RETURN_IF_ERROR(platform::BindRootfsOntoItself(spec.root_path));
  }
  UniqueFd root(open(spec.root_path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root.valid()) return LastError(fmt::format("opening rootfs {}", spec.root_path));
  for (const Mount& mount : spec.mounts) {
    RETURN_IF_ERROR_CTX(platform::MountInRoot(root.get(), mount.destination, ToMountRequest(mount)),
                        fmt::format("mounting {} on {}", mount.source.empty() ? mount.type : mount.source,
                                    mount.destination));
  }
  RETURN_IF_ERROR(CreateDevices(root.get(), spec));
  for (const auto& [key, value] : spec.linux.sysctl) {
    RETURN_IF_ERROR_CTX(platform::WriteSysctl(key, value), fmt::format("linux.sysctl {}", key));
  }
  RETURN_IF_ERROR_CTX(platform::MaskPaths(root.get(), spec.linux.masked_paths), "linux.maskedPaths");
  for (const std::string& path : spec.linux.readonly_paths) {
    RETURN_IF_ERROR_CTX(platform::MakeReadonly(root.get(), path), fmt::format("linux.readonlyPaths {}", path));
  }
  return absl::OkStatus();
}

// A network namespace of its own gets lo up, as runc does; a joined one
// is left as it is.
absl::Status SetUpNetwork(const Spec& spec) {
  const Namespace* network = spec.linux.FindNamespace("network");
  if (network == nullptr || !network->path.empty()) return absl::OkStatus();
  return platform::BringUpLoopback();
}

absl::Status SetIdentity(const Spec& spec, const InitConfig& config) {
  if (!spec.hostname.empty()) RETURN_IF_ERROR(platform::SetHostname(spec.hostname));
  if (!spec.domainname.empty()) RETURN_IF_ERROR(platform::SetDomainname(spec.domainname));
  if (!config.no_new_keyring) {
    // A session keyring of its own, as runc does, so the container cannot
    // read the host's keys (best effort: keyrings may be disabled).
    std::string name = "_ses." + config.id;
    if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, name.c_str()) < 0 && errno != ENOSYS) {
      return LastError("joining a new session keyring");
    }
  }
  if (spec.process.oom_score_adj) RETURN_IF_ERROR(platform::SetOomScoreAdj(*spec.process.oom_score_adj));
  return absl::OkStatus();
}

// Invariant (CVE-2024-21626): the cwd is entered after pivot_root, with
// every fd but stdio, the preserved fds and our own closed, and checked to
// be reachable from the new root.
absl::Status EnterCwd(const std::string& cwd) {
  if (chdir(cwd.c_str()) != 0) return LastError(fmt::format("process.cwd: chdir to {}", cwd));
  char buffer[4096];
  if (getcwd(buffer, sizeof(buffer)) == nullptr || buffer[0] != '/') {
    return absl::PermissionDeniedError(fmt::format("process.cwd {} is outside the container root", cwd));
  }
  return absl::OkStatus();
}

// Returns warnings to pass on to create (ambient caps that cannot be raised).
absl::StatusOr<std::vector<std::string>> ApplyProcessAttributes(const Process& process) {
  for (const Rlimit& limit : process.rlimits) {
    RETURN_IF_ERROR_CTX(platform::ApplyRlimit(limit.type, limit.resource, limit.soft, limit.hard),
                        "process.rlimits");
  }
  const Capabilities& caps = process.capabilities;
  RETURN_IF_ERROR_CTX(platform::LimitBoundingSet(caps.bounding), "process.capabilities.bounding");
  RETURN_IF_ERROR_CTX(platform::ChangeUser(process.user.uid, process.user.gid, process.user.additional_gids),
                      "process.user");
  ASSIGN_OR_RETURN(std::vector<std::string> warnings,
                   platform::Annotate(platform::ApplyCapabilities({caps.bounding, caps.effective, caps.inheritable,
                                                                   caps.permitted, caps.ambient}),
                                      "process.capabilities"));
  if (process.user.umask) umask(*process.user.umask);
  if (process.no_new_privileges) RETURN_IF_ERROR(platform::SetNoNewPrivileges());
  return warnings;
}

std::string EnvValue(const std::vector<std::string>& env, const std::string& name) {
  for (const std::string& entry : env) {
    if (entry.rfind(name + "=", 0) == 0) return entry.substr(name.size() + 1);
  }
  return "";
}

// HOME from the container's /etc/passwd when the spec sets none (runc does).
void AddHome(std::vector<std::string>& env, uint32_t uid) {
  for (const std::string& entry : env) {
    if (entry.rfind("HOME=", 0) == 0) return;
  }
  std::string home = "/";
  std::ifstream passwd("/etc/passwd");
  std::string line;
  while (std::getline(passwd, line)) {
    std::vector<std::string> fields;
    std::stringstream stream(line);
    for (std::string field; std::getline(stream, field, ':');) fields.push_back(field);
    if (fields.size() >= 6 && fields[2] == std::to_string(uid)) home = fields[5];
  }
  env.push_back("HOME=" + home);
}

// Blocks until `runsc start` opens the fifo for reading, then writes one
// byte. The fifo is reopened through the host /proc kept from before
// pivot_root (the container may have no /proc); that fd is closed here.
// The write end returned is close-on-exec and kept until the workload's
// execve: its EOF tells start the workload was executed (poststart waits
// for it); a failure before is written to it (FailAfterStart).
absl::StatusOr<UniqueFd> WaitForStart(int host_proc, int fifo_fd) {
  std::string link = fmt::format("thread-self/fd/{}", fifo_fd);
  UniqueFd fifo(openat(host_proc, link.c_str(), O_WRONLY | O_CLOEXEC));
  close(host_proc);
  if (!fifo.valid()) return LastError("opening the exec fifo");
  if (write(fifo.get(), "0", 1) != 1) return LastError("writing the exec fifo");
  return fifo;
}

// Until the workload is executed, a terminating signal the runtime sends
// (`kill` of a created container) ends the init, as it ends runc's Go init:
// as pid 1 of its pid namespace without a handler the kernel would drop it.
// execve resets handled signals to their defaults.
void ExitOnTerminatingSignals() {
  struct sigaction action {};
  action.sa_handler = [](int signal) { _exit(128 + signal); };
  for (int signal : {SIGHUP, SIGINT, SIGQUIT, SIGTERM}) sigaction(signal, &action, nullptr);
}

// Reports a failure after start to `runsc start` (through the fifo, when it
// is open) and on stderr; returns the init's exit code.
int FailAfterStart(int fifo, const absl::Status& status, int code = 1) {
  std::string message(status.message());
  if (fifo >= 0) (void)!write(fifo, message.data(), message.size());
  fmt::print(stderr, "runsc init: {}\n", message);
  return code;
}

struct Prepared {
  Hooks hooks;
  std::string executable;
  std::vector<std::string> env;
  UniqueFd host_proc;
  std::vector<std::string> warnings;
  platform::PendingOciSeccomp seccomp;  // linux.seccomp, compiled before pivot_root
  PendingSandboxFilter sandbox;         // ours, installed right after it
  std::vector<platform::MountTarget> made_readonly;  // for the gofer (host_mounts.h)
};

// The OCI profile, then the sandbox's filter (sandbox_filter.h).
absl::Status InstallFilters(Prepared& prepared) {
  RETURN_IF_ERROR(prepared.seccomp.Install());
  return prepared.sandbox.Install();
}

// process.terminal: a pty from the container's own devpts becomes our
// controlling terminal and stdio; its master goes to the console socket
// (the caller's, or runsc run's own) and is closed here.
absl::Status SetUpTerminal(const Spec& spec, int console) {
  if (console < 0) return absl::InvalidArgumentError("process.terminal is true but there is no console socket");
  ASSIGN_OR_RETURN(platform::Pty pty, platform::OpenPty("/dev/ptmx"));
  if (fchown(pty.slave.get(), spec.process.user.uid, static_cast<gid_t>(-1)) != 0) {
    return LastError("giving the pty to the container's user");
  }
  const nlohmann::json& size = spec.raw["process"].value("consoleSize", nlohmann::json::object());
  if (size.contains("height") && size.contains("width")) {
    RETURN_IF_ERROR(platform::SetWindowSize(pty.master.get(), size["height"].get<uint16_t>(),
                                            size["width"].get<uint16_t>()));
  }
  RETURN_IF_ERROR(platform::SendFd(console, pty.master.get(), pty.slave_path));
  close(console);
  return platform::AttachTerminal(pty.slave.get());
}

// The part shared by the container's init and exec'd processes: from a
// root that is already the container's to the moment before execve.
absl::Status PrepareProcess(const Spec& spec, const InitConfig& config, const InitFds& fds, Prepared& prepared) {
  // Only stdio, the preserved fds and our own few survive exec.
  syscall(SYS_close_range, 3 + fds.preserve_fds, ~0U, CLOSE_RANGE_CLOEXEC);
  if (spec.process.terminal) {
    RETURN_IF_ERROR_CTX(SetUpTerminal(spec, fds.console), "process.terminal");  // setsid, then TIOCSCTTY
  } else if (setsid() < 0) {
    // Its own session and process group, as runc's nsexec gives every
    // process it starts: getsid(0) and getpgrp() are its pid.
    return LastError("setsid: making the process a session leader");
  }
  RETURN_IF_ERROR(EnterCwd(spec.process.cwd));
  prepared.env = spec.process.env;
  AddHome(prepared.env, spec.process.user.uid);
  ASSIGN_OR_RETURN(prepared.executable,
                   platform::LookPath(spec.process.args[0], EnvValue(prepared.env, "PATH")));
  ASSIGN_OR_RETURN(prepared.sandbox,
                   PendingSandboxFilter::Prepare(
                       config.sandbox, prepared.seccomp.takes_listener(),
                       fds.sentry, config.sandbox_filter));
  // Without no_new_privs a filter needs CAP_SYS_ADMIN: load it before the caps drop (runc).
  if (!spec.process.no_new_privileges) {
    RETURN_IF_ERROR(InstallFilters(prepared));
    // An exec's sentry runs already; the init's starts once we are set up.
    if (config.exec) RETURN_IF_ERROR(prepared.sandbox.AwaitSentry());
  }
  ASSIGN_OR_RETURN(prepared.warnings, ApplyProcessAttributes(spec.process));
  return absl::OkStatus();
}

// The create-time hooks, at the moment the OCI spec puts them: namespaces
// and mounts exist, pivot_root has not happened. prestart and createRuntime
// run in the runtime's namespaces, so runsc create runs them (we ask over
// the sync channel); createContainer hooks run here, in the container's.
absl::Status RunCreateHooks(const Spec& spec, const InitConfig& config, int sync_fd) {
  if (!spec.hooks.prestart.empty() || !spec.hooks.create_runtime.empty()) {
    RETURN_IF_ERROR(platform::SendMessage(sync_fd, {{"run_hooks", "createRuntime"}}));
    ASSIGN_OR_RETURN(nlohmann::json reply, platform::ReceiveMessage(sync_fd));
    if (reply.contains("error")) return absl::FailedPreconditionError(reply["error"].get<std::string>());
  }
  return RunHooks("createContainer", spec.hooks.create_container, config.hook_state);
}

// Host storage becomes read-only to the workload only when its writes can
// reach the gofer: with the broker rows trapped, and the filter trapping
// (SandboxTraps: on seccomp-notify an OCI profile with SCMP_ACT_NOTIFY takes
// the only listener; the container then writes host storage natively, as
// under runc, and we log it).
// Records in `prepared` the mounts made read-only (the gofer's writable ones).
absl::Status ProtectHostStorageIfBrokered(const Spec& spec, const sentry::SandboxConfig& sandbox,
                                          Prepared& prepared) {
  ASSIGN_OR_RETURN(sentry::Policy policy, sandbox.BuildPolicy());
  if (!policy.broker_to_gofer()) return absl::OkStatus();
  ASSIGN_OR_RETURN(const bool traps, SandboxTraps(sandbox, prepared.seccomp.takes_listener()));
  if (!traps) {
    spdlog::warn("linux.seccomp uses SCMP_ACT_NOTIFY: host storage stays writable without the gofer");
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(prepared.made_readonly, ProtectHostStorage(FindHostStorage(spec, sandbox.overlay == "memory"),
                                                              sandbox.allow_suid, prepared.host_proc.get()));
  return absl::OkStatus();
}

// The init's start-up timeline: [phase, CLOCK_MONOTONIC ns] pairs, sent
// with its "ok" for runsc create to log (the init has no log of its own).
nlohmann::json& Timeline() {
  static nlohmann::json* timeline = new nlohmann::json(nlohmann::json::array());
  return *timeline;
}

void MarkPhase(const char* phase) { Timeline().push_back(nlohmann::json::array({phase, platform::MonotonicNanos()})); }

absl::StatusOr<Prepared> SetUpContainer(const Spec& spec, const InitConfig& config, const InitFds& fds) {
  ASSIGN_OR_RETURN(sentry::SandboxConfig sandbox, sentry::SandboxConfig::FromJson(config.sandbox));
  RETURN_IF_ERROR(CheckJoinedUserNamespaceMappings(spec));
  RETURN_IF_ERROR(EnterNamespaces(spec));
  RETURN_IF_ERROR(SetUpNetwork(spec));
  MarkPhase("namespaces entered");
  RETURN_IF_ERROR(PrepareRootfs(spec, sandbox));
  MarkPhase("mounts made");
  RETURN_IF_ERROR(SetIdentity(spec, config));
  RETURN_IF_ERROR(RunCreateHooks(spec, config, fds.sync));
  Prepared prepared;
  prepared.host_proc.reset(open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!prepared.host_proc.valid()) return LastError("opening /proc");
  ASSIGN_OR_RETURN(prepared.seccomp, platform::PendingOciSeccomp::Prepare(spec.linux.seccomp,
      {spec.oci_version, config.id, "creating", config.bundle, spec.annotations}));
  MarkPhase("OCI seccomp profile compiled");
  RETURN_IF_ERROR(platform::EnterRootfs(spec.root_path, config.no_pivot));
  // The new root itself (not its submounts, whose propagation the spec's
  // mounts chose) gets the rootfsPropagation asked for, as crun does.
  RETURN_IF_ERROR(platform::SetRootPropagation(RootPropagation(spec.linux.rootfs_propagation) & ~MS_REC));
  if (spec.root_readonly) RETURN_IF_ERROR_CTX(platform::RemountRootReadonly(), "root.readonly");
  MarkPhase("root entered");
  RETURN_IF_ERROR(ProtectHostStorageIfBrokered(spec, sandbox, prepared));
  MarkPhase("host storage made read-only");
  RETURN_IF_ERROR(PrepareProcess(spec, config, fds, prepared));
  MarkPhase("process prepared (sandbox filter compiled)");
  return prepared;
}

// exec: joins every namespace of the running container through its init's
// pidfd (the pid namespace was entered by runsc exec, which forked us into
// it). Joining the mount namespace also moves our root and cwd to its root.
absl::StatusOr<Prepared> JoinContainer(const Spec& spec, const InitConfig& config, const InitFds& fds) {
  int flags = CLONE_NEWNS;  // the sandbox has a mount namespace even when the spec has none
  for (const Namespace& ns : spec.linux.namespaces) {
    if (ns.clone_flag != CLONE_NEWPID) flags |= ns.clone_flag;
  }
  Prepared prepared;
  // The container's seccomp profile applies to exec'd processes too; it is
  // compiled (and its agent reached) while the host's paths are visible.
  ASSIGN_OR_RETURN(prepared.seccomp, platform::PendingOciSeccomp::Prepare(spec.linux.seccomp,
      {spec.oci_version, config.id, "running", config.bundle, spec.annotations}));
  if (flags != 0 && setns(fds.target_pidfd, flags) != 0) return LastError("joining the container's namespaces");
  RETURN_IF_ERROR(PrepareProcess(spec, config, fds, prepared));
  return prepared;
}

absl::StatusOr<Prepared> SetUp(const InitConfig& config, const InitFds& fds) {
  ASSIGN_OR_RETURN(Spec spec, ParseSpec(config.spec, config.bundle));
  absl::StatusOr<Prepared> prepared = config.exec ? JoinContainer(spec, config, fds) : SetUpContainer(spec, config, fds);
  if (prepared.ok()) prepared->hooks = spec.hooks;
  return prepared;
}


}  // namespace

nlohmann::json InitConfigToJson(const InitConfig& config) {
  return {{"id", config.id},
          {"bundle", config.bundle},
          {"spec", config.spec},
          {"no_pivot", config.no_pivot},
          {"no_new_keyring", config.no_new_keyring},
          {"exec", config.exec},
          {"hook_state", config.hook_state},
          {"sandbox", config.sandbox},
          {"sandbox_filter", config.sandbox_filter}};
}

int RunContainerInit(const InitFds& fds) {
  prctl(PR_SET_NAME, "runsc:[INIT]");
  absl::StatusOr<InitConfig> config = ReceiveConfig(fds.sync);
  if (!config.ok()) return 1;
  MarkPhase("config received");
  absl::StatusOr<Prepared> prepared = SetUp(*config, fds);
  if (!prepared.ok()) {
    (void)platform::SendMessage(fds.sync, {{"error", std::string(prepared.status().message())}});
    return 1;
  }
  nlohmann::json made_readonly = nlohmann::json::array();
  for (const platform::MountTarget& mount : prepared->made_readonly) made_readonly.push_back(mount.destination);
  if (!platform::SendMessage(fds.sync, {{"ok", true}, {"warnings", prepared->warnings},
                                        {"made_readonly", made_readonly}, {"timeline", Timeline()}}).ok()) {
    return 1;
  }
  close(fds.sync);
  UniqueFd started_fifo;
  if (!config->exec) {
    ExitOnTerminatingSignals();
    // The sentry runs now; a filter loaded during set-up traps the fifo's open.
    if (absl::Status served = prepared->sandbox.AwaitSentry(); !served.ok()) return FailAfterStart(-1, served);
    absl::StatusOr<UniqueFd> started = WaitForStart(prepared->host_proc.release(), fds.fifo);
    if (!started.ok()) return FailAfterStart(-1, started.status());
    started_fifo = *std::move(started);
    close(fds.fifo);
    // startContainer hooks run in the container and may write its storage,
    // which is read-only to them without the broker: our filter goes in
    // first. Only when the OCI profile has no listener of its own: then the
    // order of the two changes nothing (no USER_NOTIF to compete for).
    // (On ptrace, with such a profile, ours still goes in last.)
    if (!prepared->seccomp.takes_listener() && !prepared->hooks.start_container.empty()) {
      absl::Status sandbox = prepared->sandbox.Install();
      if (sandbox.ok()) sandbox = prepared->sandbox.AwaitSentry();
      if (!sandbox.ok()) return FailAfterStart(started_fifo.get(), sandbox);
    }
    nlohmann::json state = config->hook_state;
    state["status"] = "created";
    absl::Status hooks = RunHooks("startContainer", prepared->hooks.start_container, state);
    if (!hooks.ok()) return FailAfterStart(started_fifo.get(), hooks);
  }
  std::vector<std::string> args = config->spec["process"]["args"].get<std::vector<std::string>>();
  std::vector<char*> argv = CStringArray(args);
  std::vector<char*> envp = CStringArray(prepared->env);
  // With no_new_privs the profile goes in last, so it cannot block our own setup.
  absl::Status seccomp = InstallFilters(*prepared);
  if (seccomp.ok()) seccomp = prepared->sandbox.AwaitSentry();
  if (!seccomp.ok()) return FailAfterStart(started_fifo.get(), seccomp);
  execve(prepared->executable.c_str(), argv.data(), envp.data());
  return FailAfterStart(started_fifo.get(), platform::LastError(fmt::format("exec {}", prepared->executable)), 127);
}

}  // namespace runsc
