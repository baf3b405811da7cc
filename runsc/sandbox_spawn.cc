#include "runsc/sandbox_spawn.h"

#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <signal.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "fmt/format.h"
#include "platform/errors.h"
#include "platform/status_macros.h"
#include "platform/sync_channel.h"
#include "runsc/device_rules.h"
#include "runsc/host_mounts.h"

namespace runsc {
namespace {

using platform::LastError;
using platform::UniqueFd;

// The logging flags of the sandbox's processes: the CLI's --log, and its
// --debug-log pattern unexpanded, so that each process names its own file
// (%COMMAND%: boot, gofer, watchdog).
std::vector<std::string> GlobalLogArgs(const platform::LogOptions& log) {
  std::vector<std::string> args;
  if (!log.path.empty()) args = {"--log", log.path};
  args.insert(args.end(), {"--log-format", log.format});
  if (log.debug) args.push_back("--debug");
  if (!log.debug_log.empty()) args.insert(args.end(), {"--debug-log", log.debug_log});
  return args;
}


// The gofer's arguments: its fds, and what it needs of the spec (which of
// its copy's mounts to make writable, the device rules mknod obeys).
std::vector<std::string> GoferArgs(const SpawnRequest& request, const Spec& spec, const SandboxStart& start) {
  const sentry::SandboxConfig& sandbox = start.config;
  std::vector<std::string> args = {"gofer", "--id", start.view.id, "--init-pidfd", std::to_string(ChildFd(request, 0)),
                                   "--sentry-socket-fd", std::to_string(ChildFd(request, 1)), "--ready-fd",
                                   std::to_string(ChildFd(request, 2))};
  for (const std::string& mount : start.made_readonly) args.insert(args.end(), {"--writable-mount", mount});
  for (const auto& [allow, rule] : DeviceCgroupRules(spec)) {
    args.insert(args.end(), {"--device-rule", fmt::format("{} {}", allow ? "allow" : "deny", rule)});
  }
  if (sandbox.virtual_proc) args.insert(args.end(), {"--virtual-proc-cgroup", start.view.cgroup.dump()});
  if (sandbox.directfs) args.push_back("--donate-root");
  return args;
}

// Passes `fd` (if any) to the child as `flag` N.
void PassOptionalFd(SpawnRequest& request, int fd, const char* flag) {
  if (fd < 0) return;
  request.pass_fds.push_back(fd);
  request.argv.insert(request.argv.end(), {flag, std::to_string(ChildFd(request, request.pass_fds.size() - 1))});
}

// A daemon's ready socket: our end, and its end (closed here once it is
// spawned, with the request).
struct ReadyPair {
  UniqueFd ours, theirs;
};

absl::StatusOr<ReadyPair> MakeReadyPair() {
  int ready[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ready) != 0)
    return LastError("socketpair");
  return ReadyPair{UniqueFd(ready[0]), UniqueFd(ready[1])};
}

}  // namespace

absl::StatusOr<sentry::SandboxConfig> ApplyAnnotations(const sentry::SandboxConfig& sandbox, const Spec& spec) {
  sentry::SandboxConfig config = sandbox;
  auto annotation = spec.annotations.find(kVirtualProcAnnotation);
  if (annotation == spec.annotations.end()) return config;
  if (annotation->second != "true" && annotation->second != "false") {
    return absl::InvalidArgumentError(fmt::format("config.json: annotations[\"{}\"] is \"{}\": expected \"true\" or \"false\"",
                                                  kVirtualProcAnnotation, annotation->second));
  }
  config.virtual_proc = annotation->second == "true";
  return config;
}

void KillChild(const SpawnedChild& child) {
  syscall(SYS_pidfd_send_signal, child.pidfd.get(), SIGKILL, nullptr, 0);
  waitpid(child.pid, nullptr, 0);
}

absl::StatusOr<GoferChannel> MakeGoferChannel() {
  int channel[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, channel) != 0)
    return LastError("socketpair");
  return GoferChannel{UniqueFd(channel[0]), UniqueFd(channel[1])};
}

absl::StatusOr<StartingDaemon> StartSentry(const SandboxStart& start,
                                           const platform::LogOptions& log) {
  ASSIGN_OR_RETURN(ReadyPair ready, MakeReadyPair());
  SpawnRequest request;
  request.exe_fd = start.exe_fd;
  request.pass_fds = {start.init_pidfd, ready.theirs.get(), start.init_channel};
  request.new_session = true;
  request.null_stdio = true;
  request.argv = {"runsc"};
  for (std::string& arg : GlobalLogArgs(log)) request.argv.push_back(arg);
  request.argv.insert(request.argv.end(), {"boot", "--id", start.view.id, "--init-pidfd", std::to_string(ChildFd(request, 0)),
                                           "--ready-fd", std::to_string(ChildFd(request, 1)), "--init-channel-fd",
                                           std::to_string(ChildFd(request, 2))});
  PassOptionalFd(request, start.gofer_channel, "--gofer-fd");
  PassOptionalFd(request, start.watchdog_lifeline, "--watchdog-fd");
  PassOptionalFd(request, start.cgroup_kill_fd, "--cgroup-kill-fd");
  ASSIGN_OR_RETURN(SpawnedChild sentry, SpawnSelf(request));
  return StartingDaemon{std::move(sentry), std::move(ready.ours)};
}

