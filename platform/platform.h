// The platform seam: how trapped system calls reach the sentry. The sentry
// codes against these types only; `seccomp-notify` implements them today and
// `ptrace` will later, without touching the sentry (DESIGN.md, "Platforms").
#ifndef RUNSC_PLATFORM_PLATFORM_H_
#define RUNSC_PLATFORM_PLATFORM_H_

#include <linux/filter.h>
#include <sys/types.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "platform/unique_fd.h"

namespace platform {

// One trapped system call, as any platform delivers it.
struct TrappedCall {
  uint64_t id = 0;   // the platform's cookie for this call (seccomp: notification id)
  pid_t tid = 0;     // the calling thread in the sentry's pid namespace; 0 when not visible there
  uint32_t arch = 0; // AUDIT_ARCH_*
  int nr = 0;        // syscall number for `arch`
  std::array<uint64_t, 6> args{};
  uint64_t instruction_pointer = 0;
};

// The answer to a trapped call. Move-only (it may own a fd).
class CallResult {
 public:
  enum class Kind { kValue, kError, kInjectFd, kContinue };

  // The call returns `v` (not an error, even when negative).
  static CallResult Value(int64_t v);
  // The call fails with `err`, a positive errno in [1, 4095]; the platform
  // answers an out-of-range value with ENOSYS and logs an error.
  static CallResult Error(int err);
  // A copy of `fd` is installed in the caller and its number is the call's
  // return value, atomically (seccomp: ADDFD + ADDFD_FLAG_SEND). `fd` is
  // closed in the sentry afterwards.
  static CallResult InjectFd(UniqueFd fd, bool cloexec);
  // The kernel runs the call as if it had not been trapped. Security rule 1:
  // only for calls whose safety does not depend on the caller's memory (a
  // pointer argument can change after we looked at it).
  static CallResult Continue();

  Kind kind() const { return kind_; }
  int64_t value() const { return value_; }        // kValue
  int error() const { return error_; }            // kError
  const UniqueFd& fd() const { return fd_; }      // kInjectFd
  UniqueFd TakeFd() { return std::move(fd_); }    // kInjectFd
  bool cloexec() const { return cloexec_; }       // kInjectFd
  // "value 3", "error ENOENT", "inject fd 7 (cloexec)", "continue".
  std::string DebugString() const;

