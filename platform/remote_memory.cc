#include "platform/remote_memory.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <optional>
#include <vector>

#include "absl/strings/cord.h"
#include "fmt/format.h"
#include "platform/errors.h"
#include "platform/status_macros.h"
#include "spdlog/spdlog.h"

namespace platform {
namespace {

// Status payloads: the workload errno of a memory error, and "call gone".
constexpr char kErrnoPayload[] = "runsc.platform/workload-errno";
constexpr char kGonePayload[] = "runsc.platform/call-gone";

// ErrnoError carrying `err` as the errno to answer the workload with.
absl::Status MemoryError(int err, std::string_view what) {
  absl::Status status = ErrnoError(err, what);
  status.SetPayload(kErrnoPayload, absl::Cord(std::to_string(err)));
  return status;
}

size_t PageSize() {
  static const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return page;
}

// An address beyond off_t cannot be a user address (and pread would EINVAL).
bool OutOfRange(uint64_t addr, size_t len) {
  constexpr uint64_t kMax = static_cast<uint64_t>(std::numeric_limits<off_t>::max());
  return addr > kMax || len > kMax - addr;
}

}  // namespace

absl::Status CallGoneError(uint64_t id) {
  absl::Status status = absl::AbortedError(fmt::format("trapped call {:#x} is gone", id));
  status.SetPayload(kGonePayload, absl::Cord("1"));
  return status;
}

bool IsCallGone(const absl::Status& status) {
  return !status.ok() && status.GetPayload(kGonePayload).has_value();
}

int WorkloadErrno(const absl::Status& status) {
  auto payload = status.GetPayload(kErrnoPayload);
  if (!payload.has_value()) return EFAULT;
  int err = atoi(std::string(*payload).c_str());
  return err > 0 ? err : EFAULT;
}

TrappedCallMemory::TrappedCallMemory(NotifyIoctls& ioctls, int listener, uint64_t id, pid_t tid,
                                     ReadPath read_path)
    : ioctls_(ioctls), listener_(listener), id_(id), tid_(tid), read_path_(read_path) {}

absl::Status TrappedCallMemory::CheckLive() {
  if (ioctls_.IdValid(listener_, id_) == 0) return absl::OkStatus();
  spdlog::debug("seccomp-notify: call {:#x} of thread {} gone: {}", id_, tid_, strerror(errno));
  call_gone_ = true;
  return CallGoneError(id_);
}

absl::StatusOr<UniqueFd> TrappedCallMemory::OpenProcMem(int flags) {
  UniqueFd fd(open(fmt::format("/proc/{}/mem", tid_).c_str(), flags | O_CLOEXEC));
  int err = errno;
  // Invariant: the check comes after the open, so the fd is the trapped
  // thread's address space and nobody else's, however long we keep it.
  RETURN_IF_ERROR(CheckLive());
  if (!fd.valid()) return MemoryError(err == ENOENT ? EFAULT : err, fmt::format("opening /proc/{}/mem", tid_));
  return fd;
}

absl::Status TrappedCallMemory::ReadProcMem(uint64_t addr, void* out, size_t len) {
  ASSIGN_OR_RETURN(UniqueFd mem, OpenProcMem(O_RDONLY));
  ssize_t n = pread(mem.get(), out, len, static_cast<off_t>(addr));
  int err = errno;
  RETURN_IF_ERROR(CheckLive());
  if (n < 0) return MemoryError(err == EIO ? EFAULT : err, fmt::format("reading {:#x}", addr));
  if (static_cast<size_t>(n) != len) return MemoryError(EFAULT, fmt::format("reading {:#x}", addr));
  return absl::OkStatus();
}

absl::Status TrappedCallMemory::ReadOnce(uint64_t addr, void* out, size_t len) {
  if (len == 0) return absl::OkStatus();
  if (tid_ <= 0) {
    RETURN_IF_ERROR(CheckLive());
    return MemoryError(EFAULT, "the trapped thread is not visible in our pid namespace");
  }
  if (OutOfRange(addr, len)) return MemoryError(EFAULT, fmt::format("reading {:#x}", addr));
  if (read_path_ == ReadPath::kProcMem) return ReadProcMem(addr, out, len);
  iovec local{out, len};
  iovec remote{reinterpret_cast<void*>(addr), len};
  ssize_t n = process_vm_readv(tid_, &local, 1, &remote, 1, 0);
  int err = errno;
  if (n < 0 && (err == EPERM || err == ENOSYS)) {
    read_path_ = ReadPath::kProcMem;  // e.g. a kernel without CONFIG_CROSS_MEMORY_ATTACH
    return ReadProcMem(addr, out, len);
  }
  // Invariant: the check comes after the read, so what we return was read
  // while the call was live, hence from the trapped thread and not from a
  // process that reused its pid.
  RETURN_IF_ERROR(CheckLive());
  if (n < 0) return MemoryError(err, fmt::format("reading {:#x}", addr));
  if (static_cast<size_t>(n) != len) return MemoryError(EFAULT, fmt::format("reading {:#x}", addr));
  return absl::OkStatus();
}

absl::Status TrappedCallMemory::Read(uint64_t addr, void* out, size_t len) {
  return ReadOnce(addr, out, len);
}

absl::StatusOr<std::string> TrappedCallMemory::ReadCString(uint64_t addr, size_t max_len) {
  std::string result;
  std::vector<char> chunk(PageSize());
  uint64_t next = addr;
  // Page-bounded chunks: a string that ends before an unmapped page reads
  // fine, and every byte is read exactly once.
  while (result.size() < max_len) {
    size_t want = std::min(PageSize() - next % PageSize(), max_len - result.size());
    RETURN_IF_ERROR(ReadOnce(next, chunk.data(), want));
    const char* nul = static_cast<const char*>(memchr(chunk.data(), '\0', want));
    if (nul != nullptr) {
      result.append(chunk.data(), nul - chunk.data());
      return result;
    }
    result.append(chunk.data(), want);
    next += want;
  }
  return MemoryError(ENAMETOOLONG, fmt::format("string at {:#x}: no NUL in {} bytes", addr, max_len));
}

absl::StatusOr<int> TrappedCallMemory::WriteFd() {
  if (!write_fd_.valid()) {
    ASSIGN_OR_RETURN(write_fd_, OpenProcMem(O_WRONLY));
  }
  return write_fd_.get();
}

absl::Status TrappedCallMemory::Write(uint64_t addr, const void* data, size_t len) {
  if (len == 0) return absl::OkStatus();
  if (tid_ <= 0) {
    RETURN_IF_ERROR(CheckLive());
    return MemoryError(EFAULT, "the trapped thread is not visible in our pid namespace");
  }
  if (OutOfRange(addr, len)) return MemoryError(EFAULT, fmt::format("writing {:#x}", addr));
  // Invariant: OpenProcMem checked the call after opening, so this fd can
  // only write into the trapped thread's address space.
  ASSIGN_OR_RETURN(int mem, WriteFd());
  ssize_t n = pwrite(mem, data, len, static_cast<off_t>(addr));
  const int err = errno;  // before fmt::format may allocate
  if (n < 0) return MemoryError(err == EIO ? EFAULT : err, fmt::format("writing {:#x}", addr));
  if (static_cast<size_t>(n) != len) return MemoryError(EFAULT, fmt::format("writing {:#x}", addr));
  return absl::OkStatus();
}

}  // namespace platform