absl::Status SendSentryConfig(const StartingDaemon& sentry,
                              const SandboxStart& start) {
  absl::Status sent = platform::SendMessage(
      sentry.ready.get(),
      {{"sandbox", start.config.ToJson()}, {"container", start.view.ToJson()}});
  if (!sent.ok()) KillChild(sentry.child);
  return platform::Annotate(sent, "sending the sentry its config");
}

namespace {

// A daemon's answer on its ready socket: `error` is empty when it failed
// without saying why (it died).
struct ReadyAnswer {
  bool ok = false;
  std::string error;
};

// Reads `daemon`'s answer; kills it unless it serves.
ReadyAnswer AwaitAnswer(const StartingDaemon& daemon) {
  absl::StatusOr<nlohmann::json> reply =
      platform::ReceiveMessage(daemon.ready.get());
  ReadyAnswer answer;
  answer.ok = reply.ok() && reply->contains("ok");
  if (!answer.ok) KillChild(daemon.child);
  if (!answer.ok && reply.ok() && reply->contains("error"))
    answer.error = reply->at("error").get<std::string>();
  return answer;
}

absl::Status StartFailed(const char* what, const ReadyAnswer& answer) {
  if (answer.error.empty())
    return absl::InternalError(
        fmt::format("the {} failed to start (see the log)", what));
  return absl::InternalError(
      fmt::format("the {} failed to start: {}", what, answer.error));
}

}  // namespace

absl::Status AwaitSandbox(const StartingDaemon* gofer,
                          const StartingDaemon& sentry) {
  const ReadyAnswer gofer_answer =
      gofer != nullptr ? AwaitAnswer(*gofer) : ReadyAnswer{true, ""};
  // Bounded when the gofer failed: the sentry's handshake then meets a
  // closed socket.
  const ReadyAnswer sentry_answer = AwaitAnswer(sentry);
  const bool sentry_said_why =
      !sentry_answer.ok && !sentry_answer.error.empty();
  if (!gofer_answer.ok && (!gofer_answer.error.empty() || !sentry_said_why))
    return StartFailed("gofer", gofer_answer);
  if (!sentry_answer.ok) return StartFailed("sentry", sentry_answer);
  return absl::OkStatus();
}

absl::StatusOr<StartingDaemon> StartGofer(const SandboxStart& start,
                                          const Spec& spec, int gofer_end,
                                          const platform::LogOptions& log) {
  ASSIGN_OR_RETURN(ReadyPair ready, MakeReadyPair());
  SpawnRequest request;
  request.exe_fd = start.exe_fd;
  request.pass_fds = {start.init_pidfd, gofer_end, ready.theirs.get()};
  request.new_session = true;
  request.null_stdio = true;
  request.argv = {"runsc"};
  for (std::string& arg : GlobalLogArgs(log)) request.argv.push_back(arg);
  for (std::string& arg : GoferArgs(request, spec, start)) request.argv.push_back(arg);
  PassOptionalFd(request, start.cgroup_kill_fd, "--cgroup-kill-fd");
  ASSIGN_OR_RETURN(SpawnedChild gofer, SpawnSelf(request));
  return StartingDaemon{std::move(gofer), std::move(ready.ours)};
}

absl::StatusOr<SpawnedChild> SpawnWatchdog(const SandboxStart& start, int sentry_pidfd, int lifeline,
                                           const platform::LogOptions& log) {
  SpawnRequest request;
  request.exe_fd = start.exe_fd;
  request.pass_fds = {start.init_pidfd, sentry_pidfd};
  request.new_session = true;
  request.null_stdio = true;
  request.argv = {"runsc"};
  for (std::string& arg : GlobalLogArgs(log)) request.argv.push_back(arg);
  request.argv.insert(request.argv.end(), {"watchdog", "--id", start.view.id, "--init-pidfd",
                                           std::to_string(ChildFd(request, 0)), "--sentry-pidfd",
                                           std::to_string(ChildFd(request, 1)), "--cgroup", start.view.cgroup.dump()});
  PassOptionalFd(request, lifeline, "--lifeline-fd");
  PassOptionalFd(request, start.cgroup_kill_fd, "--cgroup-kill-fd");
  return SpawnSelf(request);
}

}  // namespace runsc
