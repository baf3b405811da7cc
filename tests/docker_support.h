// Helpers of the Docker suite: shell commands with a bound, the runtime under test, dockerd's state
// root, the image set-up, and the DockerTest fixture (which skips when there is no dockerd).
#ifndef RUNSC_TESTS_DOCKER_SUPPORT_H_
#define RUNSC_TESTS_DOCKER_SUPPORT_H_

#include <chrono>
#include <ostream>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace runsc::testing {

// The busybox image every test runs (imported from the build's rootfs, never pulled).
inline constexpr char kImage[] = "runsc-test-busybox";

// A shell loop that traps SIGTERM (a pid 1 without a handler ignores it) and reports signals.
inline constexpr char kSleeper[] =
    "trap \"echo got-term; exit 0\" TERM; trap \"echo got-usr1\" USR1; echo ready; "
    "while true; do sleep 0.1; done";

// The outcome of one shell command.
struct Shell {
  int code = -1;  // exit status, or -1 if killed (also on timeout)
  bool timed_out = false;
  std::string out, err;
};

std::ostream& operator<<(std::ostream& os, const Shell& r);

// Runs `command` with /bin/sh -c in its own process group; kills the group after `timeout`.
Shell Sh(const std::string& command, std::chrono::milliseconds timeout = std::chrono::seconds(60));

// `text` without trailing newlines and spaces.
std::string Trim(std::string text);

// The runtime under test: $RUNSC_DOCKER_RUNTIME, default "runsc" (or "runsc-<platform>",
// "runsc-strict", "runsc-<platform>-strict": see RuntimeFlags).
std::string RuntimeName();

// $RUNSC_TEST_PLATFORM (e.g. "ptrace"), or "" for runsc's default platform.
std::string TestPlatform();

// The flags the built runsc is registered with under RuntimeName(): `--platform <p>` for
// $RUNSC_TEST_PLATFORM, `--directfs=false` for $RUNSC_TEST_DIRECTFS=false (the strict file
// mode); empty for plain "runsc".
std::vector<std::string> RuntimeFlags();

// Whether `name` is the built runsc: "runsc", or the name it is registered under with RuntimeFlags.
bool IsBuiltRunsc(const std::string& name);

// dockerd's --exec-root (default /var/run/docker), from its command line.
std::string DockerExecRoot();

// The state root dockerd gives the runc shim, and so the runtime's --root, for every runtime.
std::string RuntimeRoot();

// Why the suite cannot run here ("" if it can); sets up the image and the runtime once per process.
std::string PrepareDocker();

// Skips without a usable dockerd; removes the containers it named in TearDown.
class DockerTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // A container name owned by this test (removed in TearDown).
  std::string NewName();
  // `docker run --rm --runtime=R --network none <flags> IMAGE sh -c <script>`.
  Shell Run(const std::string& flags, const std::string& script,
            std::chrono::milliseconds timeout = std::chrono::seconds(60));
  // Starts a detached container running `script`; returns its name.
  std::string Detached(const std::string& script, const std::string& flags = "--network none");
  // `docker inspect --format <format> <name>`, trimmed.
  std::string Inspect(const std::string& name, const std::string& format);
  // Polls `docker logs` until it contains `text`.
  bool LogsContain(const std::string& name, const std::string& text,
                   std::chrono::milliseconds limit = std::chrono::seconds(10));

  std::string runtime_;
  std::vector<std::string> names_;
};

}  // namespace runsc::testing

#endif  // RUNSC_TESTS_DOCKER_SUPPORT_H_
