// What the sentry is told: the sandbox options chosen on runsc's command line
// (global flags, as gVisor's) and the container it supervises.
#ifndef RUNSC_SENTRY_CONFIG_H_
#define RUNSC_SENTRY_CONFIG_H_

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "sentry/syscall_table.h"

namespace sentry {

// runsc's sandbox flags: --platform, --strace, --audit-log, --kernel-release.
struct SandboxConfig {
  std::string platform = "seccomp-notify";
  bool strace = false;         // one debug-log line per trapped call
  std::string audit_log;       // JSON lines for every emulated/brokered/denied call ("" = none)
  std::string kernel_release;  // uname's release in the container ("" = the host's)
  // --policy FILE's content: {"syscalls": {"<name>": "passthrough" | "emulate"
  // | "broker" | "deny" | "deny:<ERRNO name>"}}, moving rows of the table.
  nlohmann::json policy = nlohmann::json::object();
  // --policy-learn FILE (policy_learn.h): learn mode, and where the learned
  // policy goes ("%ID%": the container id; a directory: <id>.json in it).
  // "" = off. Refused together with --policy.
  std::string policy_learn;
  // --overlay: "none" (rootfs writes go to the host rootfs, through the
  // gofer) or "memory" (they land in a tmpfs upper layer owned by the
  // sandbox; the host rootfs is never modified).
  std::string overlay = "none";
  // The overlay's lower layer when it is not the bundle's rootfs: `runsc do`
  // sets "/" (the host's root, read-only beneath a memory upper). Not a flag.
  std::string overlay_lower;
  // --allow-suid: host-backed mounts keep set-user-id bits working in the
  // workload's view (false: nosuid, as gVisor).
  bool allow_suid = false;
  // --virtual-proc: the container's /proc/meminfo, cpuinfo, stat, uptime,
  // loadavg, diskstats, swaps and /sys/devices/system/cpu/online show its
  // cgroup limits (gofer/vproc), and sched_getaffinity and sysinfo agree.
  // The annotation dev.runsc.virtual-proc ("true"/"false") overrides it per
  // container (runsc create applies it here).
  bool virtual_proc = true;
  // --directfs (gVisor's flag; docs/design.md, "directfs"): the gofer
  // donates its root and the sentry performs brokered calls itself, one hop
  // instead of two. False: the strict mode, every brokered call goes to the
  // gofer. A container with its own user namespace always uses the strict
  // mode.
  bool directfs = true;

  // Checks the values before anything starts (an unknown --platform, a
  // relative --audit-log, a policy naming an unknown syscall, a kernel
  // without the seccomp features the platform needs). Errors name the flag.
  absl::Status Validate() const;
  // The table with --policy applied.
  absl::StatusOr<Policy> BuildPolicy() const;
  // Reads --policy FILE into `policy`.
  absl::Status LoadPolicyFile(const std::string& path);
  nlohmann::json ToJson() const;
  static absl::StatusOr<SandboxConfig> FromJson(const nlohmann::json& json);
};

// The container the sentry supervises, as runsc create knows it.
struct ContainerView {
  std::string id;
  pid_t init_pid = 0;
  nlohmann::json cgroup;      // platform::Cgroup::ToJson()
  bool own_uts = false;       // the container has a uts namespace of its own
  std::string control_path;   // the control socket's path (in the state dir)
  // Host-storage binds beneath /dev (runsc/host_mounts.h): the only /dev
  // paths that are brokered.
  std::vector<std::string> host_storage_under_dev;
  // The mounts the container may write that the init made read-only in the
  // workload's view (each one mount, by its mount point): statfs and the
  // mount tables show them writable (sentry/mount_view.h).
  std::vector<std::string> writable_mounts;

  nlohmann::json ToJson() const;
  static absl::StatusOr<ContainerView> FromJson(const nlohmann::json& json);
};

}  // namespace sentry

#endif  // RUNSC_SENTRY_CONFIG_H_
