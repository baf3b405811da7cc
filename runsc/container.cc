#include "runsc/container.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>

#include "fmt/format.h"
#include "platform/cgroup_systemd.h"
#include "platform/cgroups.h"
#include "platform/errors.h"
#include "platform/logging.h"
#include "platform/procfs.h"
#include "platform/status_macros.h"
#include "runsc/hooks.h"
#include "spdlog/spdlog.h"

namespace runsc {
namespace {

using platform::LastError;
using platform::UniqueFd;

// A pidfd for `pid` only if it is still the process we recorded: the pidfd
// is opened first and the start time checked after, so a pid reused in
// between is detected and never signalled.
absl::StatusOr<UniqueFd> OpenRecordedProcess(pid_t pid, uint64_t start_time) {
  UniqueFd pidfd(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));
  if (!pidfd.valid()) return LastError(fmt::format("pidfd_open {}", pid));
  if (!platform::IsSameLiveProcess(pid, start_time)) {
    return absl::NotFoundError(fmt::format("process {} is gone", pid));
  }
  return pidfd;
}

// Waits until `pidfd`'s process exits, at most `timeout`. True if it did.
bool WaitForExit(int pidfd, std::chrono::milliseconds timeout) {
  struct pollfd poller = {pidfd, POLLIN, 0};
  int ready = poll(&poller, 1, static_cast<int>(timeout.count()));
  return ready > 0;
}

std::chrono::milliseconds Left(std::chrono::steady_clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  return std::max(left, std::chrono::milliseconds(0));
}

// Waits until every process of `pidfds` has exited, at most `timeout`; the
// pidfds of those that have are closed. True if all did.
bool WaitForExits(std::vector<UniqueFd>& pidfds, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pidfds.empty()) {
    std::vector<struct pollfd> pollers;
    for (const UniqueFd& pidfd : pidfds) pollers.push_back({pidfd.get(), POLLIN, 0});
    int ready = poll(pollers.data(), pollers.size(), static_cast<int>(Left(deadline).count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return false;
    for (size_t i = pollers.size(); i-- > 0;) {
      if (pollers[i].revents != 0) pidfds.erase(pidfds.begin() + static_cast<long>(i));
    }
  }
  return true;
}

// SIGKILLs each of `pids` through a pidfd; returns those pidfds.
std::vector<UniqueFd> KillEach(const std::vector<pid_t>& pids) {
  std::vector<UniqueFd> killed;
  for (pid_t pid : pids) {
    UniqueFd pidfd(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));
    if (!pidfd.valid()) continue;  // gone already
    syscall(SYS_pidfd_send_signal, pidfd.get(), SIGKILL, nullptr, 0);
    killed.push_back(std::move(pidfd));
  }
  return killed;
}

// The --root a container's dir is in.
std::string RootOf(const ContainerDir& dir) {
  return dir.path().substr(0, dir.path().rfind('/'));
}

// Adds the sentry, gofer and watchdog recorded in <root>/<id>/state.json
// that are still those processes. Read without the container's lock (one
// container lock at a time): state.json is replaced by rename, never torn.
void AddRuntimePids(const std::string& state_path, std::set<pid_t>& pids) {
  std::ifstream file(state_path);
  nlohmann::json state = nlohmann::json::parse(file, nullptr, false);
  if (!state.is_object()) return;
  for (const char* daemon : {"sentry", "gofer", "watchdog"}) {
    const nlohmann::json& pid =
        state.value(fmt::format("{}_pid", daemon), nlohmann::json());
    const nlohmann::json& start =
        state.value(fmt::format("{}_start_time", daemon), nlohmann::json());
    if (!pid.is_number_integer() || !start.is_number_unsigned() ||
        pid.get<pid_t>() <= 0)
      continue;
    if (platform::IsSameLiveProcess(pid.get<pid_t>(), start.get<uint64_t>()))
      pids.insert(pid.get<pid_t>());
  }
}

// The runtime processes of every container under `root` (a shared
// cgroupsPath holds several containers' sandboxes).
std::set<pid_t> RuntimePids(const std::string& root) {
  std::set<pid_t> pids;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(root, error)) {
    AddRuntimePids(entry.path().string() + "/state.json", pids);
  }
  return pids;
}

