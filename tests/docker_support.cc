// Helpers of the Docker suite (see docker_support.h).
#include "tests/docker_support.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <thread>

#include "absl/strings/str_join.h"
#include "fmt/format.h"
#include "tests/leftovers.h"

namespace runsc::testing {

using namespace std::chrono_literals;

std::ostream& operator<<(std::ostream& os, const Shell& r) {
  return os << "exit " << r.code << (r.timed_out ? " (timed out)" : "") << "\n--- stdout:\n"
            << r.out << "--- stderr:\n"
            << r.err;
}

Shell Sh(const std::string& command, std::chrono::milliseconds timeout) {
  Shell result;
  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) return result;
  pid_t pid = fork();
  if (pid == 0) {
    setpgid(0, 0);
    int null = open("/dev/null", O_RDONLY);
    dup2(null, 0);
    dup2(out[1], 1);
    dup2(err[1], 2);
    execl("/bin/sh", "sh", "-c", command.c_str(), nullptr);
    _exit(127);
  }
  close(out[1]);
  close(err[1]);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  struct pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  int open_fds = 2;
  while (open_fds > 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left <= 0ms) {
      result.timed_out = true;
      kill(-pid, SIGKILL);
      break;
    }
    if (poll(fds, 2, static_cast<int>(left.count())) < 0 && errno != EINTR) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buffer[4096];
      ssize_t n = read(fds[i].fd, buffer, sizeof(buffer));
      if (n > 0) {
        sinks[i]->append(buffer, n);
      } else {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  for (auto& fd : fds)
    if (fd.fd >= 0) close(fd.fd);
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFEXITED(status) && !result.timed_out) result.code = WEXITSTATUS(status);
  return result;
}

std::string Trim(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

// $RUNSC_TEST_PLATFORM (e.g. "ptrace"): the built runsc runs under Docker as
// runtime runsc-<platform>, registered with --platform <platform>.
std::string TestPlatform() {
  const char* platform = getenv("RUNSC_TEST_PLATFORM");
  return platform && *platform ? platform : "";
}

namespace {
bool StrictFileMode() {
  const char* directfs = getenv("RUNSC_TEST_DIRECTFS");
  return directfs && std::string(directfs) == "false";
}

// The name the built runsc is registered under for this run's flags.
std::string BuiltRuntimeName() {
  std::string name = "runsc";
  if (!TestPlatform().empty()) name += "-" + TestPlatform();
  if (StrictFileMode()) name += "-strict";
  return name;
}
}  // namespace

std::vector<std::string> RuntimeFlags() {
  std::vector<std::string> flags;
  if (!TestPlatform().empty()) flags.insert(flags.end(), {"--platform", TestPlatform()});
  if (StrictFileMode()) flags.push_back("--directfs=false");
  return flags;
}

std::string RuntimeName() {
  const char* name = getenv("RUNSC_DOCKER_RUNTIME");
  if (name && *name) return name;
  return BuiltRuntimeName();
}

bool IsBuiltRunsc(const std::string& name) { return name == "runsc" || name == BuiltRuntimeName(); }


std::string DockerExecRoot() {
  std::string pid = Trim(Sh("pidof dockerd").out);
  std::string cmdline = ReadFile("/proc/" + pid.substr(0, pid.find(' ')) + "/cmdline");
  std::vector<std::string> args;
  for (size_t start = 0, end; start < cmdline.size(); start = end + 1) {
    end = cmdline.find('\0', start);
    if (end == std::string::npos) end = cmdline.size();
    args.push_back(cmdline.substr(start, end - start));
  }
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i].rfind("--exec-root=", 0) == 0) return args[i].substr(12);
    if (args[i] == "--exec-root" && i + 1 < args.size()) return args[i + 1];
  }
  return "/var/run/docker";
}

