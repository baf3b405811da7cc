#include "platform/self_exe.h"

#include <elf.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "platform/errors.h"

namespace platform {
namespace {

// The bytes execve and the dynamic loader use: the ELF header, the program
// headers and every segment's file contents. Debug info and the section
// headers come after them (ld's layout) and are not copied: a RelWithDebInfo
// runsc is ~30x its loadable size, and every create copies it. Returns the
// whole size when the file is not the ELF64 layout this expects.
off_t ExecutablePrefix(int fd, off_t size) {
  Elf64_Ehdr header;
  if (pread(fd, &header, sizeof(header), 0) != static_cast<ssize_t>(sizeof(header))) return size;
  if (memcmp(header.e_ident, ELFMAG, SELFMAG) != 0 || header.e_ident[EI_CLASS] != ELFCLASS64 ||
      header.e_phentsize != sizeof(Elf64_Phdr)) {
    return size;
  }
  off_t end = static_cast<off_t>(header.e_phoff + header.e_phnum * sizeof(Elf64_Phdr));
  for (int i = 0; i < header.e_phnum; ++i) {
    Elf64_Phdr phdr;
    off_t at = static_cast<off_t>(header.e_phoff + i * sizeof(Elf64_Phdr));
    if (pread(fd, &phdr, sizeof(phdr), at) != static_cast<ssize_t>(sizeof(phdr))) return size;
    end = std::max<off_t>(end, static_cast<off_t>(phdr.p_offset + phdr.p_filesz));
  }
  return end <= size ? end : size;
}

// The copy has no section headers: say so in its ELF header.
absl::Status DropSectionHeaders(int memfd) {
  Elf64_Ehdr header;
  if (pread(memfd, &header, sizeof(header), 0) != static_cast<ssize_t>(sizeof(header))) {
    return LastError("reading the copy's ELF header");
  }
  header.e_shoff = 0;
  header.e_shnum = 0;
  header.e_shstrndx = SHN_UNDEF;
  if (pwrite(memfd, &header, sizeof(header), 0) != static_cast<ssize_t>(sizeof(header))) {
    return LastError("writing the copy's ELF header");
  }
  return absl::OkStatus();
}

// F_SEAL_WRITE fails with EBUSY while a page of the file still has an extra
// reference: freshly written shmem pages sit in another CPU's LRU batch
// until it is drained, which the kernel's own wait (memfd_wait_for_pins)
// does only on the current CPU. Seen under load (50 docker runs in a row):
// retry for up to a second.
absl::Status Seal(int memfd) {
  constexpr int kSeals = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_FUTURE_WRITE;
  for (int attempt = 0; attempt < 100; ++attempt) {
    if (fcntl(memfd, F_ADD_SEALS, kSeals) == 0) return absl::OkStatus();
    if (errno != EBUSY) break;
    usleep(10000);
  }
  return LastError("sealing the runsc memfd");
}

}  // namespace

absl::StatusOr<UniqueFd> SealedSelfExe() {
  UniqueFd exe(open("/proc/self/exe", O_RDONLY | O_CLOEXEC));
  if (!exe.valid()) return LastError("opening /proc/self/exe");
  struct stat st;
  if (fstat(exe.get(), &st) != 0) return LastError("stat /proc/self/exe");
  const off_t length = ExecutablePrefix(exe.get(), st.st_size);
  UniqueFd memfd(memfd_create("runsc", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (!memfd.valid()) return LastError("memfd_create");
  off_t offset = 0;
  while (offset < length) {
    ssize_t copied = sendfile(memfd.get(), exe.get(), &offset, length - offset);
    if (copied < 0) return LastError("copying /proc/self/exe to a memfd");
    if (copied == 0) break;
  }
  if (offset != length) return absl::DataLossError("copying /proc/self/exe: short copy");
  if (length < st.st_size) {
    if (absl::Status dropped = DropSectionHeaders(memfd.get()); !dropped.ok()) return dropped;
  }
  if (absl::Status sealed = Seal(memfd.get()); !sealed.ok()) return sealed;
  return memfd;
}

}  // namespace platform