 private:
  explicit CallResult(Kind kind) : kind_(kind) {}
  Kind kind_;
  int64_t value_ = 0;
  int error_ = 0;
  UniqueFd fd_;
  bool cloexec_ = false;
};

// Reads (and, for emulation results like uname's buffer, writes) the memory
// of the thread behind one trapped call. Invariant (security rule 1): every
// access is followed by a check that the call is still live (seccomp:
// SECCOMP_IOCTL_NOTIF_ID_VALID), so a reused pid cannot feed us another
// process's memory; a failed check returns a status for which IsCallGone()
// is true. Valid only during CallHandler::Handle; one handler thread at a time.
class RemoteMemory {
 public:
  virtual ~RemoteMemory();
  // Copies `len` bytes at `addr` into `out`, all or nothing (EFAULT).
  virtual absl::Status Read(uint64_t addr, void* out, size_t len) = 0;
  // The NUL-terminated string at `addr`, read page by page, each byte once.
  // `max_len` counts the NUL, as PATH_MAX does: a string of `max_len` or more
  // characters fails with ENAMETOOLONG.
  virtual absl::StatusOr<std::string> ReadCString(uint64_t addr, size_t max_len) = 0;
  // Writes `len` bytes from `data` at `addr` (for results such as uname's).
  virtual absl::Status Write(uint64_t addr, const void* data, size_t len) = 0;
  // Checks that the call is still live (seccomp: ID_VALID). A handler calls
  // it after reading anything else about the caller (its /proc files, an fd
  // taken with pidfd_getfd) so that a reused pid cannot feed it another
  // process's state. Fails with a status for which IsCallGone() is true.
  virtual absl::Status CheckLive() = 0;
};

// True when `status` (from RemoteMemory) says the trapped call is no longer
// live: the thread was killed or the call interrupted. The handler should
// return at once; the platform discards its answer.
bool IsCallGone(const absl::Status& status);

// The errno a handler answers a failed RemoteMemory access with: EFAULT for
// unmapped memory, ENAMETOOLONG for a too-long string; EFAULT when `status`
// carries none. Meaningless when IsCallGone(status).
int WorkloadErrno(const absl::Status& status);

// Decides trapped calls. Called from several threads at once: must be
// thread-safe. May block (e.g. on the gofer) when MayBlock says so.
class CallHandler {
 public:
  virtual ~CallHandler();
  virtual CallResult Handle(const TrappedCall& call, RemoteMemory& memory) = 0;
  // True when Handle may block on `call` (a brokered call waits for the
  // gofer): the platform then runs it on a worker thread, so that calls
  // answered at once (emulation, denials) are never queued behind it. Must
  // be cheap and decide from `call` alone (no memory reads).
  virtual bool MayBlock(const TrappedCall& call) const {
    (void)call;
    return false;
  }
};

// How trapped calls reach the sentry.
class Platform {
 public:
  virtual ~Platform();
  // "seccomp-notify" or "ptrace".
  virtual std::string Name() const = 0;
  // Starts serving `handler` (not owned; must outlive Stop()) on background
  // threads. Once only: FailedPrecondition after a Start or a Stop.
  virtual absl::Status Start(CallHandler* handler) = 0;
  // Adds one seccomp listener (one per process that installed the filter:
  // the init, each exec). Thread-safe; callable before or after Start.
  // FailedPrecondition after Stop.
  virtual absl::Status AddListener(UniqueFd listener) = 0;
  // The number of live listeners; a listener whose processes are all gone is
  // dropped shortly after the kernel reports it (POLLHUP).
  virtual size_t ListenerCount() const = 0;
  // Stops the threads, waiting for handlers already running, and closes
  // every listener: from then on the kernel answers the workload's trapped
  // calls, queued ones included, with ENOSYS (fail closed). Idempotent; also
  // run by the destructor. Not callable from a handler.
  virtual void Stop() = 0;
};

// What this kernel's seccomp user notification supports.
struct NotifyFeatures {
  bool wait_killable_recv = false;  // SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (5.19)
  bool addfd_send = false;          // SECCOMP_ADDFD_FLAG_SEND (5.14)
  bool sync_wake_up = false;        // SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (6.6)
};

// Probes the kernel (once; cached): a short-lived helper thread loads an
// allow-all filter with a listener to try the ioctls. FailedPrecondition
// naming the missing feature when the kernel lacks SECCOMP_RET_USER_NOTIF or
// ADDFD_FLAG_SEND (Linux < 5.14).
absl::StatusOr<NotifyFeatures> DetectNotifyFeatures();

// Loads `program` on the calling thread with NEW_LISTENER, plus
// WAIT_KILLABLE_RECV when the kernel has it (probed with one syscall), plus
// `extra_flags` (TSYNC gets TSYNC_ESRCH, as the kernel requires with a
// listener), and returns the listener (CLOEXEC). Needs no_new_privs or
// CAP_SYS_ADMIN, as the kernel does. Makes system calls only (no threads,
// no allocation on success): usable between fork and exec.
absl::StatusOr<UniqueFd> LoadFilterWithListener(const std::vector<sock_filter>& program,
                                                unsigned extra_flags);

// The platform called `name`: "seccomp-notify" (checked against this kernel
// with DetectNotifyFeatures); "ptrace" is InvalidArgument "--platform ptrace:
// not implemented yet"; anything else InvalidArgument
// "--platform \"x\": unknown platform (known: seccomp-notify, ptrace)".
// `handler_threads`: how many threads run the handler; 0 runs it on the
// thread that receives the calls, except calls for which the handler's
// MayBlock is true, which go to worker threads started when first needed.
absl::StatusOr<std::unique_ptr<Platform>> CreatePlatform(std::string_view name, int handler_threads = 3);

}  // namespace platform

#endif  // RUNSC_PLATFORM_PLATFORM_H_
