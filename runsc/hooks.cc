#include "runsc/hooks.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>

#include "fmt/format.h"
#include "platform/errors.h"
#include "platform/status_macros.h"
#include "platform/unique_fd.h"
#include "runsc/spawn.h"
#include "spdlog/spdlog.h"

namespace runsc {
namespace {

using platform::LastError;
using platform::UniqueFd;

absl::Status FieldError(const std::string& field, std::string_view message) {
  return absl::InvalidArgumentError(fmt::format("config.json: {}: {}", field, message));
}

absl::StatusOr<std::vector<std::string>> StringList(const nlohmann::json& hook, const char* key,
                                                    const std::string& field) {
  std::vector<std::string> out;
  if (!hook.contains(key) || hook[key].is_null()) return out;
  if (!hook[key].is_array()) return FieldError(field + "." + key, "expected an array of strings");
  for (const auto& item : hook[key]) {
    if (!item.is_string()) return FieldError(field + "." + key, "expected an array of strings");
    out.push_back(item.get<std::string>());
  }
  return out;
}

absl::StatusOr<Hook> ParseHook(const nlohmann::json& json, const std::string& field) {
  if (!json.is_object()) return FieldError(field, "expected an object");
  Hook hook;
  if (!json.contains("path") || !json["path"].is_string()) return FieldError(field + ".path", "required string");
  hook.path = json["path"].get<std::string>();
  if (hook.path.empty() || hook.path[0] != '/') return FieldError(field + ".path", "must be an absolute path");
  ASSIGN_OR_RETURN(hook.args, StringList(json, "args", field));
  ASSIGN_OR_RETURN(hook.env, StringList(json, "env", field));
  if (hook.args.empty()) hook.args.push_back(hook.path);
  if (json.contains("timeout") && !json["timeout"].is_null()) {
    if (!json["timeout"].is_number_integer() || json["timeout"].get<int64_t>() <= 0) {
      return FieldError(field + ".timeout", "must be a positive number of seconds");
    }
    hook.timeout_seconds = static_cast<int>(std::min<int64_t>(json["timeout"].get<int64_t>(), 1 << 20));
  }
  return hook;
}

absl::StatusOr<std::vector<Hook>> ParseList(const nlohmann::json& hooks, const char* key) {
  std::vector<Hook> list;
  if (!hooks.contains(key) || hooks[key].is_null()) return list;
  std::string field = fmt::format("hooks.{}", key);
  if (!hooks[key].is_array()) return FieldError(field, "expected an array");
  for (size_t i = 0; i < hooks[key].size(); ++i) {
    ASSIGN_OR_RETURN(Hook hook, ParseHook(hooks[key][i], fmt::format("{}[{}]", field, i)));
    list.push_back(std::move(hook));
  }
  return list;
}


// Starts the hook with a pipe on stdin and one capturing stderr. The hook
// gets no other fd of ours (posix_spawn closes CLOEXEC fds; ours all are).
absl::StatusOr<pid_t> SpawnHook(Hook hook, int stdin_fd, int stderr_fd) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, stdin_fd, 0);
  posix_spawn_file_actions_adddup2(&actions, stderr_fd, 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  // Its own process group, so that a timeout kills everything it started.
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETPGROUP);
  std::vector<char*> argv = CStringArray(hook.args);
  std::vector<char*> envp = CStringArray(hook.env);
  pid_t pid;
  int error = posix_spawn(&pid, hook.path.c_str(), &actions, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (error != 0) return platform::ErrnoError(error, "starting it");
  return pid;
}

std::string ReadSome(int fd) {
  char buffer[512];
  ssize_t got = read(fd, buffer, sizeof(buffer) - 1);
  std::string text = got > 0 ? std::string(buffer, got) : "";
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  for (char& c : text) c = c == '\n' ? ' ' : c;
  return text;
}

// Waits for `pid` at most `timeout_seconds` (forever when unset); kills it
// on timeout. Returns the wait status, or DeadlineExceeded.
absl::StatusOr<int> WaitBounded(pid_t pid, std::optional<int> timeout_seconds) {
  UniqueFd pidfd(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));
  if (timeout_seconds && pidfd.valid()) {
    struct pollfd poller = {pidfd.get(), POLLIN, 0};
    int ready;
    while ((ready = poll(&poller, 1, *timeout_seconds * 1000)) < 0 && errno == EINTR) {
    }
    if (ready == 0) {
      kill(-pid, SIGKILL);
      waitpid(pid, nullptr, 0);
      return absl::DeadlineExceededError(fmt::format("timed out after {}s", *timeout_seconds));
    }
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return LastError("waiting for it");
  }
  return status;
}

