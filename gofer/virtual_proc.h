// The gofer's part of the virtual /proc and /sys (gofer/vproc): prepared in
// the host's namespaces, attached in the container's mount namespace,
// served once the gofer is confined (gofer.cc calls the three in order).
#ifndef RUNSC_GOFER_VIRTUAL_PROC_H_
#define RUNSC_GOFER_VIRTUAL_PROC_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "gofer/server/creds.h"
#include "gofer/vproc/vproc_mount.h"
#include "gofer/vproc/vproc_source.h"

namespace gofer {

struct VirtualProc {
  std::unique_ptr<vproc::MachineSource> source;
  std::vector<vproc::FileMount> mounts;
  // The files' owner in the mount's (the host's) user namespace: the ids
  // the container's root maps to, so that they show as root's inside.
  uint32_t uid = 0, gid = 0;
};

// In the host's namespaces: opens the host's procfs and the container's
// cgroup dirs (`cgroup_json`: platform::Cgroup::ToJson) and creates one
// detached mount per file, owned by the host ids the container's root maps
// to (`maps`; identity when empty). Without FUSE on this host (no
// /dev/fuse) returns an empty VirtualProc and logs a warning: the
// container then sees the host's files, as under runc.
absl::StatusOr<VirtualProc> PrepareVirtualProc(const std::string& cgroup_json, pid_t init_pid, const IdMaps& maps);

// In the container's mount namespace (root = the container root): attaches
// each mount over its target; a file whose target is not a procfs/sysfs
// file there (no /sys mounted, say) is dropped.
absl::Status AttachVirtualProc(VirtualProc& vproc);

// Serves every attached file and watches `peer` (the sentry's socket), all
// on one thread (detached; it lives as long as the gofer): an idle sandbox
// costs the container's pids.max one task for this, whatever the number of
// files (docs/design.md, "Cgroups"). Calls `on_peer_gone` once when `peer`
// hangs up or fails, then stops serving.
void ServeVirtualProc(const VirtualProc& vproc, int peer, std::function<void()> on_peer_gone);

}  // namespace gofer

#endif  // RUNSC_GOFER_VIRTUAL_PROC_H_