// dockerd (20.10 to 28) gives the runc shim, and so every runtime, this --root (seen in `ps`:
// runsc --root /var/run/docker/runtime-runc/moby ...).
std::string RuntimeRoot() {
  static const std::string root = DockerExecRoot() + "/runtime-runc/moby";
  return root;
}

std::string PrepareDocker() {
  static const std::string reason = []() -> std::string {
    if (Sh("command -v docker").code != 0) return "docker is not installed (scripts/docker-test installs it)";
    Shell info = Sh("docker info --format '{{json .Runtimes}}'", 30s);
    if (info.code != 0) return "dockerd is not reachable (scripts/docker-test starts it): " + info.err;
    if (Sh(fmt::format("docker image inspect {} >/dev/null 2>&1", kImage)).code != 0) {
      Shell import = Sh(fmt::format("tar -C '{}' -c . | docker import - {}", RUNSC_DOCKER_TEST_ROOTFS, kImage), 120s);
      if (import.code != 0) return "docker import failed: " + import.err;
    }
    std::string name = RuntimeName();
    if (!IsBuiltRunsc(name)) {
      return info.out.find("\"" + name + "\"") != std::string::npos || name == "runc"
                 ? ""
                 : "dockerd has no runtime " + name;
    }
    std::string binary = RUNSC_DOCKER_TEST_RUNSC;
    std::string want = fmt::format("\"{}\":{{\"path\":\"{}\"", name, binary);
    if (info.out.find(want) != std::string::npos) return "";
    const std::vector<std::string> flags = RuntimeFlags();
    const std::string flag_text = flags.empty() ? "" : " -- " + absl::StrJoin(flags, " ");
    Shell install = Sh(fmt::format("'{}' install --runtime {}{}", binary, name, flag_text));
    if (install.code != 0) return "runsc install failed: " + install.err;  // e.g. runsc-ptrace -- --platform ptrace
    // dockerd reloads "runtimes" on SIGHUP (systemctl reload docker sends exactly that).
    if (Sh("systemctl reload docker 2>/dev/null").code != 0) Sh("kill -HUP $(pidof dockerd)");
    for (int i = 0; i < 100; ++i) {
      if (Sh("docker info --format '{{json .Runtimes}}'").out.find(want) != std::string::npos) return "";
      std::this_thread::sleep_for(100ms);
    }
    return "dockerd did not pick up the runsc runtime after a reload: " + Sh("docker info --format '{{json .Runtimes}}'").out;
  }();
  return reason;
}

void DockerTest::SetUp() {
  std::string reason = PrepareDocker();
  if (!reason.empty()) GTEST_SKIP() << reason;
  runtime_ = RuntimeName();
}

void DockerTest::TearDown() {
  for (const auto& name : names_) Sh(fmt::format("docker rm -f {} >/dev/null 2>&1", name));
}

std::string DockerTest::NewName() {
  names_.push_back(fmt::format("runsc-test-{}-{}", getpid(), names_.size()));
  return names_.back();
}

Shell DockerTest::Run(const std::string& flags, const std::string& script, std::chrono::milliseconds timeout) {
  return Sh(fmt::format("docker run --rm --runtime={} --network none {} {} sh -c '{}'", runtime_, flags, kImage,
                        script),
            timeout);
}

std::string DockerTest::Detached(const std::string& script, const std::string& flags) {
  std::string name = NewName();
  Shell started =
      Sh(fmt::format("docker run -d --name {} --runtime={} {} {} sh -c '{}'", name, runtime_, flags, kImage, script));
  EXPECT_EQ(started.code, 0) << started;
  return name;
}

std::string DockerTest::Inspect(const std::string& name, const std::string& format) {
  return Trim(Sh(fmt::format("docker inspect --format '{}' {}", format, name)).out);
}

bool DockerTest::LogsContain(const std::string& name, const std::string& text, std::chrono::milliseconds limit) {
  return WaitUntil([&] { return Sh("docker logs " + name + " 2>&1").out.find(text) != std::string::npos; }, limit);
}

}  // namespace runsc::testing
