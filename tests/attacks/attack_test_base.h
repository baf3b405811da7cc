// AttackTest: the fixture of the attack suite (issue 15, "never wider than
// runc"). Each test runs a real container whose workload (the static
// tests/attacks/attack.c, copied in as /bin/attack) tries to reach more of the
// host than runc allows, then checks the HOST. Every attack is harmless to the
// host even when it succeeds: it aims at objects the test made (a loop device
// on a temp file, its own directories) or makes no-op changes (same owner, mode
// and times) detected by ctime.
#ifndef RUNSC_TESTS_ATTACKS_ATTACK_TEST_BASE_H_
#define RUNSC_TESTS_ATTACKS_ATTACK_TEST_BASE_H_

#include <sys/stat.h>

#include <string>
#include <vector>

#include "tests/integration_test_base.h"

namespace runsc::testing {

// A loop device over a temp file filled with a known pattern; detached by the
// destructor.
class LoopDevice {
 public:
  // Attaches a loop device to a new `size`-byte file at `backing`; ok() says
  // whether it worked.
  LoopDevice(const std::string& backing, size_t size);
  ~LoopDevice();
  LoopDevice(const LoopDevice&) = delete;
  LoopDevice& operator=(const LoopDevice&) = delete;

  // True if the device is attached; otherwise error() says why.
  bool ok() const { return !device_.empty(); }
  const std::string& error() const { return error_; }
  // "/dev/loopN" and its minor number N (the major is 7).
  const std::string& device() const { return device_; }
  unsigned minor() const { return minor_; }
  // True if the device still reads back the pattern it was made with.
  bool HoldsPattern() const;

 private:
  std::string backing_;
  std::string device_;
  std::string error_;
  std::string pattern_;
  unsigned minor_ = 0;
};

// The owner, mode, ctime and identity of one host inode.
struct HostInode {
  dev_t dev = 0;
  ino_t ino = 0;
  uid_t uid = 0;
  gid_t gid = 0;
  mode_t mode = 0;
  struct timespec ctime = {};
  bool operator==(const HostInode& other) const;
};

// stat(2) of `path` on the host as a HostInode.
HostInode StatHost(const std::string& path);
// Prints a HostInode in failure messages.
void PrintTo(const HostInode& inode, std::ostream* os);

class AttackTest : public IntegrationTest {
 protected:
  // A bundle with Docker's default capabilities (CAP_MKNOD, CAP_CHOWN,
  // CAP_FOWNER ... as `docker run` gives), a writable root, and /bin/attack in
  // its rootfs.
  BundleBuilder AttackBundle();
  // Runs `bundle` with `sh -c script` as its process (bounded) and returns the
  // result.
  RunResult RunScript(BundleBuilder& bundle, const std::string& script);
  // Runs `bundle` as above with the runtime's global flags `flags` first
  // (runsc's --policy ...).
  RunResult RunScriptWithFlags(BundleBuilder& bundle, const std::string& script,
                               const std::vector<std::string>& flags);
  // A host directory of the test (mode 0777), created with its parents.
  std::string HostDir(const std::string& name);
};

// The value of "LABEL VALUE" among the lines of `out` ("" if LABEL never
// printed).
std::string Outcome(const std::string& out, const std::string& label);

// Success if the step LABEL ran and failed (printed an errno name), with the
// output otherwise.
::testing::AssertionResult Refused(const RunResult& result,
                                   const std::string& label);

}  // namespace runsc::testing

#endif  // RUNSC_TESTS_ATTACKS_ATTACK_TEST_BASE_H_