// Kills every process of the container: the init (its pid namespace dies
// with it) and, for containers sharing the host's pid namespace, the rest
// of the cgroup's workload, listed again until none is left (one may have
// forked before its signal) and waited for on pidfds, bounded. The
// sandbox's processes exit by themselves once the workload is gone
// (StopSandbox waits for them, bounded); a shared cgroup's other sandboxes
// are left alone.
void KillAll(const std::string& root, const ContainerState& state,
             const platform::Cgroup& cgroup) {
  absl::StatusOr<UniqueFd> init = OpenRecordedProcess(state.pid, state.pid_start_time);
  if (init.ok()) {
    syscall(SYS_pidfd_send_signal, init->get(), SIGKILL, nullptr, 0);
    if (cgroup.Frozen()) (void)cgroup.Freeze(false);  // a frozen v1 task dies only once thawed
    WaitForExit(init->get(), std::chrono::seconds(5));
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (Left(deadline).count() > 0) {
    absl::StatusOr<CgroupProcesses> pids = ListCgroupProcesses(root, state);
    if (!pids.ok() || pids->workload.empty()) break;
    std::vector<UniqueFd> killed = KillEach(pids->workload);
    if (killed.empty()) break;  // all gone between the listing and the kill
    WaitForExits(killed, Left(deadline));
  }
}

// The sandbox's processes still alive: the sentry exits by itself once the
// init is gone, the gofer once the sentry has closed its connection, the
// watchdog once the sentry is gone.
std::vector<UniqueFd> OpenSandboxProcesses(const ContainerState& state) {
  std::vector<UniqueFd> alive;
  for (auto [pid, start_time] : {std::pair{state.sentry_pid, state.sentry_start_time},
                                 std::pair{state.gofer_pid, state.gofer_start_time},
                                 std::pair{state.watchdog_pid, state.watchdog_start_time}}) {
    if (pid <= 0) continue;
    absl::StatusOr<UniqueFd> pidfd = OpenRecordedProcess(pid, start_time);
    if (pidfd.ok()) alive.push_back(*std::move(pidfd));
  }
  return alive;
}

// Waits for the sandbox's processes to exit by themselves, and kills those
// that do not (none may outlive its container): the cgroup can be removed
// only once they have left it.
void StopSandbox(const ContainerState& state) {
  std::vector<UniqueFd> alive = OpenSandboxProcesses(state);
  if (WaitForExits(alive, std::chrono::seconds(2))) return;
  for (const UniqueFd& pidfd : alive) syscall(SYS_pidfd_send_signal, pidfd.get(), SIGKILL, nullptr, 0);
  WaitForExits(alive, std::chrono::seconds(2));
}

// The cgroup.events of the cgroup's v2 directory (pure v2, or the hybrid
// layout's unified hierarchy); invalid on a v1-only host.
UniqueFd OpenCgroupEvents(const platform::Cgroup& cgroup) {
  for (const std::string& dir : cgroup.dirs()) {
    UniqueFd events(open((dir + "/cgroup.events").c_str(), O_RDONLY | O_CLOEXEC));
    if (events.valid()) return events;
  }
  return UniqueFd();
}

bool Populated(int events) {
  char buffer[256];
  ssize_t got = pread(events, buffer, sizeof(buffer) - 1, 0);
  if (got <= 0) return false;
  buffer[got] = '\0';
  return strstr(buffer, "populated 1") != nullptr;
}

// A process whose pidfd reported its exit may still count in its cgroup
// for a moment (seen on Linux 6.18: right after `run`'s workload exited,
// rmdir met EBUSY in most runs, and Cgroup::Destroy slept 10 ms). When cgroup.procs lists no process but the cgroup is still
// populated, only exiting ones are left: wait, bounded, for the kernel's
// "populated 0" (a change of cgroup.events wakes poll with POLLPRI). A
// cgroup shared with live processes is not waited for.
void WaitForExitingToLeave(const platform::Cgroup& cgroup) {
  UniqueFd events = OpenCgroupEvents(cgroup);
  if (!events.valid()) return;  // v1 only: Destroy retries
  absl::StatusOr<std::vector<pid_t>> listed = cgroup.Processes();
  if (!listed.ok() || !listed->empty()) return;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  while (Populated(events.get()) && Left(deadline).count() > 0) {
    struct pollfd poller = {events.get(), POLLPRI, 0};
    if (poll(&poller, 1, static_cast<int>(Left(deadline).count())) < 0 && errno != EINTR) return;
  }
}

absl::Status WaitForFifoReader(int fifo, int init_pidfd) {
  struct pollfd pollers[2] = {{fifo, POLLIN, 0}, {init_pidfd, POLLIN, 0}};
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return absl::DeadlineExceededError("the container init did not answer start in 30s");
    int ready = poll(pollers, 2, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) return LastError("waiting for the container init");
    if (pollers[0].revents & POLLIN) return absl::OkStatus();
    if (pollers[1].revents & POLLIN) return absl::FailedPreconditionError("the container init exited before start");
  }
}

