// SystemdHarness: a real systemd (PID 1 of namespaces of its own, never the
// host's) for the systemd cgroup driver's tests; see systemd_harness.sh for
// what it isolates.
#ifndef RUNSC_TESTS_SYSTEMD_HARNESS_H_
#define RUNSC_TESTS_SYSTEMD_HARNESS_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tests/runtime.h"

namespace runsc::testing {

class SystemdHarness {
 public:
  // Starts systemd and waits (bounded) until it runs with its bus up. An error
  // says why it could not (not root, no systemd, namespaces refused, ...), for
  // the tests' skip message.
  static absl::StatusOr<std::unique_ptr<SystemdHarness>> Start();
  // Kills systemd with its namespaces and removes its cgroups.
  ~SystemdHarness();

  // systemd's pid (in this test's pid namespace).
  pid_t pid() const { return pid_; }
  // `config` run inside systemd's namespaces (nsenter -a) and cgroups, with `extra_flags`
  // after its own.
  RuntimeConfig Inside(const RuntimeConfig& config,
                       const std::vector<std::string>& extra_flags) const;
  // Runs `systemctl args...` inside (bounded).
  RunResult Systemctl(const std::vector<std::string>& args);
  // Runs `cat path` inside (bounded): the file's text, "" if unreadable.
  std::string ReadInside(const std::string& path);

 private:
  SystemdHarness(std::string dir, pid_t pid);
  std::string dir_;
  pid_t pid_;
  std::unique_ptr<Runtime> tools_;  // runs nsenter
};

}  // namespace runsc::testing

#endif  // RUNSC_TESTS_SYSTEMD_HARNESS_H_
