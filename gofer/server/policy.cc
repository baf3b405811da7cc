#include "gofer/server/policy.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>

namespace gofer {

bool MknodAllowed(const std::vector<DeviceAllow>& allowlist, uint32_t mode, uint64_t dev) {
  char type;
  if (S_ISCHR(mode)) {
    type = 'c';
  } else if (S_ISBLK(mode)) {
    type = 'b';
  } else {
    return true;  // regular files, FIFOs, sockets; the kernel refuses the rest
  }
  for (const DeviceAllow& allowed : allowlist) {
    char allowed_type = allowed.type == 'u' ? 'c' : allowed.type;
    if (allowed_type == type && allowed.major == major(dev) && allowed.minor == minor(dev)) return true;
  }
  return false;
}

}  // namespace gofer