// poststart and poststop hooks: as the OCI spec says, a failure is logged
// as a warning and the remaining hooks and the lifecycle go on (runc 1.1
// instead stops at the first and fails start or delete).
void RunHooksWarning(const std::string& kind, const ContainerState& state, Status status) {
  absl::StatusOr<Hooks> hooks = ParseHooks(state.config.value("hooks", nlohmann::json()));
  if (!hooks.ok()) return;
  const std::vector<Hook>& list = kind == "poststart" ? hooks->poststart : hooks->poststop;
  nlohmann::json oci_state = OciStateJson(state, status);
  if (status == Status::kStopped) oci_state["pid"] = state.pid;  // the hook may want to know who it was
  RunHooksWarningOnFailure(kind, list, oci_state, state.id);
}

// After its start byte the init holds the fifo's write end (close-on-exec)
// through the startContainer hooks until its execve of the workload: EOF
// means the workload was executed (or the init died). An init that fails
// first writes its error there, which is returned.
absl::Status WaitForExec(int fifo, const std::string& id) {
  std::string error;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (true) {
    char buffer[512];
    ssize_t got = read(fifo, buffer, sizeof(buffer));
    if (got == 0) break;
    if (got > 0) {
      error.append(buffer, static_cast<size_t>(got));
      continue;
    }
    if (errno != EAGAIN && errno != EINTR) return LastError("reading the exec fifo");
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      return absl::DeadlineExceededError(fmt::format("container {}: the workload was not executed within 60s", id));
    }
    struct pollfd poller = {fifo, POLLIN, 0};
    poll(&poller, 1, static_cast<int>(left.count()));
  }
  if (error.empty()) return absl::OkStatus();
  return absl::FailedPreconditionError(fmt::format("container {}: {}", id, error));
}

}  // namespace

absl::StatusOr<CgroupProcesses> ListCgroupProcesses(
    const std::string& root, const ContainerState& state) {
  ASSIGN_OR_RETURN(platform::Cgroup cgroup,
                   platform::Cgroup::FromJson(state.cgroup));
  ASSIGN_OR_RETURN(std::vector<pid_t> pids, cgroup.Processes());
  std::set<pid_t> runtime = RuntimePids(root);
  CgroupProcesses split;
  for (pid_t pid : pids)
    (runtime.count(pid) ? split.runtime : split.workload).push_back(pid);
  return split;
}

absl::Status WritePidFile(const std::string& path, pid_t pid) {
  std::string tmp = path + ".tmp";
  UniqueFd fd(open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd.valid()) return LastError(fmt::format("--pid-file {}", path));
  std::string text = std::to_string(pid);
  if (write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
    return LastError(fmt::format("--pid-file {}", path));
  }
  if (rename(tmp.c_str(), path.c_str()) != 0) return LastError(fmt::format("--pid-file {}", path));
  return absl::OkStatus();
}

absl::StatusOr<UniqueFd> OpenContainerInit(const ContainerState& state) {
  return OpenRecordedProcess(state.pid, state.pid_start_time);
}

