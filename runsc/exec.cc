#include "runsc/exec.h"

#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include "fmt/format.h"
#include "platform/cgroups.h"
#include "platform/errors.h"
#include "platform/self_exe.h"
#include "platform/status_macros.h"
#include "platform/sync_channel.h"
#include "platform/unix_socket.h"
#include "runsc/console.h"
#include "runsc/container.h"
#include "runsc/container_init.h"
#include "runsc/foreground.h"
#include "runsc/spawn.h"
#include "runsc/spec.h"
#include "spdlog/spdlog.h"

namespace runsc {
namespace {

using platform::LastError;
using platform::UniqueFd;

absl::StatusOr<nlohmann::json> ReadProcessFile(const std::string& path) {
  std::ifstream file(path);
  if (!file) return platform::ErrnoError(errno, fmt::format("--process {}", path));
  nlohmann::json process = nlohmann::json::parse(file, nullptr, false);
  if (process.is_discarded() || !process.is_object()) {
    return absl::InvalidArgumentError(fmt::format("--process {}: not a JSON object", path));
  }
  return process;
}

absl::Status ApplyUser(const std::string& user, nlohmann::json& process) {
  uint32_t uid = 0, gid = 0;
  char extra;
  int fields = sscanf(user.c_str(), "%u:%u%c", &uid, &gid, &extra);
  if (fields == 1 && user.find(':') == std::string::npos) {
    process["user"]["uid"] = uid;
    return absl::OkStatus();
  }
  if (fields != 2) return absl::InvalidArgumentError(fmt::format("--user \"{}\": want uid[:gid], numeric", user));
  process["user"]["uid"] = uid;
  process["user"]["gid"] = gid;
  return absl::OkStatus();
}

void AddCapabilities(const std::vector<std::string>& caps, nlohmann::json& process) {
  for (const char* set : {"bounding", "effective", "inheritable", "permitted", "ambient"}) {
    for (const std::string& cap : caps) process["capabilities"][set].push_back(cap);
  }
}

// The config.json with its process replaced, parsed again so that a bad
// --process is refused with the field named, before anything starts.
absl::StatusOr<nlohmann::json> ExecDocument(const ContainerState& state, const ExecOptions& options) {
  if (!state.config.contains("process")) return absl::DataLossError("state.json has no config to exec with");
  ASSIGN_OR_RETURN(nlohmann::json process, BuildExecProcess(state.config["process"], options));
  nlohmann::json doc = state.config;
  doc["process"] = process;
  ASSIGN_OR_RETURN(Spec spec, platform::Annotate(ParseSpec(doc, state.bundle), "exec"));
  return doc;
}

struct ExecTarget {
  ContainerState state;
  UniqueFd init_pidfd;
  nlohmann::json doc;
  UniqueFd sentry;  // a connection to the sentry's control socket
};

// The new process's filter hands its listener over this connection. No
// sentry, no exec: the process would run with every trapped call ENOSYS.
absl::StatusOr<UniqueFd> ConnectToSentry(const ContainerDir& dir, const std::string& id) {
  absl::StatusOr<UniqueFd> connection = platform::ConnectUnix(dir.path() + "/sentry.sock");
  if (!connection.ok()) {
    return absl::FailedPreconditionError(fmt::format("cannot exec in container {}: its sentry is not running ({})", id,
                                                     std::string(connection.status().message())));
  }
  return connection;
}

// Loads the container under its lock; the lock is not held while the
// process runs (a long exec must not block kill or delete).
absl::StatusOr<ExecTarget> LoadTarget(const GlobalOptions& global, const ExecOptions& options) {
  ASSIGN_OR_RETURN(ContainerDir dir, StateStore(global.root).Open(options.id));
  ASSIGN_OR_RETURN(ContainerState state, dir.Load());
  Status status = dir.DeriveStatus(state);
  if (status == Status::kStopped || status == Status::kPaused) {
    return absl::FailedPreconditionError(
        fmt::format("cannot exec in a {} container {}", StatusName(status), options.id));
  }
  ASSIGN_OR_RETURN(nlohmann::json doc, ExecDocument(state, options));
  ASSIGN_OR_RETURN(UniqueFd init, OpenContainerInit(state));
  ASSIGN_OR_RETURN(UniqueFd sentry, ConnectToSentry(dir, options.id));
  return ExecTarget{std::move(state), std::move(init), std::move(doc), std::move(sentry)};
}

absl::StatusOr<std::pair<SpawnedChild, UniqueFd>> SpawnExec(const ExecTarget& target, int preserve_fds,
                                                             int console_fd) {
  ASSIGN_OR_RETURN(UniqueFd exe, platform::SealedSelfExe());
  int sync[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sync) != 0) return LastError("socketpair");
  UniqueFd ours(sync[0]), theirs(sync[1]);
  SpawnRequest request;
  request.exe_fd = exe.get();
  request.preserve_fds = preserve_fds;
  request.pass_fds = {theirs.get(), target.init_pidfd.get(), target.sentry.get()};
  request.argv = {"runsc", "init", "--sync-fd", std::to_string(ChildFd(request, 0)), "--target-pidfd",
                  std::to_string(ChildFd(request, 1)), "--sentry-fd", std::to_string(ChildFd(request, 2)),
                  "--preserve-fds", std::to_string(preserve_fds)};
  if (console_fd >= 0) {
    request.pass_fds.push_back(console_fd);
    request.argv.insert(request.argv.end(), {"--console-fd", std::to_string(ChildFd(request, 3))});
  }
  PidNamespaceForChildren pid_ns;
  RETURN_IF_ERROR_CTX(pid_ns.Enter(target.init_pidfd.get()), "exec");
  ASSIGN_OR_RETURN(SpawnedChild child, SpawnSelf(request));
  return std::make_pair(std::move(child), std::move(ours));
}

// Puts the process in the container's cgroup, hands it its config and waits
// for it to be ready to exec; on failure the process is killed and reaped.
absl::Status ConfigureExec(const ExecTarget& target, const SpawnedChild& child, int sync_fd) {
  absl::Status status = [&]() -> absl::Status {
    ASSIGN_OR_RETURN(platform::Cgroup cgroup, platform::Cgroup::FromJson(target.state.cgroup));
    RETURN_IF_ERROR(cgroup.AddProcess(child.pid));
    InitConfig config;
    config.id = target.state.id;
    config.bundle = target.state.bundle;
    config.spec = target.doc;
    config.no_new_keyring = true;  // keep the container's session keyring
    config.exec = true;
    config.sandbox = target.state.sandbox;
    RETURN_IF_ERROR(platform::SendMessage(sync_fd, InitConfigToJson(config)));
    ASSIGN_OR_RETURN(nlohmann::json reply, platform::ReceiveMessage(sync_fd));
    if (reply.contains("error")) return absl::FailedPreconditionError(reply["error"].get<std::string>());
    for (const auto& warning : reply.value("warnings", nlohmann::json::array())) {
      spdlog::debug("exec in {}: {}", target.state.id, warning.get<std::string>());
    }
    return absl::OkStatus();
  }();
  if (!status.ok()) {
    syscall(SYS_pidfd_send_signal, child.pidfd.get(), SIGKILL, nullptr, 0);
    waitpid(child.pid, nullptr, 0);
  }
  return status;
}

}  // namespace

