// The gofer's policy on what it does on the caller's behalf, beyond the
// kernel's permission checks.
//
// Invariant (DESIGN.md: the broker is never wider than runc): the gofer is
// not in the container's device cgroup, so it applies the container's device
// rules itself. It makes a char/block node only when the rules allow mknod
// ('m') of that device, which is the answer the kernel gives the workload's
// own mknod; and it never opens a device node at all (its tree is nodev,
// gofer.cc): an open that reaches one is handed back to the kernel, where
// the workload's own device cgroup decides (handlers_open.cc).
#ifndef RUNSC_GOFER_SERVER_POLICY_H_
#define RUNSC_GOFER_SERVER_POLICY_H_

#include <sys/types.h>

#include <cstdint>
#include <vector>

#include "platform/cgroup_devices_bpf.h"

namespace gofer {

// The container's device cgroup rules, in order (runsc/device_rules.h).
using DeviceRules = std::vector<platform::DeviceCgroupRule>;

// True when mknod(mode, dev) may go to the kernel: anything but a char or
// block device, or a device whose mknod the rules allow.
bool MknodAllowed(const DeviceRules& rules, uint32_t mode, uint64_t dev);

}  // namespace gofer

#endif  // RUNSC_GOFER_SERVER_POLICY_H_
