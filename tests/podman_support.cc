// Helpers of the podman suite (see podman_support.h).
#include "tests/podman_support.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "fmt/format.h"
#include "tests/leftovers.h"

namespace runsc::testing {

using namespace std::chrono_literals;

namespace {

// The private store's directory (made once per process).
const std::string& StoreDir() {
  static const std::string dir = [] {
    char dir_template[] = "/tmp/runsc-podman-XXXXXX";
    return std::string(mkdtemp(dir_template) ? dir_template : "");
  }();
  return dir;
}

// The cgroup parent of this process's containers, beneath every hierarchy's
// root.
std::string CgroupParent() { return fmt::format("/runsc-podman-{}", getpid()); }

// Removes the cgroup parent's directories (podman leaves them, and its
// conmon/), deepest first.
void RemoveCgroupParent() {
  std::vector<std::string> dirs;
  std::error_code ignored;
  for (const auto& hierarchy :
       std::filesystem::directory_iterator("/sys/fs/cgroup", ignored)) {
    std::string top = hierarchy.path().string() + CgroupParent();
    if (!std::filesystem::is_directory(top, ignored)) continue;
    dirs.push_back(top);
    for (const auto& entry :
         std::filesystem::recursive_directory_iterator(top, ignored))
      if (entry.is_directory(ignored)) dirs.push_back(entry.path().string());
  }
  std::string unified = "/sys/fs/cgroup" + CgroupParent();  // pure cgroup v2
  if (std::filesystem::is_directory(unified, ignored)) dirs.push_back(unified);
  std::sort(dirs.begin(), dirs.end(),
            [](const auto& a, const auto& b) { return a.size() > b.size(); });
  for (const auto& dir : dirs) rmdir(dir.c_str());
}

}  // namespace

std::string PodmanRuntime() {
  const char* runtime = getenv("PODMAN_TEST_RUNTIME");
  return runtime && *runtime ? runtime : RUNSC_PODMAN_TEST_RUNSC;
}

std::string Podman() {
  const std::string& dir = StoreDir();
  // This host has no systemd as PID 1: podman's cgroupfs manager and file
  // events log work here.
  return fmt::format(
      "podman --root {0}/root --runroot {0}/run --tmpdir {0}/tmp "
      "--storage-driver vfs "
      "--cgroup-manager cgroupfs --events-backend file --runtime {1}",
      dir, PodmanRuntime());
}

std::string PreparePodman() {
  static const std::string reason = []() -> std::string {
    if (Sh("command -v podman && command -v conmon").code != 0)
      return "podman or conmon is not installed (scripts/podman-setup installs "
             "them)";
    if (access(PodmanRuntime().c_str(), X_OK) != 0)
      return "no runtime at " + PodmanRuntime();
    if (StoreDir().empty()) return "cannot make a temp dir for podman's store";
    // podman import records the layer in the host's blob-info cache
    // (/var/lib/containers/cache, whatever --root says): import in a mount
    // namespace of its own, with a tmpfs there.
    Shell import =
        Sh(fmt::format("unshare -m sh -c 'cache=/var/lib/containers; "
                       "[ -d $cache ] || cache=/var/lib; mount -t tmpfs tmpfs "
                       "$cache && tar -C \"{}\" -c . | {} import - {}'",
                       RUNSC_PODMAN_TEST_ROOTFS, Podman(), kPodmanImage),
           120s);
    if (import.code != 0) return "podman import failed: " + import.err;
    return "";
  }();
  return reason;
}

void RemovePodmanStore() {
  const std::string& dir = StoreDir();
  if (dir.empty() || !std::filesystem::exists(dir)) return;
  Sh(Podman() + " rm -af -t 0 >/dev/null 2>&1", 60s);
  // podman leaves its storage mounts (and vfs layers) under root and runroot:
  // unmount, then delete.
  for (const auto& mount : MountsUnder(dir))
    Sh(fmt::format("umount -l '{}' 2>/dev/null", mount));
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
  RemoveCgroupParent();
}

std::string RunDefaults() {
  // This host lacks CAP_SYS_RESOURCE: podman's default rlimits (1048576) fail
  // under every runtime.
  return fmt::format(
      "--network none --cgroup-parent {} --ulimit nofile=20000:20000 --ulimit "
      "nproc=32768:32768",
      CgroupParent());
}

void PodmanTest::SetUp() {
  std::string reason = PreparePodman();
  if (!reason.empty()) GTEST_SKIP() << reason;
}

void PodmanTest::TearDown() {
  for (const auto& name : names_)
    P(fmt::format("rm -f -t 0 {} >/dev/null 2>&1", name));
}

std::string PodmanTest::NewName() {
  names_.push_back(fmt::format("runsc-podman-{}-{}", getpid(), names_.size()));
  return names_.back();
}

Shell PodmanTest::P(const std::string& args,
                    std::chrono::milliseconds timeout) {
  return Sh(Podman() + " " + args, timeout);
}

Shell PodmanTest::Run(const std::string& flags, const std::string& script,
                      std::chrono::milliseconds timeout) {
  return P(fmt::format("run --rm {} {} {} sh -c '{}'", RunDefaults(), flags,
                       kPodmanImage, script),
           timeout);
}

std::string PodmanTest::Detached(const std::string& script,
                                 const std::string& flags) {
  std::string name = NewName();
  Shell started = P(fmt::format("run -d --name {} {} {} {} sh -c '{}'", name,
                                RunDefaults(), flags, kPodmanImage, script));
  EXPECT_EQ(started.code, 0) << started;
  return name;
}

std::string PodmanTest::Inspect(const std::string& name,
                                const std::string& format) {
  return Trim(P(fmt::format("inspect --format '{}' {}", format, name)).out);
}

bool PodmanTest::LogsContain(const std::string& name, const std::string& text,
                             std::chrono::milliseconds limit) {
  return WaitUntil(
      [&] {
        return P("logs " + name + " 2>&1").out.find(text) != std::string::npos;
      },
      limit);
}

bool PodmanTest::UnderRunsc() const {
  // The built runsc, or a copy of it (PODMAN_TEST_RUNTIME=/tmp/x/runsc).
  return PodmanRuntime() == RUNSC_PODMAN_TEST_RUNSC ||
         std::filesystem::path(PodmanRuntime())
             .filename()
             .string()
             .starts_with("runsc");
}

}  // namespace runsc::testing
