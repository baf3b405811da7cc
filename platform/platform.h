// The platform seam: how trapped system calls reach the sentry, both sides.
// The workload's side (WorkloadSide) is the seccomp action trapped rows
// compile to and what a container process does once its filter is loaded;
// the sentry's side (Platform) takes each such process over (Attach) and
// serves its trapped calls to a CallHandler. The sentry and runsc code
// against these types only. A platform is its own files under platform/ plus
// one line in platform.cc's registry (DESIGN.md, "Platforms").
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
  uint64_t id =
      0;  // the platform's cookie for this call (seccomp: notification id)
  pid_t tid = 0;  // the calling thread in the sentry's pid namespace; 0 when
                  // not visible there
  uint32_t arch = 0;  // AUDIT_ARCH_*
  int nr = 0;         // syscall number for `arch`
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
  int64_t value() const { return value_; }      // kValue
  int error() const { return error_; }          // kError
  const UniqueFd& fd() const { return fd_; }    // kInjectFd
  UniqueFd TakeFd() { return std::move(fd_); }  // kInjectFd
  bool cloexec() const { return cloexec_; }     // kInjectFd
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
  virtual absl::StatusOr<std::string> ReadCString(uint64_t addr,
                                                  size_t max_len) = 0;
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
  // gofer): the platform then keeps receiving on another thread while it
  // runs, so that no call of the same process waits behind it. Must be
  // cheap and decide from `call` alone (no memory reads).
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
  // Takes over one process that loaded the filter (the init, each exec):
  // `handover` is the fd its WorkloadSide sent (seccomp-notify: the
  // listener; ptrace: a pidfd of the process). Returns once the process's
  // trapped calls will be served. Thread-safe; callable before or after
  // Start (ptrace: after only). FailedPrecondition after Stop.
  virtual absl::Status Attach(UniqueFd handover) = 0;
  // How many attached processes (or groups of them) are still live; one
  // whose processes are all gone is dropped shortly after.
  virtual size_t AttachedCount() const = 0;
  // The system calls the platform's serving threads make beyond the
  // sentry's own allowlist (sentry_filter.cc), by name.
  virtual std::vector<std::string> SentrySyscalls() const { return {}; }
  // Stops the threads, waiting for handlers already running, and closes
  // every listener: from then on the kernel answers the workload's trapped
  // calls, queued ones included, with ENOSYS (fail closed). Idempotent; also
  // run by the destructor. Not callable from a handler.
  virtual void Stop() = 0;
};

// What this kernel's seccomp user notification supports.
struct NotifyFeatures {
  bool wait_killable_recv =
      false;                  // SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (5.19)
  bool addfd_send = false;    // SECCOMP_ADDFD_FLAG_SEND (5.14)
  bool sync_wake_up = false;  // SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (6.6)
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
absl::StatusOr<UniqueFd> LoadFilterWithListener(
    const std::vector<sock_filter>& program, unsigned extra_flags);

// The workload's half of a platform: how a container process puts itself
// under the sentry. Its methods run in the process between fork and exec and
// make system calls only. Stateless: one shared instance per platform.
class WorkloadSide {
 public:
  virtual ~WorkloadSide();
  // The seccomp return action the filter's trapped rows (emulate, broker,
  // denials the sentry logs) compile to.
  virtual uint32_t TrapAction() const = 0;
  // Whether it needs the task's one seccomp listener (the kernel allows one:
  // an OCI profile with SCMP_ACT_NOTIFY may have taken it).
  virtual bool NeedsListener() const = 0;
  // Loads `program` on the calling thread (no_new_privs or CAP_SYS_ADMIN
  // needed, as the kernel does) and sends the sentry, on `channel`, one
  // "attach" request with its fd (SendAttach). Does not wait: the sentry may
  // not run yet (the init's filter can load before runsc create starts it).
  virtual absl::Status LoadAndHandOver(const std::vector<sock_filter>& program,
                                       int channel) const = 0;
  // Blocks until the sentry serves this process's trapped calls (its reply
  // on `channel`). Call once the sentry runs, before the first trapped call
  // that must reach it. seccomp-notify: returns at once (the kernel queues
  // trapped calls for the listener); ptrace: waits until the sentry traces us.
  virtual absl::Status AwaitSentry(int channel) const = 0;
};

// The request a WorkloadSide sends: {"op":"attach"} then `fd` (SCM_RIGHTS).
absl::Status SendAttach(int channel, int fd);
// The op of that request, for the sentry's control server.
inline constexpr std::string_view kAttachOp = "attach";

// The platforms, by name ("seccomp-notify, ptrace").
std::string KnownPlatforms();

// OK when platform `name` exists and this kernel supports it; else
// InvalidArgument "--platform \"x\": unknown platform (known: ...)" or
// FailedPrecondition naming what is missing, prefixed "--platform <name>".
absl::Status CheckPlatform(std::string_view name);

// The workload side of platform `name` (errors as CheckPlatform's, without
// the kernel check: the sentry made it).
absl::StatusOr<const WorkloadSide*> WorkloadSideOf(std::string_view name);

// The platform called `name`, checked with CheckPlatform. Each runs a
// trapped call on the thread that received it (MayBlock: platform.h's
// CallHandler).
absl::StatusOr<std::unique_ptr<Platform>> CreatePlatform(std::string_view name);

}  // namespace platform

#endif  // RUNSC_PLATFORM_PLATFORM_H_
