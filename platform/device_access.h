// Deciding one device access against a container's device cgroup rules, in
// user space: what the gofer asks before it makes a device node for the
// workload (DESIGN.md: "the broker is never wider than runc": it creates no
// node the container's device rules forbid).
//
// The semantics are the v2 device program's (cgroup_devices_bpf.h), so the
// gofer's answer is the kernel's answer for the workload's own call: each
// access type (m, r, w) is decided by the last rule that names the device and
// that access type (an "a" rule names every device and every access), and is
// denied when no rule does.
#ifndef RUNSC_PLATFORM_DEVICE_ACCESS_H_
#define RUNSC_PLATFORM_DEVICE_ACCESS_H_

#include <cstdint>
#include <string_view>
#include <vector>

#include "platform/cgroup_devices_bpf.h"

namespace platform {

// True when every access in `access` (a subset of "rwm") to the device
// (type 'c' or 'b', major, minor) is allowed by `rules`.
bool DeviceAccessAllowed(const std::vector<DeviceCgroupRule>& rules, char type, int64_t major, int64_t minor,
                         std::string_view access);

}  // namespace platform

#endif  // RUNSC_PLATFORM_DEVICE_ACCESS_H_
