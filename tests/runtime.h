// Runtime: runs `<runtime> --root <dir> <args...>` with a bounded timeout and captured output.
#ifndef RUNSC_TESTS_RUNTIME_H_
#define RUNSC_TESTS_RUNTIME_H_

#include <chrono>
#include <mutex>
#include <ostream>
#include <set>
#include <string>
#include <vector>

namespace runsc::testing {

// One runtime configuration the integration tests run against (a binary and its global flags).
struct RuntimeConfig {
  std::string name;                       // gtest-safe name, e.g. "runsc" or "runc".
  std::string binary;                     // absolute path of the runtime binary.
  std::vector<std::string> global_flags;  // e.g. {"--platform=ptrace"}.
};

// The runtimes under test: $RUNSC_TEST_RUNTIME if set, else the built runsc once per platform
// in $RUNSC_TEST_PLATFORMS (comma-separated), else $RUNSC_TEST_PLATFORM (one, as docker_tests
// read it); neither = the runtime's default platform.
std::vector<RuntimeConfig> RuntimesUnderTest();

// Prints a RuntimeConfig in test names and failure messages.
void PrintTo(const RuntimeConfig& config, std::ostream* os);

// True if `config` is the runsc binary (for assertions where runsc is deliberately stricter).
bool IsRunsc(const RuntimeConfig& config);

// Outcome of one runtime invocation.
struct RunResult {
  int exit_code = -1;      // exit status, or -1 if killed by a signal.
  int term_signal = 0;     // the signal that ended it, if any.
  bool timed_out = false;  // true if we had to kill it.
  std::string out;         // everything written to stdout (including a detached workload's, so far).
  std::string err;         // everything written to stderr.
};

// Prints a RunResult in test failure messages.
std::ostream& operator<<(std::ostream& os, const RunResult& result);

// Drives one runtime with its own --root directory; the destructor deletes (--force) every
// container it created and removes the root directory.
class Runtime {
 public:
  // Uses `root` (created on first use by the runtime) as --root.
  Runtime(RuntimeConfig config, std::string root, std::string scratch_dir);
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  // Runs the runtime with `args` after the global flags; kills it after `timeout`.
  // Containers named by `create`/`run` are remembered for the teardown.
  RunResult Run(const std::vector<std::string>& args,
                std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // Like Run, but the runtime also gets `extra_fds` as its fds 3, 4, ... (for --preserve-fds).
  RunResult RunWithFds(const std::vector<std::string>& args, const std::vector<int>& extra_fds,
                       std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // Like Run but without --root (to test global flag handling); still bounded.
  RunResult RunRaw(const std::vector<std::string>& args,
                   std::chrono::milliseconds timeout = std::chrono::seconds(20),
                   const std::vector<int>& extra_fds = {});
  // Remembers `id` for the teardown's delete --force.
  void Track(const std::string& id) {
    std::lock_guard<std::mutex> lock(mu_);
    ids_.insert(id);
  }
  // Deletes every tracked container with --force (idempotent).
  void DeleteAll();

  // The --root directory.
  const std::string& root() const { return root_; }
  // The configuration in use.
  const RuntimeConfig& config() const { return config_; }

 private:
  RuntimeConfig config_;
  std::string root_;
  std::string scratch_dir_;
  std::mutex mu_;  // Guards ids_ and run_counter_ (races run Run() from two threads).
  std::set<std::string> ids_;
  int run_counter_ = 0;
};

}  // namespace runsc::testing

#endif  // RUNSC_TESTS_RUNTIME_H_
