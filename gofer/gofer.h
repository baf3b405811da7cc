// The gofer process (`runsc gofer`): joins the container's namespaces, makes
// its own read-write copy of the container's mount tree, confines itself and
// serves the sentry's connection until the sentry closes it, and the
// container's virtual /proc files meanwhile.
#ifndef RUNSC_GOFER_GOFER_H_
#define RUNSC_GOFER_GOFER_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gofer/server/policy.h"
#include "platform/mount_attrs.h"

namespace gofer {

struct GoferOptions {
  std::string container_id;
  int init_pidfd = -1;     // pidfd of the container's init (pivot_root'ed)
  int sentry_socket = -1;  // SOCK_SEQPACKET, the server end
  int ready_fd = -1;       // stream socket to runsc create (sync_channel framing)
  DeviceRules devices;  // the container's device cgroup rules (policy.h)
  // --donate-root (directfs): hand the sentry an O_PATH fd of our root in
  // the handshake. Honoured only when the container shares the host's user
  // namespace (docs/design.md, "directfs": the sentry's capabilities are
  // the host's, so it must not act for a container whose root is not).
  bool donate_root = false;
  // The mounts the init made read-only in the workload's view (runsc/host_mounts.h),
  // each a single mount (never recursive): made read-write again in our copy.
  std::vector<platform::MountTarget> writable_mounts;
  // The container's cgroup (platform::Cgroup::ToJson) for the virtual /proc
  // and /sys files (virtual_proc.h); empty: no virtual files.
  std::string virtual_proc_cgroup;
  // The container's cgroup.kill (cgroup v2), opened by runsc create; -1:
  // none, and fail closed kills the init only (enough with a pid namespace).
  int cgroup_kill_fd = -1;
};

// Runs the gofer; returns the process exit code: 0 when the sentry closed
// the connection, 1 on a setup error (reported on ready_fd as
// {"error": "..."}) or a server failure. Fail closed: once serving, when the
// sentry's end hangs up (it exited or died) the gofer kills the container
// before exiting. Must be called single-threaded:
// it joins namespaces and installs a process-wide seccomp filter. Every fd
// in `options` is owned (closed, or kept until exit).
int RunGofer(const GoferOptions& options);

// The capabilities the gofer keeps (bounding, permitted and effective): what
// its handlers need to act with a caller's credentials.
const std::vector<int>& GoferCapabilities();

// Loads the gofer's own seccomp allowlist (default: kill the process) on
// the calling process; call before starting any thread. Sets no_new_privs.
absl::Status InstallGoferFilter();

}  // namespace gofer

#endif  // RUNSC_GOFER_GOFER_H_
