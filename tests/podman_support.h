// Helpers of the podman suite: a private podman (its own --root, --runroot and
// --tmpdir under a temp dir, so the host's podman state is never read or
// changed), the busybox image imported into it once per process (never pulled),
// and the PodmanTest fixture, which skips without podman. The runtime under
// test is $PODMAN_TEST_RUNTIME (a path, e.g. /usr/sbin/runc), default the built
// runsc. Reuses Sh/Trim of docker_support.h.
#ifndef RUNSC_TESTS_PODMAN_SUPPORT_H_
#define RUNSC_TESTS_PODMAN_SUPPORT_H_

#include <chrono>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/docker_support.h"

namespace runsc::testing {

// The busybox image of the private store (a local name: no registry is ever
// asked).
inline constexpr char kPodmanImage[] = "localhost/runsc-test-busybox";

// The runtime podman runs: $PODMAN_TEST_RUNTIME, default the built runsc.
std::string PodmanRuntime();

// `podman` with the private store and the flags this host needs (no systemd as
// PID 1: cgroupfs, file events; vfs storage), and --runtime PodmanRuntime().
std::string Podman();

// The flags of every `podman run` here: no network, the rlimits this host
// allows, and a cgroup parent of this process's own (removed with the store)
// rather than podman's shared libpod_parent.
std::string RunDefaults();

// Why the suite cannot run here ("" if it can); makes the store and imports the
// image once.
std::string PreparePodman();

// Removes every container of the private store, the store itself and the cgroup
// parent (at the end of the process).
void RemovePodmanStore();

// Skips without podman; removes the containers it named in TearDown.
class PodmanTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // A container name owned by this test (removed in TearDown).
  std::string NewName();
  // `podman run --rm <RunDefaults()> <flags> IMAGE sh -c <script>`.
  Shell Run(const std::string& flags, const std::string& script,
            std::chrono::milliseconds timeout = std::chrono::seconds(60));
  // Starts a detached container running `script`; returns its name.
  std::string Detached(const std::string& script,
                       const std::string& flags = "");
  // `podman <args>` with the private store.
  Shell P(const std::string& args,
          std::chrono::milliseconds timeout = std::chrono::seconds(60));
  // `podman inspect --format <format> <name>`, trimmed.
  std::string Inspect(const std::string& name, const std::string& format);
  // Polls `podman logs` until it contains `text`.
  bool LogsContain(const std::string& name, const std::string& text,
                   std::chrono::milliseconds limit = std::chrono::seconds(10));
  // True when the runtime under test is the built runsc.
  bool UnderRunsc() const;

  std::vector<std::string> names_;
};

}  // namespace runsc::testing

#endif  // RUNSC_TESTS_PODMAN_SUPPORT_H_
