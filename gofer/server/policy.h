// The gofer's policy on what it creates on the caller's behalf, beyond the
// kernel's permission checks.
#ifndef RUNSC_GOFER_SERVER_POLICY_H_
#define RUNSC_GOFER_SERVER_POLICY_H_

#include <sys/types.h>

#include <cstdint>
#include <vector>

namespace gofer {

// A device node mknod may create (the spec's linux.devices): type 'c' or
// 'b' ('u' counts as 'c'), exact major and minor.
struct DeviceAllow {
  char type = 'c';
  int64_t major = 0, minor = 0;
  bool operator==(const DeviceAllow&) const = default;
};

// True when mknod(mode, dev) may go to the kernel: anything but a char or
// block device, or a device on the allowlist.
bool MknodAllowed(const std::vector<DeviceAllow>& allowlist, uint32_t mode, uint64_t dev);

}  // namespace gofer

#endif  // RUNSC_GOFER_SERVER_POLICY_H_
