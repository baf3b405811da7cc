// The broker: answers the syscall table's "broker" rows with gofer protocol
// requests (gofer/protocol/PROTOCOL.md), performed with the caller's
// credentials on the gofer's read-write copy of the container's mounts: by
// the gofer, or by the sentry itself on the donated root (directfs,
// file_calls.h).
//
// For one trapped call it
//  1. reads the call's memory arguments once each (broker_calls.h);
//  2. reads the caller's credentials from /proc/<tid>/status;
//  3. resolves each path operand (broker_caller.h, broker_paths.h): an
//     absolute path starts at the container root, a relative one at the
//     caller's cwd or dirfd, opened through /proc/<tid>/{cwd,fd/N} and sent
//     with its container path; /proc/self and the caller's other magic links
//     are translated; a path under /proc, /sys or /dev is not host storage
//     and is CONTINUEd;
//  4. checks the call is still live (every /proc/<tid> read above was the
//     caller's), sends the request and answers with the gofer's result, or
//     injects the fd it opened. ESTALE (a directory renamed meanwhile) is
//     retried once with fresh directories, then answered ENOENT.
//
// Why CONTINUE is safe here (DESIGN.md rule 1). The kernel re-reads a
// CONTINUEd call's memory, which another thread may have rewritten since we
// looked. That is harmless because of this invariant, which this class
// keeps: **the workload never holds a handle on the gofer's read-write
// mounts through which a path can be resolved** — the only fds injected are
// fds the gofer opened for a brokered open, and an fd that is a directory
// or O_PATH is refused (EIO), so no dirfd, cwd or root of the workload is on
// those mounts. Every path the kernel resolves for the workload therefore
// stays in its own view, where host storage is read-only: a rewritten path
// gets EROFS, never a write the gofer did not make. (A bare magic link to a
// file the gofer opened for this workload, /proc/self/fd/N, does reopen that
// file natively, with the caller's credentials checked by the kernel.)
#ifndef RUNSC_SENTRY_BROKER_H_
#define RUNSC_SENTRY_BROKER_H_

#include <sys/types.h>

#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "platform/platform.h"
#include "sentry/broker_caller.h"
#include "sentry/broker_calls.h"
#include "sentry/file_calls.h"

namespace sentry {

// Where the container's root is: the init's root directory.
struct BrokerOptions {
  pid_t init_pid = 0;   // the container init, in our pid namespace
  int init_pidfd = -1;  // its pidfd (checks init_pid still names it); -1: not checked
  // /dev paths run natively, except at or beneath these (ContainerView).
  std::vector<std::string> host_storage_under_dev;
  // A call whose targets are on mounts the workload may write in its own
  // view runs in the kernel (broker_view.h). Off: every call goes to the
  // gofer (unit tests, whose "container" is the writable host).
  bool writable_view_in_kernel = true;
};

// Thread-safe: handlers call it from several threads at once; each call
// blocks until the gofer answers it.
class Broker {
 public:
  // `files` (nullable: no gofer, every brokered call gets EIO) performs the
  // requests (file_calls.h) and must outlive the broker.
  Broker(FileCalls* files, BrokerOptions options);

  // Answers one trapped call of a broker row, with the handler the row
  // carries (SyscallEntry::broker).
  platform::CallResult Handle(const BrokerHandler& handler, const platform::TrappedCall& call,
                              platform::RemoteMemory& memory);
  // The same for the row named `name` (tests); a name without a handler is EIO.
  platform::CallResult Handle(const std::string& name, const platform::TrappedCall& call,
                              platform::RemoteMemory& memory);

  // Records the identity of the container root from the init's root
  // directory. Call when the init hands over its listener (it has its final
  // root then, and has not run the container's program yet); otherwise it
  // is done at the first brokered call. Idempotent.
  void CaptureContainerRoot();

 private:
  // A call ready to send: its operands resolved, the fds that go with it.
  struct Prepared {
    bool continue_natively = false;
    std::vector<ResolvedOperand> operands;
    platform::UniqueFd socket;  // BindUnix
    uint64_t fsize_limit = UINT64_MAX;  // Truncate: the caller's RLIMIT_FSIZE
  };

  platform::CallResult Send(const std::string& name, const platform::TrappedCall& call, const BrokeredCall& brokered,
                            platform::RemoteMemory& memory);
  absl::StatusOr<Prepared> Prepare(const platform::TrappedCall& call, const BrokeredCall& brokered,
                                   const CallerInfo& caller, platform::RemoteMemory& memory);
  // nullopt: not host storage, CONTINUE.
  absl::StatusOr<std::optional<ResolvedOperand>> Resolve(pid_t tid, const PathOperand& operand,
                                                         const CallerInfo& caller);
  absl::StatusOr<std::optional<ResolvedOperand>> ResolveInDir(pid_t tid, DirRef ref, std::string path);
  // EPERM for a caller whose root is not the container root.
  absl::Status CheckCallerRoot(pid_t tid);
  std::optional<DirIdentity> ContainerRoot();
  // True when every operand lies off host storage (broker_view.h): the
  // kernel may run the call.
  bool OffHostStorage(const std::string& name, const Prepared& prepared);
  // The same look before any /proc read, for targets that need no caller
  // state: an absolute path outside /proc, or one name in the caller's cwd
  // or dirfd. False sends the call down the full path.
  bool TargetsOffHostStorage(const std::string& name, const BrokeredCall& brokered, pid_t tid);
  // The container root's O_PATH fd, or -1 before it is known.
  int RootFd();

  FileCalls* const gofer_;
  const BrokerOptions options_;
  std::mutex root_mutex_;  // guards root_ and root_fd_ (set once)
  std::optional<DirIdentity> root_;
  platform::UniqueFd root_fd_;  // O_PATH of the container root, once root_ is set
};

// The answer for a gofer Result: the value, the errno, or the fd injected.
// An fd is accepted only for an Openat (`is_open`) and only if it is neither
// a directory nor O_PATH (broker.h's invariant); anything else is EIO.
platform::CallResult ResultToAnswer(const gofer::protocol::Result& result, std::vector<platform::UniqueFd> fds,
                                    bool is_open, bool cloexec);

}  // namespace sentry

#endif  // RUNSC_SENTRY_BROKER_H_
