// runsc do: run a command in a sandbox without a bundle (as gVisor's `runsc do`).
// The host's "/" is the read-only lower layer of a memory overlay (the host is
// never modified), /tmp is private, the network is none (a new namespace with
// only lo) unless --network host. The bundle is made in a private directory
// under /run and removed afterwards.
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "fmt/format.h"
#include "platform/errors.h"
#include "platform/status_macros.h"
#include "runsc/commands.h"
#include "runsc/spec.h"

namespace runsc {
namespace {

// The cwd inside the sandbox: ours when it is on the root filesystem (the
// overlay's lower layer shows only that one), else "/".
std::string SandboxCwd() {
  char buffer[4096];
  struct stat cwd, root;
  if (getcwd(buffer, sizeof(buffer)) == nullptr || stat(".", &cwd) != 0 || stat("/", &root) != 0) return "/";
  return cwd.st_dev == root.st_dev ? buffer : "/";
}

nlohmann::ordered_json DoSpec(const DoOptions& options) {
  nlohmann::ordered_json spec = DefaultSpec(false);
  spec["process"]["args"] = options.command;
  spec["process"]["terminal"] = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
  spec["process"]["cwd"] = SandboxCwd();
  spec["process"]["user"] = {{"uid", getuid()}, {"gid", getgid()}};
  nlohmann::ordered_json env = nlohmann::ordered_json::array();
  for (const char* name : {"PATH", "TERM", "HOME", "LANG"}) {
    if (const char* value = getenv(name)) env.push_back(fmt::format("{}={}", name, value));
  }
  spec["process"]["env"] = env;
  // Docker's default capabilities (runc spec's three cannot even remove a
  // file in another user's directory), NET_RAW left out.
  nlohmann::ordered_json caps = {"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD",
                                 "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
                                 "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"};
  for (const char* set : {"bounding", "effective", "permitted"}) spec["process"]["capabilities"][set] = caps;
  spec["root"] = {{"path", "rootfs"}, {"readonly", false}};
  spec["hostname"] = "runsc-do";
  spec["mounts"].push_back({{"destination", "/tmp"}, {"type", "tmpfs"}, {"source", "tmpfs"},
                            {"options", {"nosuid", "nodev", "mode=1777"}}});
  if (options.network == "host") {
    nlohmann::ordered_json kept = nlohmann::ordered_json::array();
    for (const auto& ns : spec["linux"]["namespaces"]) {
      if (ns["type"] != "network") kept.push_back(ns);
    }
    spec["linux"]["namespaces"] = kept;
  }
  return spec;
}

// A private bundle directory: /run/runsc-do-XXXXXX with an empty rootfs/.
absl::StatusOr<std::string> MakeBundle(const nlohmann::ordered_json& spec) {
  std::string dir = "/run/runsc-do-XXXXXX";
  if (mkdtemp(dir.data()) == nullptr) return platform::LastError("making a bundle directory under /run");
  if (mkdir((dir + "/rootfs").c_str(), 0755) != 0) return platform::LastError("making the bundle's rootfs");
  std::ofstream(dir + "/config.json") << spec.dump(2);
  return dir;
}

}  // namespace

absl::StatusOr<int> DoCommand(GlobalOptions global, const DoOptions& options) {
  if (options.command.empty()) return absl::InvalidArgumentError("do: no command given (runsc do -- CMD ARGS...)");
  if (options.network != "none" && options.network != "host") {
    return absl::InvalidArgumentError(fmt::format("do: --network \"{}\": unknown (known: none, host)", options.network));
  }
  global.sandbox.overlay = "memory";
  global.sandbox.overlay_lower = "/";
  ASSIGN_OR_RETURN(std::string bundle, MakeBundle(DoSpec(options)));
  RunOptions run;
  run.create.bundle = bundle;
  run.create.id = fmt::format("do-{:08x}", std::random_device{}());
  absl::StatusOr<int> exit_code = RunCommand(global, run);
  std::error_code ignored;
  std::filesystem::remove_all(bundle, ignored);
  return exit_code;
}

}  // namespace runsc
