#include "tests/systemd_harness.h"

#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "fmt/format.h"

namespace runsc::testing {
namespace {

RuntimeConfig Tool(const std::string& binary,
                   std::vector<std::string> flags = {}) {
  return RuntimeConfig{"tool", binary, std::move(flags)};
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

SystemdHarness::SystemdHarness(std::string dir, pid_t pid)
    : dir_(std::move(dir)),
      pid_(pid),
      tools_(std::make_unique<Runtime>(Tool("/usr/bin/nsenter"),
                                       dir_ + "/tools", dir_)) {}

absl::StatusOr<std::unique_ptr<SystemdHarness>> SystemdHarness::Start() {
  if (geteuid() != 0) return absl::FailedPreconditionError("needs root");
  for (const char* needed : {"/lib/systemd/systemd", "/usr/bin/dbus-daemon",
                             "/usr/bin/unshare", "/usr/bin/nsenter"}) {
    if (access(needed, X_OK) != 0)
      return absl::FailedPreconditionError(fmt::format("no {}", needed));
  }
  char tmpl[] = "/tmp/runsc-sd-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) return absl::InternalError("mkdtemp");
  std::string dir = tmpl;
  Runtime bash(Tool("/bin/bash", {RUNSC_SYSTEMD_HARNESS}), dir + "/unused",
               dir);
  RunResult started = bash.RunRaw({"start", dir}, std::chrono::seconds(10));
  pid_t pid = 0;
  if (started.exit_code != 0 ||
      !absl::SimpleAtoi(absl::StripAsciiWhitespace(started.out), &pid)) {
    bash.RunRaw({"stop", dir});
    return absl::FailedPreconditionError(fmt::format(
        "starting systemd: {} {}", started.err, ReadFile(dir + "/log")));
  }
  std::unique_ptr<SystemdHarness> harness(new SystemdHarness(dir, pid));
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (true) {
    RunResult running = harness->Systemctl({"is-system-running"});
    if (absl::StripAsciiWhitespace(running.out) == "running") return harness;
    if (std::chrono::steady_clock::now() > deadline) {
      return absl::FailedPreconditionError(
          fmt::format("systemd did not reach \"running\": {} {} {}",
                      running.out, running.err, ReadFile(dir + "/log")));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

SystemdHarness::~SystemdHarness() {
  Runtime bash(Tool("/bin/bash", {RUNSC_SYSTEMD_HARNESS}), dir_ + "/unused",
               dir_);
  bash.RunRaw({"stop", dir_}, std::chrono::seconds(15));
  tools_.reset();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

RuntimeConfig SystemdHarness::Inside(
    const RuntimeConfig& config,
    const std::vector<std::string>& extra_flags) const {
  // From the harness's cgroup runsc-tests: see systemd_harness.sh's run.
  RuntimeConfig inside{config.name,
                       "/bin/bash",
                       {RUNSC_SYSTEMD_HARNESS, "run", dir_, config.binary}};
  inside.global_flags.insert(inside.global_flags.end(),
                             config.global_flags.begin(),
                             config.global_flags.end());
  inside.global_flags.insert(inside.global_flags.end(), extra_flags.begin(),
                             extra_flags.end());
  return inside;
}

RunResult SystemdHarness::Systemctl(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"-t", std::to_string(pid_), "-a", "--",
                                   "systemctl"};
  argv.insert(argv.end(), args.begin(), args.end());
  return tools_->RunRaw(argv, std::chrono::seconds(10));
}

std::string SystemdHarness::ReadInside(const std::string& path) {
  return tools_
      ->RunRaw({"-t", std::to_string(pid_), "-a", "--", "cat", path},
               std::chrono::seconds(10))
      .out;
}

}  // namespace runsc::testing
