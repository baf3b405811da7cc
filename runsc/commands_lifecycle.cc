// create, start, run, kill, delete.
#include "fmt/format.h"
#include "platform/errors.h"
#include "platform/logging.h"
#include "platform/status_macros.h"
#include "runsc/commands.h"
#include "runsc/foreground.h"
#include "spdlog/spdlog.h"

namespace runsc {
namespace {

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
  // As runc's "runc create failed: ...": the containerd shim shows the
  // message after "OCI runtime create failed: ", which then says what failed.
  RETURN_IF_ERROR_CTX(CreateContainer(store, options, global.log, global.sandbox).status(), "runsc create failed");
  return 0;
}

absl::StatusOr<int> StartCommand(const GlobalOptions& global, const std::string& id) {
  RETURN_IF_ERROR(StartById(StateStore(global.root), id));
  return 0;
}

absl::StatusOr<int> RunCommand(const GlobalOptions& global, const RunOptions& options) {
  StateStore store(global.root);
  ASSIGN_OR_RETURN(platform::UniqueFd signals, BlockSignals());
  CreateOptions create = options.create;
  create.foreground = !options.detach;
  ASSIGN_OR_RETURN(CreatedContainer init, platform::Annotate(CreateContainer(store, create, global.log, global.sandbox),
                                                             "runsc run failed"));
  if (absl::Status started = StartById(store, options.create.id); !started.ok()) {
    (void)DeleteById(store, options.create.id);
    return started;
  }
  platform::LogPhase("started");
  if (options.detach) return 0;
  int exit_code = WaitForwardingSignals(signals.get(), init.pid, init.pidfd.get(), init.console_master.get());
  platform::LogPhase("workload exited");
  if (!options.keep) {
    absl::Status deleted = DeleteById(store, options.create.id);
    if (!deleted.ok() && !absl::IsNotFound(deleted)) return deleted;
    platform::LogPhase("deleted");
  }
  return exit_code;
}

absl::StatusOr<int> KillCommand(const GlobalOptions& global, const std::string& id, const std::string& signal,
                                bool all) {
  ASSIGN_OR_RETURN(int number, ParseSignal(signal));
  StateStore store(global.root);
  ASSIGN_OR_RETURN(ContainerDir dir, store.Open(id));
  ASSIGN_OR_RETURN(ContainerState state, dir.Load());
  // As runc 1.1: a stopped container takes `kill --all` as done (containerd's
  // `ctr task rm -f` sends it) and refuses a single signal with "container
  // not running", the words containerd's shim looks for. So does one whose
  // init went away since its state was read.
  absl::Status sent = dir.DeriveStatus(state) == Status::kStopped
                          ? absl::NotFoundError(fmt::format("container not running: {}", id))
                          : SignalContainer(dir, state, number, all);
  if (absl::IsNotFound(sent) && all) return 0;
  if (absl::IsNotFound(sent)) return absl::FailedPreconditionError(fmt::format("container not running: {}", id));
  RETURN_IF_ERROR(sent);
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
