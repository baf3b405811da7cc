// Helpers of the Debian compatibility tests: the inputs every scenario sees at
// /in (the scenario scripts of tests/debian_compat, local .debs and an apt
// repository), and one run of a command in the compat image under a runtime,
// through `docker run` or through a plain bundle whose rootfs is an overlay of
// the cached image (so each run starts from the same files).
#ifndef RUNSC_TESTS_DEBIAN_COMPAT_SUPPORT_H_
#define RUNSC_TESTS_DEBIAN_COMPAT_SUPPORT_H_

#include <chrono>
#include <string>
#include <vector>

#include "tests/docker_support.h"

namespace runsc::testing {

// The runtime a run uses: its name for `docker run --runtime` and its binary
// for bundles.
struct CompatRuntime {
  std::string name;
  std::string binary;
};

// The built runsc, and runc (the reference every result is compared with).
CompatRuntime Runsc();
CompatRuntime Runc();

// The host dir mounted read-only at /in: scripts, debs/, repo/ (made once per
// process); "" and a reason in `why` when it cannot be made.
std::string CompatInputs(std::string* why);

// Makes the test process's mounts private to it (once), so overlays it mounts
// vanish with it.
std::string PrivateMounts();

// Runs `args` in the compat image under `runtime` with `docker run --rm
// --network none -v IN:/in:ro` plus `flags`.
Shell DockerRun(const CompatRuntime& runtime,
                const std::vector<std::string>& args, const std::string& flags,
                std::chrono::milliseconds timeout);

// Runs `args` under `runtime` in a bundle in `dir` (created; removed after)
// whose rootfs is a fresh overlay of the compat rootfs, with Docker's default
// capabilities, /in read-only, and `binds`
// ("HOST:DEST" read-write).
Shell BundleRun(const CompatRuntime& runtime, const std::string& dir,
                const std::vector<std::string>& args,
                const std::vector<std::string>& binds,
                std::chrono::milliseconds timeout);

}  // namespace runsc::testing

#endif  // RUNSC_TESTS_DEBIAN_COMPAT_SUPPORT_H_