absl::StatusOr<nlohmann::json> BuildExecProcess(const nlohmann::json& config_process, const ExecOptions& options) {
  if (!options.process_file.empty()) return ReadProcessFile(options.process_file);
  if (options.args.empty()) return absl::InvalidArgumentError("exec: no command given (args must not be empty)");
  nlohmann::json process = config_process;
  process["args"] = options.args;
  process["terminal"] = options.tty;
  for (const std::string& entry : options.env) process["env"].push_back(entry);
  if (!options.cwd.empty()) process["cwd"] = options.cwd;
  if (!options.user.empty()) RETURN_IF_ERROR(ApplyUser(options.user, process));
  if (!options.additional_gids.empty()) process["user"]["additionalGids"] = options.additional_gids;
  if (!options.caps.empty()) AddCapabilities(options.caps, process);
  if (options.no_new_privs) process["noNewPrivileges"] = true;
  return process;
}

absl::StatusOr<int> ExecCommand(const GlobalOptions& global, const ExecOptions& options) {
  if (options.preserve_fds < 0) return absl::InvalidArgumentError("--preserve-fds must not be negative");
  ASSIGN_OR_RETURN(ExecTarget target, LoadTarget(global, options));
  bool terminal = target.doc["process"].value("terminal", false);
  ASSIGN_OR_RETURN(ConsoleChannel console, OpenConsoleChannel(terminal, options.console_socket, !options.detach));
  ASSIGN_OR_RETURN(UniqueFd signals, BlockSignals());
  ASSIGN_OR_RETURN(auto child_and_sync, SpawnExec(target, options.preserve_fds, console.theirs.get()));
  auto& [child, sync] = child_and_sync;
  console.theirs.reset();
  RETURN_IF_ERROR(ConfigureExec(target, child, sync.get()));
  UniqueFd master;
  if (console.ours.valid()) {
    ASSIGN_OR_RETURN(master, platform::Annotate(platform::ReceiveFd(console.ours.get()), "receiving the pty"));
  }
  if (!options.pid_file.empty()) RETURN_IF_ERROR(WritePidFile(options.pid_file, child.pid));
  if (options.detach) return 0;
  return WaitForwardingSignals(signals.get(), child.pid, child.pidfd.get(), master.get());
}

}  // namespace runsc
