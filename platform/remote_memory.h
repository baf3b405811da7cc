// RemoteMemory for one seccomp notification: the memory of the trapped
// thread, with SECCOMP_IOCTL_NOTIF_ID_VALID after every access.
#ifndef RUNSC_PLATFORM_REMOTE_MEMORY_H_
#define RUNSC_PLATFORM_REMOTE_MEMORY_H_

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "platform/notify_ioctls.h"
#include "platform/platform.h"
#include "platform/unique_fd.h"

namespace platform {

// The status RemoteMemory returns once the call is gone (IsCallGone is true).
absl::Status CallGoneError(uint64_t id);

// The memory of thread `tid`, blocked in notification `id` of `listener`.
//
// Invariants (security rule 1):
// - Reads use process_vm_readv and check ID_VALID after the read; data read
//   before a failed check is discarded. Without process_vm_readv (EPERM,
//   ENOSYS) /proc/<tid>/mem is opened, checked, read, checked again.
// - Writes go through /proc/<tid>/mem only: opened, then checked, then
//   written. The open fd pins the target's address space, so a write can
//   never land in a process that reused the pid, which process_vm_writev
//   (check, then write by pid) could not promise. The fd is opened once per
//   call and closed with this object, after the platform has answered: the
//   close is off the caller's wait. No check after a write: it could only
//   have reached the target's own address space, and a call that is gone by
//   then refuses the answer (SEND: ENOENT).
// - Each byte is read once per call of Read/ReadCString: the caller keeps the
//   copy and never reads the argument again.
// /proc/<tid>/mem accesses are forced (FOLL_FORCE): a write into a read-only
// private mapping succeeds (copy-on-write, private to the workload) where the
// native call would fail with EFAULT; shared read-only mappings still fail.
// Not thread-safe: one handler thread uses it.
class TrappedCallMemory : public RemoteMemory {
 public:
  // How reads reach the target; kProcMem forces the /proc/<tid>/mem path
  // (tests; kernels without process_vm_readv).
  enum class ReadPath { kProcessVm, kProcMem };

  // `ioctls` and `listener` must outlive this object.
  TrappedCallMemory(NotifyIoctls& ioctls, int listener, uint64_t id, pid_t tid,
                    ReadPath read_path = ReadPath::kProcessVm);

  absl::Status Read(uint64_t addr, void* out, size_t len) override;
  absl::StatusOr<std::string> ReadCString(uint64_t addr, size_t max_len) override;
  absl::Status Write(uint64_t addr, const void* data, size_t len) override;
  // ID_VALID; CallGoneError (and call_gone_) when the call is no longer live.
  // The ptrace platform overrides it (ptrace_call.h).
  absl::Status CheckLive() override;

  // True once an ID_VALID check failed: the platform then sends no answer.
  bool call_gone() const { return call_gone_; }

 private:
  // One read of [addr, addr+len), then CheckLive.
  absl::Status ReadOnce(uint64_t addr, void* out, size_t len);
  absl::Status ReadProcMem(uint64_t addr, void* out, size_t len);
  // /proc/<tid>/mem opened with `flags`, then CheckLive: the fd is the target's.
  absl::StatusOr<UniqueFd> OpenProcMem(int flags);
  // The write fd of this call, opened (and checked) on the first write.
  absl::StatusOr<int> WriteFd();

  NotifyIoctls& ioctls_;
  int listener_;
  uint64_t id_;
  pid_t tid_;
  ReadPath read_path_;
  bool call_gone_ = false;
  UniqueFd write_fd_;  // /proc/<tid>/mem for writing, once a write needed it
};

}  // namespace platform

#endif  // RUNSC_PLATFORM_REMOTE_MEMORY_H_