absl::Status StartContainer(const ContainerDir& dir, const ContainerState& state) {
  switch (dir.DeriveStatus(state)) {
    case Status::kCreated: break;
    case Status::kPaused:
      return absl::FailedPreconditionError(fmt::format("cannot start a paused container {}", state.id));
    case Status::kRunning:
      return absl::FailedPreconditionError(fmt::format("cannot start an already running container {}", state.id));
    case Status::kStopped:
      return absl::FailedPreconditionError(fmt::format("cannot start a container that has stopped: {}", state.id));
  }
  ASSIGN_OR_RETURN(UniqueFd init, OpenRecordedProcess(state.pid, state.pid_start_time));
  UniqueFd fifo(open(dir.exec_fifo().c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  if (!fifo.valid()) return LastError("opening the exec fifo");
  RETURN_IF_ERROR(WaitForFifoReader(fifo.get(), init.get()));
  platform::LogPhase("start: the init took the start byte");
  char byte;
  if (read(fifo.get(), &byte, 1) != 1) return absl::FailedPreconditionError("the container init exited before start");
  if (unlink(dir.exec_fifo().c_str()) != 0) return LastError("removing the exec fifo");
  // poststart runs once the workload has been executed (OCI: "after the
  // user-specified process is executed"; runc 1.1 runs it before).
  RETURN_IF_ERROR(WaitForExec(fifo.get(), state.id));
  platform::LogPhase("start: workload executed");
  RunHooksWarning("poststart", state, Status::kRunning);
  return absl::OkStatus();
}

absl::Status SignalContainer(const ContainerDir& dir, const ContainerState& state, int signal, bool all) {
  if (dir.DeriveStatus(state) == Status::kStopped) {
    return absl::FailedPreconditionError(fmt::format("container {} is not running", state.id));
  }
  ASSIGN_OR_RETURN(UniqueFd init, OpenRecordedProcess(state.pid, state.pid_start_time));
  if (all) {
    ASSIGN_OR_RETURN(CgroupProcesses pids,
                     ListCgroupProcesses(RootOf(dir), state));
    for (pid_t pid : pids.workload) {
      if (pid != state.pid) kill(pid, signal);
    }
  }
  if (syscall(SYS_pidfd_send_signal, init.get(), signal, nullptr, 0) != 0) {
    return LastError(fmt::format("signalling container {}", state.id));
  }
  // As runc: on cgroup v1 a frozen task acts on SIGKILL only once thawed.
  if (signal == SIGKILL) {
    absl::StatusOr<platform::Cgroup> cgroup = platform::Cgroup::FromJson(state.cgroup);
    if (cgroup.ok() && cgroup->Frozen()) RETURN_IF_ERROR(cgroup->Freeze(false));
  }
  return absl::OkStatus();
}

absl::Status DestroyContainer(ContainerDir& dir, const ContainerState& state) {
  ASSIGN_OR_RETURN(platform::Cgroup cgroup, platform::Cgroup::FromJson(state.cgroup));
  KillAll(RootOf(dir), state, cgroup);
  platform::LogPhase("delete: workload killed");
  StopSandbox(state);
  platform::LogPhase("delete: sandbox processes gone");
  WaitForExitingToLeave(cgroup);
  RETURN_IF_ERROR_CTX(cgroup.Destroy(), fmt::format("deleting container {}", state.id));
  platform::LogPhase("delete: cgroup removed");
  RETURN_IF_ERROR_CTX(platform::StopSystemdUnitOf(state.cgroup), fmt::format("deleting container {}", state.id));
  RETURN_IF_ERROR(dir.Remove());
  RunHooksWarning("poststop", state, Status::kStopped);
  return absl::OkStatus();
}

absl::StatusOr<int> ParseSignal(const std::string& name) {
  if (!name.empty() && std::all_of(name.begin(), name.end(), ::isdigit)) {
    int number = name.size() > 3 ? -1 : std::stoi(name);
    if (number >= 0 && number < NSIG) return number;  // 0: runc's existence check
  } else {
    std::string upper;
    for (char c : name) upper.push_back(static_cast<char>(toupper(static_cast<unsigned char>(c))));
    if (upper.rfind("SIG", 0) == 0) upper = upper.substr(3);
    for (int number = 1; number < SIGRTMIN; ++number) {
      const char* abbrev = sigabbrev_np(number);
      if (abbrev != nullptr && upper == abbrev) return number;
    }
    if (upper.rfind("RTMIN+", 0) == 0 || upper.rfind("RTMAX-", 0) == 0) {
      std::string offset = upper.substr(6);
      if (!offset.empty() && offset.size() < 3 && std::all_of(offset.begin(), offset.end(), ::isdigit)) {
        int number = upper[2] == 'M' && upper[3] == 'I' ? SIGRTMIN + std::stoi(offset) : SIGRTMAX - std::stoi(offset);
        if (number >= SIGRTMIN && number <= SIGRTMAX) return number;
      }
    }
    if (upper == "RTMIN") return SIGRTMIN;
    if (upper == "RTMAX") return SIGRTMAX;
  }
  return absl::InvalidArgumentError(fmt::format("unknown signal \"{}\"", name));
}

}  // namespace runsc
