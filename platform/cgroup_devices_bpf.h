// The cgroup v2 device controller: v2 has no devices.allow/devices.deny, so
// linux.resources.devices is enforced by a BPF_PROG_TYPE_CGROUP_DEVICE
// program attached (BPF_CGROUP_DEVICE, BPF_F_ALLOW_MULTI, as runc does) to
// the container's cgroup. The program is emitted here instruction by
// instruction and loaded with the raw bpf(2) syscall (no libbpf).
//
// Security invariants:
//  - default deny: a device access no rule matches is refused;
//  - no window without a filter: a replacement program is attached before
//    the old ones are detached (while both are attached, an access needs
//    both to allow it), so a cgroup that had a filter always has one.
#ifndef RUNSC_PLATFORM_CGROUP_DEVICES_BPF_H_
#define RUNSC_PLATFORM_CGROUP_DEVICES_BPF_H_

#include <linux/bpf.h>
#include <stdint.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "platform/unique_fd.h"

namespace platform {

// One device cgroup rule (linux.resources.devices[], or a v1 devices.allow /
// devices.deny line).
struct DeviceCgroupRule {
  bool allow = false;
  char type = 'a';               // 'a' (any device), 'c' (char), 'b' (block)
  std::optional<int64_t> major;  // nullopt: any
  std::optional<int64_t> minor;  // nullopt: any
  std::string access = "rwm";    // a non-empty subset of "rwm"
};

// Parses the v1 text form: "a" (everything), or "<c|b> <major|*>:<minor|*> <access>".
absl::StatusOr<DeviceCgroupRule> ParseDeviceCgroupRule(bool allow, std::string_view text);

// Compiles `rules` into a device program. Each access type (m, r, w) is
// decided on its own: by the last rule that names the device and that access
// type (a type 'a' rule names every device and every access), denied if none
// does; an access asking for several (O_RDWR asks for r and w at once) is
// allowed only if each is. The program reads the context into registers,
// then has one section per access type (one block per rule covering it, last
// rule first, then the default deny), then "allow".
// Like runc on v2 (which first runs the rules through its cgroup v1
// emulator), an "a" rule resets what came before; unlike it, rules are not
// merged as v1 merges exceptions, so a deny after a wildcard allow does
// refuse (v1 silently ignores it; runc rejects such rules).
// Errors name a malformed rule (unknown type or access, number out of range).
absl::StatusOr<std::vector<bpf_insn>> DeviceFilterProgram(const std::vector<DeviceCgroupRule>& rules);

// Loads `program` as a BPF_PROG_TYPE_CGROUP_DEVICE program. On a verifier
// rejection the error carries the last line of the verifier's log (before
// the statistics it ends with).
absl::StatusOr<UniqueFd> LoadDeviceFilter(const std::vector<bpf_insn>& program);

// The ids of the device programs attached directly to the cgroup `cgroup_fd`
// (an O_DIRECTORY fd of a cgroup2 dir).
absl::StatusOr<std::vector<uint32_t>> QueryDeviceFilters(int cgroup_fd);

// Attaches `prog_fd` to `cgroup_fd` (BPF_F_ALLOW_MULTI), then detaches every
// device program that was attached to it before: never a window with none.
// If the attach fails, the old programs stay.
absl::Status ReplaceDeviceFilter(int cgroup_fd, int prog_fd);

// Compiles, loads and installs `rules` on the cgroup2 directory `cgroup_dir`,
// replacing the device program it had (ReplaceDeviceFilter).
absl::Status SetDeviceFilter(const std::string& cgroup_dir, const std::vector<DeviceCgroupRule>& rules);

}  // namespace platform

#endif  // RUNSC_PLATFORM_CGROUP_DEVICES_BPF_H_
