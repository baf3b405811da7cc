// create, start, run, kill, delete.
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fmt/format.h"
#include "platform/errors.h"
#include "platform/status_macros.h"
#include "runsc/commands.h"
#include "spdlog/spdlog.h"

namespace runsc {
namespace {

// Blocks every signal `run` forwards, returning a signalfd for them.
absl::StatusOr<platform::UniqueFd> BlockSignals() {
  sigset_t all;
  sigfillset(&all);
  if (sigprocmask(SIG_BLOCK, &all, nullptr) != 0) return platform::LastError("sigprocmask");
  platform::UniqueFd fd(signalfd(-1, &all, SFD_CLOEXEC));
  if (!fd.valid()) return platform::LastError("signalfd");
  return fd;
}

int ExitCodeOf(int wait_status) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return 255;
}

// Reaps our children until `init` exits; forwards every other signal to
// it, as runc run does. Returns the init's wait status.
int ForwardSignalsUntilExit(int signal_fd, pid_t init, int init_pidfd) {
  while (true) {
    struct signalfd_siginfo info;
    if (read(signal_fd, &info, sizeof(info)) != sizeof(info)) {
      if (errno == EINTR) continue;
      break;
    }
    if (info.ssi_signo != SIGCHLD) {
      syscall(SYS_pidfd_send_signal, init_pidfd, info.ssi_signo, nullptr, 0);
      continue;
    }
    int status;
    pid_t reaped;
    while ((reaped = waitpid(-1, &status, WNOHANG)) > 0) {
      if (reaped == init) return status;
    }
  }
  int status = 0;
  waitpid(init, &status, 0);
  return status;
}

absl::Status StartById(const StateStore& store, const std::string& id) {
  ASSIGN_OR_RETURN(ContainerDir dir, store.Open(id));
  ASSIGN_OR_RETURN(ContainerState state, dir.Load());
  return StartContainer(dir, state);
}

absl::Status DeleteById(const StateStore& store, const std::string& id) {
  ASSIGN_OR_RETURN(ContainerDir dir, store.Open(id));
  ASSIGN_OR_RETURN(ContainerState state, dir.Load());
  return DestroyContainer(dir, state);
}

}  // namespace

absl::StatusOr<int> CreateCommand(const GlobalOptions& global, const CreateOptions& options) {
  StateStore store(global.root);
  RETURN_IF_ERROR(CreateContainer(store, options, global.log).status());
  return 0;
}

absl::StatusOr<int> StartCommand(const GlobalOptions& global, const std::string& id) {
  RETURN_IF_ERROR(StartById(StateStore(global.root), id));
  return 0;
}

absl::StatusOr<int> RunCommand(const GlobalOptions& global, const RunOptions& options) {
  StateStore store(global.root);
  ASSIGN_OR_RETURN(platform::UniqueFd signals, BlockSignals());
  ASSIGN_OR_RETURN(CreatedContainer init, CreateContainer(store, options.create, global.log));
  if (absl::Status started = StartById(store, options.create.id); !started.ok()) {
    (void)DeleteById(store, options.create.id);
    return started;
  }
  if (options.detach) return 0;
  int exit_code = ExitCodeOf(ForwardSignalsUntilExit(signals.get(), init.pid, init.pidfd.get()));
  if (!options.keep) {
    absl::Status deleted = DeleteById(store, options.create.id);
    if (!deleted.ok() && !absl::IsNotFound(deleted)) return deleted;
  }
  return exit_code;
}

absl::StatusOr<int> KillCommand(const GlobalOptions& global, const std::string& id, const std::string& signal,
                                bool all) {
  ASSIGN_OR_RETURN(int number, ParseSignal(signal));
  StateStore store(global.root);
  ASSIGN_OR_RETURN(ContainerDir dir, store.Open(id));
  ASSIGN_OR_RETURN(ContainerState state, dir.Load());
  RETURN_IF_ERROR(SignalContainer(dir, state, number, all));
  return 0;
}

absl::StatusOr<int> DeleteCommand(const GlobalOptions& global, const std::string& id, bool force) {
  StateStore store(global.root);
  absl::StatusOr<ContainerDir> dir = store.Open(id);
  if (absl::IsNotFound(dir.status())) {
    // A create that died half-way may have left a directory without
    // state.json: clear it. As with runc, --force of a missing container is
    // not an error.
    RETURN_IF_ERROR(store.RemoveStale(id));
    if (force) return 0;
  }
  if (!dir.ok()) return dir.status();
  ASSIGN_OR_RETURN(ContainerState state, dir->Load());
  Status status = dir->DeriveStatus(state);
  if ((status == Status::kRunning || status == Status::kPaused) && !force) {
    return absl::FailedPreconditionError(
        fmt::format("cannot delete container {} that is not stopped: {}", id, StatusName(status)));
  }
  RETURN_IF_ERROR(DestroyContainer(*dir, state));
  return 0;
}

}  // namespace runsc