absl::Status RunHook(const Hook& hook, const std::string& state_text) {
  int in[2], err[2];
  if (pipe2(in, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) return LastError("pipe");
  UniqueFd in_read(in[0]), in_write(in[1]), err_read(err[0]), err_write(err[1]);
  ASSIGN_OR_RETURN(pid_t pid, SpawnHook(hook, in_read.get(), err_write.get()));
  in_read.reset();
  err_write.reset();
  // A hook that does not read its stdin must not kill us: SIGPIPE is ignored
  // for the write only (the init runs startContainer hooks, and an ignored
  // SIGPIPE would outlive its execve into the workload).
  struct sigaction ignore {}, previous {};
  ignore.sa_handler = SIG_IGN;
  sigaction(SIGPIPE, &ignore, &previous);
  (void)!write(in_write.get(), state_text.data(), state_text.size());
  sigaction(SIGPIPE, &previous, nullptr);
  in_write.reset();
  ASSIGN_OR_RETURN(int status, WaitBounded(pid, hook.timeout_seconds));
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return absl::OkStatus();
  std::string output = ReadSome(err_read.get());
  std::string how = WIFEXITED(status) ? fmt::format("exited with status {}", WEXITSTATUS(status))
                                      : fmt::format("killed by signal {}", WTERMSIG(status));
  return absl::FailedPreconditionError(output.empty() ? how : fmt::format("{}: {}", how, output));
}

}  // namespace

bool Hooks::empty() const {
  return prestart.empty() && create_runtime.empty() && create_container.empty() && start_container.empty() &&
         poststart.empty() && poststop.empty();
}

absl::StatusOr<Hooks> ParseHooks(const nlohmann::json& json) {
  Hooks hooks;
  if (json.is_null()) return hooks;
  if (!json.is_object()) return FieldError("hooks", "expected an object");
  ASSIGN_OR_RETURN(hooks.prestart, ParseList(json, "prestart"));
  ASSIGN_OR_RETURN(hooks.create_runtime, ParseList(json, "createRuntime"));
  ASSIGN_OR_RETURN(hooks.create_container, ParseList(json, "createContainer"));
  ASSIGN_OR_RETURN(hooks.start_container, ParseList(json, "startContainer"));
  ASSIGN_OR_RETURN(hooks.poststart, ParseList(json, "poststart"));
  ASSIGN_OR_RETURN(hooks.poststop, ParseList(json, "poststop"));
  return hooks;
}

absl::Status RunHooks(const std::string& kind, const std::vector<Hook>& hooks, const nlohmann::json& state) {
  std::string state_text = state.dump();
  for (const Hook& hook : hooks) {
    RETURN_IF_ERROR_CTX(RunHook(hook, state_text), fmt::format("{} hook {}", kind, hook.path));
  }
  return absl::OkStatus();
}

void RunHooksWarningOnFailure(const std::string& kind, const std::vector<Hook>& hooks, const nlohmann::json& state,
                              const std::string& container_id) {
  std::string state_text = state.dump();
  for (const Hook& hook : hooks) {
    absl::Status result = RunHook(hook, state_text);
    if (!result.ok()) {
      spdlog::warn("container {}: {} hook {}: {}", container_id, kind, hook.path, std::string(result.message()));
    }
  }
}

}  // namespace runsc
