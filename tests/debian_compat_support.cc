// Helpers of the Debian compatibility tests (see debian_compat_support.h).
#include "tests/debian_compat_support.h"

#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "fmt/format.h"
#include "tests/bundle_builder.h"
#include "tests/debian_image.h"
#include "tests/runtime.h"

namespace runsc::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::string Quote(const std::string& word) {
  std::string quoted = "'";
  for (char c : word)
    quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

Shell Failed(const std::string& error) {
  Shell failed;
  failed.err = error;
  return failed;
}

std::string Join(const std::vector<std::string>& args) {
  std::string line;
  for (const std::string& arg : args)
    line += (line.empty() ? "" : " ") + Quote(arg);
  return line;
}

// The bundle's config: the default one with Docker's capabilities and mounts,
// root read-write at `rootfs`.
BundleBuilder CompatBundle(const std::string& dir, const std::string& rootfs,
                           const std::string& inputs) {
  BundleBuilder bundle(dir);
  bundle.WithoutRootfs().ReadonlyRoot(false).Env("HOME=/root");
  bundle.Capabilities({"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER",
                       "CAP_FSETID", "CAP_MKNOD", "CAP_SETFCAP", "CAP_SETUID",
                       "CAP_SETGID", "CAP_SETPCAP", "CAP_KILL",
                       "CAP_AUDIT_WRITE", "CAP_NET_BIND_SERVICE", "CAP_NET_RAW",
                       "CAP_SYS_CHROOT"});
  bundle.AddMount("/in", "bind", inputs, {"rbind", "ro"});
  bundle.config()["root"]["path"] = rootfs;
  return bundle;
}

}  // namespace

CompatRuntime Runsc() { return {"runsc", RUNSC_DOCKER_TEST_RUNSC}; }
CompatRuntime Runc() { return {"runc", "/usr/sbin/runc"}; }

std::string CompatInputs(std::string* why) {
  static std::string reason;
  static const std::string dir = [&]() -> std::string {
    char path[] = "/tmp/runsc-compat-XXXXXX";
    if (!mkdtemp(path)) return reason = "mkdtemp failed", "";
    chmod(path, 0755);
    fs::copy(RUNSC_COMPAT_SCRIPTS, path, fs::copy_options::recursive);
    reason = MakeLocalDebs(path);
    static std::string made = path;
    std::atexit(
        [] { fs::remove_all(made); });  // the inputs go with the test process
    return reason.empty() ? path : "";
  }();
  *why = reason;
  return dir;
}

std::string PrivateMounts() {
  static const std::string reason = []() -> std::string {
    if (unshare(CLONE_NEWNS) != 0)
      return fmt::format("unshare(CLONE_NEWNS): {}", strerror(errno));
    if (mount(nullptr, "/", nullptr, MS_REC | MS_SLAVE, nullptr) != 0)
      return "making / a slave mount failed";
    return "";
  }();
  return reason;
}

Shell DockerRun(const CompatRuntime& runtime,
                const std::vector<std::string>& args, const std::string& flags,
                std::chrono::milliseconds timeout) {
  std::string why;
  std::string inputs = CompatInputs(&why);
  return Sh(
      fmt::format(
          "docker run --rm --runtime={} --network none -v {}:/in:ro {} {} {}",
          runtime.name, inputs, flags, kCompatImage, Join(args)),
      timeout);
}

Shell BundleRun(const CompatRuntime& runtime, const std::string& dir,
                const std::vector<std::string>& args,
                const std::vector<std::string>& binds,
                std::chrono::milliseconds timeout) {
  std::string why;
  std::string inputs = CompatInputs(&why);
  std::string rootfs = dir + "/rootfs";
  for (const char* sub : {"/upper", "/work", "/rootfs"})
    fs::create_directories(dir + sub);
  std::string options =
      fmt::format("lowerdir={},upperdir={}/upper,workdir={}/work",
                  CompatRootfs(), dir, dir);
  if (mount("overlay", rootfs.c_str(), "overlay", 0, options.c_str()) != 0) {
    return Failed(
        fmt::format("mounting the overlay at {}: {}", rootfs, strerror(errno)));
  }
  BundleBuilder bundle = CompatBundle(dir + "/bundle", rootfs, inputs);
  for (const std::string& bind : binds) {
    size_t colon = bind.find(':');
    bundle.AddMount(bind.substr(colon + 1), "bind", bind.substr(0, colon),
                    {"rbind", "rw"});
  }
  bundle.Args(args);
  Shell result;
  if (!bundle.Write().ok()) return Failed("writing the bundle in " + dir);
  {
    Runtime rt({runtime.name, runtime.binary, {}}, dir + "/state", dir);
    std::string id = fmt::format("compat-{}-{}", getpid(),
                                 fs::path(dir).filename().string());
    RunResult run = rt.Run({"run", "--bundle", bundle.dir(), id}, timeout);
    result = {.code = run.exit_code,
              .timed_out = run.timed_out,
              .out = run.out,
              .err = run.err};
  }  // ~Runtime deletes the container (--force) before the overlay goes.
  umount2(rootfs.c_str(), MNT_DETACH);
  fs::remove_all(dir);
  return result;
}

}  // namespace runsc::testing
