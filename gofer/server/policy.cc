#include "gofer/server/policy.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "platform/device_access.h"

namespace gofer {

bool MknodAllowed(const DeviceRules& rules, uint32_t mode, uint64_t dev) {
  char type;
  if (S_ISCHR(mode)) {
    type = 'c';
  } else if (S_ISBLK(mode)) {
    type = 'b';
  } else {
    return true;  // regular files, FIFOs, sockets; the kernel refuses the rest
  }
  return platform::DeviceAccessAllowed(rules, type, major(dev), minor(dev), "m");
}

}  // namespace gofer
