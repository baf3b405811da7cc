#include "platform/self_exe.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>

#include "platform/errors.h"

namespace platform {

absl::StatusOr<UniqueFd> SealedSelfExe() {
  UniqueFd exe(open("/proc/self/exe", O_RDONLY | O_CLOEXEC));
  if (!exe.valid()) return LastError("opening /proc/self/exe");
  struct stat st;
  if (fstat(exe.get(), &st) != 0) return LastError("stat /proc/self/exe");
  UniqueFd memfd(memfd_create("runsc", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (!memfd.valid()) return LastError("memfd_create");
  off_t offset = 0;
  while (offset < st.st_size) {
    ssize_t copied = sendfile(memfd.get(), exe.get(), &offset, st.st_size - offset);
    if (copied < 0) return LastError("copying /proc/self/exe to a memfd");
    if (copied == 0) break;
  }
  if (offset != st.st_size) return absl::DataLossError("copying /proc/self/exe: short copy");
  constexpr int kSeals = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_FUTURE_WRITE;
  if (fcntl(memfd.get(), F_ADD_SEALS, kSeals) != 0) return LastError("sealing the runsc memfd");
  return memfd;
}

}  // namespace platform
