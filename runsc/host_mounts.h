// Which of a container's mounts are host storage, and how the two views of
// them differ (DESIGN.md, "What happens to each system call"): the workload
// sees them READ-ONLY (and nosuid unless --allow-suid), so a write it is not
// allowed to make natively fails with EROFS in the kernel; the gofer's copy
// of the tree has the writable ones read-write, and every write the workload
// makes is brokered to it.
#ifndef RUNSC_RUNSC_HOST_MOUNTS_H_
#define RUNSC_RUNSC_HOST_MOUNTS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "platform/mount_attrs.h"
#include "runsc/spec.h"

namespace runsc {

struct HostStorage {
  // Host-backed mounts the spec lets the container write (with `recursive`,
  // and the mounts beneath them): read-only for the workload; those of them
  // that were writable are read-write for the gofer.
  std::vector<platform::MountTarget> writable;
  // Every host-backed mount (writable ones included): nosuid for the workload.
  std::vector<platform::MountTarget> all;
};

// The rootfs (unless root.readonly, or `rootfs_in_memory` for --overlay=memory)
// and the bind mounts, those beneath /dev included (Kubernetes'
// /dev/termination-log is a host file), except a bind of /dev itself and
// /dev/shm (Docker's shared-memory tmpfs, which the container writes
// natively, as under runc). Binds of device nodes are dropped later, where
// they can be looked at (ProtectHostStorage): a read-only mount does not
// stop writes to a device, and the device cgroup decides for them.
HostStorage FindHostStorage(const Spec& spec, bool rootfs_in_memory);

// For the sentry, which lets /dev paths run natively: the destinations of
// the host-storage binds beneath /dev whose source (looked at here, on the
// host) is not a device node. Paths at or beneath them are brokered.
std::vector<std::string> HostStorageUnderDev(const Spec& spec);

// In the container init, after pivot_root, before the workload's filter:
// makes the workload's view of host storage read-only (and nosuid unless
// `allow_suid`), one mount at a time, and returns the mounts it made
// read-only: exactly those the gofer makes writable again in its copy
// (platform::MakeWritableMountsReadonly). A mount already read-only (in the
// spec, in readonlyPaths, on the host, nested in an rbind) is not among
// them, so it stays read-only for the gofer too. `proc_fd` is a /proc fd
// whose thread-self/mountinfo lists our mounts. Errors name the mount.
absl::StatusOr<std::vector<platform::MountTarget>> ProtectHostStorage(const HostStorage& storage, bool allow_suid,
                                                                      int proc_fd);

}  // namespace runsc

#endif  // RUNSC_RUNSC_HOST_MOUNTS_H_
