#include "sentry/sentry.h"

#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>
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
#include "sentry/dispatcher.h"
#include "sentry/emulation.h"
#include "sentry/gofer_client.h"
#include "sentry/sentry_filter.h"
#include "spdlog/spdlog.h"

namespace sentry {
namespace {

// Blocks until the init's pidfd reports its exit.
void WaitForInitExit(int init_pidfd) {
  struct pollfd poller = {init_pidfd, POLLIN, 0};
  while (poll(&poller, 1, -1) < 0 && errno == EINTR) {
  }
}

// Everything the sentry runs with, built before it confines itself.
struct Sentry {
  SandboxConfig config;
  ContainerView view;
  Policy policy;
  std::unique_ptr<Emulator> emulator;
  std::unique_ptr<CallLog> log;
  std::unique_ptr<GoferClient> gofer;  // null without --gofer-fd
  std::unique_ptr<Broker> broker;
  std::unique_ptr<Dispatcher> dispatcher;
  std::unique_ptr<platform::Platform> platform;
  std::unique_ptr<ControlServer> control;
};

// uname reads the uts namespace of its caller: the sentry moves into the
// container's (new, joined or the host's), so a sethostname inside shows in
// the next uname.
absl::Status JoinUtsNamespace(int init_pidfd) {
  if (setns(init_pidfd, CLONE_NEWUTS) != 0) return platform::LastError("joining the container's uts namespace");
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
  sentry.broker = std::make_unique<Broker>(sentry.gofer.get(), BrokerOptions{sentry.view.init_pid, options.init_pidfd});
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
  const std::string id = sentry.view.id;
  // Fail closed: kill the container's init (and with it its pid namespace),
  // then exit; the watchdog kills whatever else is left.
  auto fatal = [init_pidfd, id](const std::string& reason) {
    spdlog::error("sentry for container {}: {}; stopping the container", id, reason);
    spdlog::default_logger()->flush();
    syscall(SYS_pidfd_send_signal, init_pidfd, SIGKILL, nullptr, 0);
    _exit(1);
  };
  RETURN_IF_ERROR(ConnectGofer(options, fatal, sentry));
  sentry.dispatcher =
      std::make_unique<Dispatcher>(sentry.policy, *sentry.emulator, *sentry.log, fatal, sentry.broker.get());
  // Emulated and denied calls are answered on the receiving thread, one
  // round trip per call; brokered calls, which wait for the gofer, go to
  // worker threads the platform starts when the first one comes
  // (Dispatcher::MayBlock).
  ASSIGN_OR_RETURN(sentry.platform, platform::CreatePlatform(sentry.config.platform, /*handler_threads=*/0));
  platform::Platform* serving = sentry.platform.get();
  CallLog* log = sentry.log.get();
  Broker* broker = sentry.broker.get();
  // The init's listener comes just before it execs: its root is the
  // container root then, which the broker compares callers' roots with.
  ControlHandlers handlers{[serving, broker](platform::UniqueFd fd) {
                             broker->CaptureContainerRoot();
                             return serving->AddListener(std::move(fd));
                           },
                           [log] { return log->Stats(); }};
  ASSIGN_OR_RETURN(sentry.control, ControlServer::Listen(sentry.view.control_path, handlers));
  return absl::OkStatus();
}

// Serving threads start only after ConfineSentry, so that they inherit its
// capability drop, no_new_privs and filter.
absl::Status StartServing(Sentry& sentry, int init_channel_fd) {
  RETURN_IF_ERROR(ConfineSentry());
  if (sentry.gofer != nullptr) sentry.gofer->Start();
  RETURN_IF_ERROR(sentry.platform->Start(sentry.dispatcher.get()));
  sentry.control->Start();
  // The init's listener arrives over its own channel whenever `start` comes.
  ControlServer* control = sentry.control.get();
  std::thread([control, init_channel_fd] {
    control->ServeConnection(init_channel_fd, /*bounded=*/false);
    close(init_channel_fd);
  }).detach();
  return absl::OkStatus();
}

// After the init: exec'd processes outside a pid namespace may still be
// trapped; serve them until the last listener hangs up.
void ServeUntilNoListeners(const platform::Platform& platform) {
  while (platform.ListenerCount() > 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
}

}  // namespace

int RunSentry(const SentryOptions& options) {
  prctl(PR_SET_NAME, "runsc-sentry");
  // A peer that hangs up (the init, once its listener is sent) must cost an
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
  WaitForInitExit(options.init_pidfd);
  ServeUntilNoListeners(*sentry.platform);
  spdlog::debug("sentry for container {}: the init exited; stopping", options.container_id);
  return 0;
}

}  // namespace sentry
