// Runtime implementation: fork/exec with output to files (a detached container inherits them,
// so pipes would never reach EOF), waiting on a pidfd with a deadline.
#include "tests/runtime.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <sstream>

#include "fmt/format.h"

namespace runsc::testing {
namespace {

// Reads the whole file at `path` ("" if missing).
std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Splits `text` at commas, dropping empty parts.
std::vector<std::string> SplitCommas(const std::string& text) {
  std::vector<std::string> parts;
  std::stringstream in(text);
  std::string part;
  while (std::getline(in, part, ',')) {
    if (!part.empty()) parts.push_back(part);
  }
  return parts;
}

// Runs argv with stdin=/dev/null, stdout/stderr to the given files and `extra_fds` as fds
// 3, 4, ...; bounded by `timeout`.
RunResult Spawn(const std::vector<std::string>& argv, const std::string& out_path,
                const std::string& err_path, std::chrono::milliseconds timeout,
                const std::vector<int>& extra_fds) {
  RunResult result;
  // Copies above every target fd, so that dup2() into 3.. cannot clobber a source (made before
  // fork: the child may only make async-signal-safe calls).
  std::vector<int> high;
  for (int fd : extra_fds) {
    high.push_back(fcntl(fd, F_DUPFD_CLOEXEC, 3 + static_cast<int>(extra_fds.size()) + 16));
  }
  std::vector<char*> cargv;
  for (const std::string& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  int out_fd = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  int err_fd = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(null_fd, 0);
    dup2(out_fd, 1);
    dup2(err_fd, 2);
    for (size_t i = 0; i < high.size(); ++i) dup2(high[i], 3 + static_cast<int>(i));
    execv(cargv[0], cargv.data());
    _exit(127);
  }
  close(out_fd);
  close(err_fd);
  close(null_fd);
  for (int fd : high) close(fd);
  if (pid < 0) {
    result.err = "fork failed";
    return result;
  }
  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  struct pollfd pfd = {.fd = pidfd, .events = POLLIN, .revents = 0};
  int ready;
  do {
    ready = poll(&pfd, 1, static_cast<int>(timeout.count()));
  } while (ready < 0 && errno == EINTR);
  if (ready == 0) {
    result.timed_out = true;
    kill(pid, SIGKILL);
  }
  close(pidfd);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.term_signal = WTERMSIG(status);
  result.out = ReadAll(out_path);
  result.err = ReadAll(err_path);
  return result;
}

}  // namespace

std::vector<RuntimeConfig> RuntimesUnderTest() {
  const char* binary = std::getenv("RUNSC_TEST_RUNTIME");
  if (binary != nullptr && *binary != '\0') {
    std::string name = std::filesystem::path(binary).filename().string();
    for (char& c : name) {
      if (!isalnum(static_cast<unsigned char>(c))) c = '_';
    }
    return {RuntimeConfig{name, binary, {}}};
  }
  const char* platforms = std::getenv("RUNSC_TEST_PLATFORMS");
  if (platforms == nullptr || *platforms == '\0') platforms = std::getenv("RUNSC_TEST_PLATFORM");  // one, as docker_tests
  std::vector<std::string> names = SplitCommas(platforms ? platforms : "");
  std::vector<RuntimeConfig> configs;
  if (names.empty()) configs.push_back(RuntimeConfig{"runsc", RUNSC_TEST_DEFAULT_RUNTIME, {}});
  for (const std::string& platform : names) {
    std::string name = "runsc_" + platform;
    for (char& c : name) {
      if (!isalnum(static_cast<unsigned char>(c))) c = '_';
    }
    configs.push_back({name, RUNSC_TEST_DEFAULT_RUNTIME, {"--platform=" + platform}});
  }
  // $RUNSC_TEST_DIRECTFS=true|false: where brokered calls run (the sentry
  // itself, or the gofer), on every platform above.
  const char* directfs = std::getenv("RUNSC_TEST_DIRECTFS");
  if (directfs != nullptr && *directfs != '\0') {
    for (RuntimeConfig& config : configs) config.global_flags.push_back(std::string("--directfs=") + directfs);
  }
  return configs;
}

void PrintTo(const RuntimeConfig& config, std::ostream* os) {
  *os << config.name << " (" << config.binary;
  for (const std::string& flag : config.global_flags) *os << " " << flag;
  *os << ")";
}

bool IsRunsc(const RuntimeConfig& config) {
  return std::filesystem::path(config.binary).filename() == "runsc";
}

std::ostream& operator<<(std::ostream& os, const RunResult& result) {
  return os << "{exit_code=" << result.exit_code << " signal=" << result.term_signal
            << " timed_out=" << result.timed_out << "\n  stdout: " << result.out
            << "\n  stderr: " << result.err << "}";
}

Runtime::Runtime(RuntimeConfig config, std::string root, std::string scratch_dir)
    : config_(std::move(config)), root_(std::move(root)), scratch_dir_(std::move(scratch_dir)) {}

Runtime::~Runtime() {
  DeleteAll();
  std::error_code ec;
  std::filesystem::remove_all(root_, ec);
}

RunResult Runtime::Run(const std::vector<std::string>& args, std::chrono::milliseconds timeout) {
  return RunWithFds(args, {}, timeout);
}

RunResult Runtime::RunWithFds(const std::vector<std::string>& args,
                              const std::vector<int>& extra_fds,
                              std::chrono::milliseconds timeout) {
  // Remember containers this test creates so the teardown can always delete them.
  for (size_t i = 0; i < args.size(); ++i) {
    if ((args[i] == "create" || args[i] == "run") && i + 1 < args.size()) {
      Track(args.back());
      break;
    }
  }
  std::vector<std::string> full = {"--root", root_};
  full.insert(full.end(), args.begin(), args.end());
  return RunRaw(full, timeout, extra_fds);
}

RunResult Runtime::RunRaw(const std::vector<std::string>& args,
                          std::chrono::milliseconds timeout, const std::vector<int>& extra_fds) {
  std::vector<std::string> argv = {config_.binary};
  argv.insert(argv.end(), config_.global_flags.begin(), config_.global_flags.end());
  argv.insert(argv.end(), args.begin(), args.end());
  int n;
  {
    std::lock_guard<std::mutex> lock(mu_);
    n = run_counter_++;
  }
  return Spawn(argv, fmt::format("{}/run{}.out", scratch_dir_, n),
               fmt::format("{}/run{}.err", scratch_dir_, n), timeout, extra_fds);
}

void Runtime::DeleteAll() {
  std::set<std::string> ids;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ids = ids_;
  }
  for (const std::string& id : ids) {
    if (!id.empty()) Run({"delete", "--force", id}, std::chrono::seconds(20));
  }
}

}  // namespace runsc::testing
