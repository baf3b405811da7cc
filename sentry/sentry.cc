#include "sentry/sentry.h"

#include <errno.h>
#include <malloc.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <thread>

#include "fmt/format.h"
#include "platform/cgroups.h"
#include "platform/errors.h"
#include "platform/platform.h"
#include "platform/status_macros.h"
#include "platform/sync_channel.h"
#include "sentry/broker.h"
#include "sentry/call_log.h"
#include "sentry/config.h"
#include "sentry/control_server.h"
#include "sentry/direct_fs.h"
#include "sentry/dispatcher.h"
#include "sentry/emulation.h"
#include "sentry/gofer_client.h"
#include "sentry/policy_learn.h"
#include "sentry/sentry_filter.h"
#include "spdlog/spdlog.h"

namespace sentry {
namespace {

// Fail closed: every process of the container's cgroup (cgroup.kill, which
// needs no pid namespace and no signal permission: the file was opened by
// runsc create), then the init (and with it its pid namespace).
void KillContainer(int init_pidfd, int cgroup_kill_fd) {
  if (cgroup_kill_fd >= 0 && write(cgroup_kill_fd, "1", 1) != 1) {
    spdlog::warn("writing cgroup.kill: {}", strerror(errno));
  }
  syscall(SYS_pidfd_send_signal, init_pidfd, SIGKILL, nullptr, 0);
}

// The watchdog holds the only write end of `watchdog_fd`: it reads ready
// (hung up) once the watchdog is gone. Then `fatal` stops the container.
// Waits up to `timeout_ms` (-1: forever) for the watchdog or `other_fd`.
void WatchWatchdog(int watchdog_fd, int other_fd, int timeout_ms, const Dispatcher::FatalHandler& fatal) {
  struct pollfd fds[2] = {{watchdog_fd, POLLIN, 0}, {other_fd, POLLIN, 0}};
  while (poll(fds, 2, timeout_ms) < 0 && errno == EINTR) {
  }
  if (fds[0].revents != 0) fatal("the watchdog died");
}

// Blocks until the init's pidfd reports its exit (or the watchdog dies).
void WaitForInitExit(int init_pidfd, int watchdog_fd, const Dispatcher::FatalHandler& fatal) {
  WatchWatchdog(watchdog_fd, init_pidfd, -1, fatal);
}

// Everything the sentry runs with, built before it confines itself.
struct Sentry {
  SandboxConfig config;
  ContainerView view;
  Policy policy;
  std::unique_ptr<Emulator> emulator;
  std::unique_ptr<CallLog> log;
  std::unique_ptr<GoferClient> gofer;  // null without --gofer-fd
  std::unique_ptr<DirectFs> direct;   // directfs: the gofer donated its root
  std::unique_ptr<Broker> broker;
  std::unique_ptr<Dispatcher> dispatcher;
  std::unique_ptr<PolicyLearner> learner;          // --policy-learn only
  std::unique_ptr<LearningHandler> learning;       // in front of the dispatcher then
  std::unique_ptr<platform::Platform> platform;
  std::unique_ptr<ControlServer> control;
  Dispatcher::FatalHandler fatal;  // kills the container and exits
};

// uname reads the uts namespace of its caller: the sentry moves into the
// container's (new, joined or the host's), so a sethostname inside shows in
// the next uname.
absl::Status JoinUtsNamespace(int init_pidfd) {
  if (setns(init_pidfd, CLONE_NEWUTS) != 0) return platform::LastError("joining the container's uts namespace");
  return absl::OkStatus();
}

// directfs (direct_fs.h) when the gofer donated its root: it does so only
// with --directfs and for a container in the host's user namespace.
absl::Status StartDirectFs(const Dispatcher::FatalHandler& fatal, Sentry& sentry) {
  if (sentry.gofer == nullptr) return absl::OkStatus();
  platform::UniqueFd root = sentry.gofer->TakeDonatedRoot();
  if (!root.valid()) {
    if (sentry.config.directfs) spdlog::debug("sentry for container {}: directfs off (no donated root)", sentry.view.id);
    return absl::OkStatus();
  }
  if (!sentry.config.directfs) return absl::InternalError("the gofer donated its root, but directfs is off");
  auto on_failure = [fatal](const absl::Status& why) { fatal(std::string(why.message())); };
  ASSIGN_OR_RETURN(sentry.direct, DirectFs::Create(std::move(root), sentry.gofer.get(), on_failure));
  spdlog::debug("sentry for container {}: directfs on", sentry.view.id);
  return absl::OkStatus();
}

// The gofer connection (handshake now, reader thread once confined) and
// the broker. When the gofer is gone the container is stopped (DESIGN.md:
// brokered calls fail with EIO and the sentry kills the container).
absl::Status ConnectGofer(const SentryOptions& options, const Dispatcher::FatalHandler& fatal, Sentry& sentry) {
  if (options.gofer_fd >= 0) {
    auto on_failure = [fatal](const absl::Status& why) {
      fatal(fmt::format("the gofer connection failed: {}", std::string(why.message())));
    };
    ASSIGN_OR_RETURN(sentry.gofer, GoferClient::Connect(platform::UniqueFd(options.gofer_fd), on_failure));
  } else if (sentry.policy.broker_to_gofer()) {
    spdlog::warn("sentry for container {}: broker rows are trapped but there is no gofer: they get EIO",
                 sentry.view.id);
  }
  RETURN_IF_ERROR(StartDirectFs(fatal, sentry));
  FileCalls* files = sentry.direct ? static_cast<FileCalls*>(sentry.direct.get()) : sentry.gofer.get();
  sentry.broker = std::make_unique<Broker>(files, BrokerOptions{sentry.view.init_pid, options.init_pidfd, sentry.view.host_storage_under_dev});
  return absl::OkStatus();
}

// Learn mode (policy_learn.h): the learned policy's file is opened now,
// before the sentry confines itself, and the learner answers first.
absl::Status StartLearning(Sentry& sentry) {
  if (!sentry.policy.learn()) return absl::OkStatus();
  ASSIGN_OR_RETURN(sentry.learner, PolicyLearner::Create(sentry.config.policy_learn, sentry.view.id, sentry.policy));
  sentry.learning = std::make_unique<LearningHandler>(sentry.policy, *sentry.learner, *sentry.dispatcher);
  return absl::OkStatus();
}

absl::Status Build(const SentryOptions& options, const nlohmann::json& message, Sentry& sentry) {
  ASSIGN_OR_RETURN(sentry.config, SandboxConfig::FromJson(message.at("sandbox")));
  ASSIGN_OR_RETURN(sentry.view, ContainerView::FromJson(message.at("container")));
  RETURN_IF_ERROR(sentry.config.Validate());
  RETURN_IF_ERROR(JoinUtsNamespace(options.init_pidfd));
  std::optional<platform::Cgroup> cgroup;
  if (absl::StatusOr<platform::Cgroup> parsed = platform::Cgroup::FromJson(sentry.view.cgroup); parsed.ok()) {
    cgroup = std::move(*parsed);
  }
  sentry.emulator = std::make_unique<Emulator>(sentry.config, sentry.view, std::move(cgroup));
  ASSIGN_OR_RETURN(sentry.log, CallLog::Create(sentry.view.id, sentry.config.strace, sentry.config.audit_log));
  ASSIGN_OR_RETURN(sentry.policy, sentry.config.BuildPolicy());
  sentry.policy.set_notify_denials(true);
  const int init_pidfd = options.init_pidfd;
  const int cgroup_kill_fd = options.cgroup_kill_fd;
  const std::string id = sentry.view.id;
  // Fail closed (the gofer or the watchdog died, or the sentry itself
  // failed): kill every process of the container, then exit. The gofer and
  // the watchdog see the sentry go and kill it too.
  auto fatal = [init_pidfd, cgroup_kill_fd, id](const std::string& reason) {
    spdlog::error("sentry for container {}: {}; stopping the container", id, reason);
    spdlog::default_logger()->flush();
    KillContainer(init_pidfd, cgroup_kill_fd);
    _exit(1);
  };
  sentry.fatal = fatal;
  RETURN_IF_ERROR(ConnectGofer(options, fatal, sentry));
  sentry.dispatcher =
      std::make_unique<Dispatcher>(sentry.policy, *sentry.emulator, *sentry.log, fatal, sentry.broker.get());
  // Every call is answered by the thread that received it, one round trip;
  // before a brokered call (Dispatcher::MayBlock), which may wait for the
  // gofer, that thread hands its listener to a standby thread.
  RETURN_IF_ERROR(StartLearning(sentry));
  ASSIGN_OR_RETURN(sentry.platform, platform::CreatePlatform(sentry.config.platform));
  platform::Platform* serving = sentry.platform.get();
  CallLog* log = sentry.log.get();
  Broker* broker = sentry.broker.get();
  // The init attaches just before it execs (or, when its filter loads
  // during set-up, before it opens the exec fifo): its root is the container
  // root then, which the broker compares callers' roots with.
  ControlHandlers handlers{[serving, broker](platform::UniqueFd fd) {
                             broker->CaptureContainerRoot();
                             return serving->Attach(std::move(fd));
                           },
                           [log] { return log->Stats(); }};
  ASSIGN_OR_RETURN(sentry.control, ControlServer::Listen(sentry.view.control_path, handlers));
  return absl::OkStatus();
}

// Serving threads start only after ConfineSentry, so that they inherit its
// capability drop, no_new_privs and filter.
absl::Status StartServing(Sentry& sentry, int init_channel_fd) {
  RETURN_IF_ERROR(ConfineSentry(sentry.platform->SentrySyscalls(), sentry.direct != nullptr));
  if (sentry.gofer != nullptr) sentry.gofer->Start();
  platform::CallHandler* handler = sentry.learning ? static_cast<platform::CallHandler*>(sentry.learning.get())
                                                   : sentry.dispatcher.get();
  RETURN_IF_ERROR(sentry.platform->Start(handler));
  sentry.control->Start();
  // The init attaches over its own channel whenever `start` comes.
  ControlServer* control = sentry.control.get();
  std::thread([control, init_channel_fd] {
    control->ServeConnection(init_channel_fd, /*bounded=*/false);
    close(init_channel_fd);
  }).detach();
  return absl::OkStatus();
}

// After the init: exec'd processes outside a pid namespace may still be
// trapped; serve them until the last attached one is gone (still watching
// the watchdog).
void ServeUntilNoneAttached(const platform::Platform& platform, int watchdog_fd,
                            const Dispatcher::FatalHandler& fatal) {
  while (platform.AttachedCount() > 0) WatchWatchdog(watchdog_fd, -1, 50, fatal);
}

}  // namespace

int RunSentry(const SentryOptions& options) {
  prctl(PR_SET_NAME, "runsc-sentry");
  // A peer that hangs up (the init, once it is attached) must cost an
  // EPIPE, not the sentry.
  signal(SIGPIPE, SIG_IGN);
  absl::StatusOr<nlohmann::json> message = platform::ReceiveMessage(options.ready_fd);
  Sentry sentry;
  absl::Status status = message.ok() ? Build(options, *message, sentry) : message.status();
  if (status.ok()) status = StartServing(sentry, options.init_channel_fd);
  nlohmann::json reply = status.ok() ? nlohmann::json{{"ok", true}}
                                     : nlohmann::json{{"error", std::string(status.message())}};
  absl::Status sent = platform::SendMessage(options.ready_fd, reply);
  close(options.ready_fd);
  if (!status.ok() || !sent.ok()) {
    spdlog::error("sentry for container {}: {}", options.container_id,
                  std::string((status.ok() ? sent : status).message()));
    return 1;
  }
  spdlog::debug("sentry for container {} serving on {}", options.container_id, sentry.platform->Name());
  // Start-up's garbage (the parsed command line and set-up message, the
  // filter compilation) goes back to the kernel: an idle container keeps
  // only what serving needs.
  malloc_trim(0);
  WaitForInitExit(options.init_pidfd, options.watchdog_fd, sentry.fatal);
  ServeUntilNoneAttached(*sentry.platform, options.watchdog_fd, sentry.fatal);
  spdlog::debug("sentry for container {}: the init exited; stopping", options.container_id);
  return 0;
}

}  // namespace sentry
