// What the broker learns about the calling thread from /proc/<tid>: its
// credentials, its pids in the container, and its directories as fds with
// their container paths.
//
// Invariant (DESIGN.md rule 1 for caller state): every /proc/<tid> read here
// is followed, before anything read is used, by RemoteMemory::CheckLive()
// (the broker does it once after all of a call's reads): while the
// notification is live the thread exists, so its tid cannot have been
// reused and what we read was the caller's.
#ifndef RUNSC_SENTRY_BROKER_CALLER_H_
#define RUNSC_SENTRY_BROKER_CALLER_H_

#include <sys/stat.h>
#include <sys/types.h>

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gofer/protocol/wire.h"
#include "platform/platform.h"
#include "platform/unique_fd.h"
#include "sentry/broker_paths.h"

namespace sentry {

// A failure answered to the workload with `err` (a normal answer, not a
// sentry failure). Keeps IsCallGone statuses as they are.
absl::Status WorkloadError(int err, std::string_view what);
// The errno to answer `status` with: WorkloadError's, a RemoteMemory
// error's (EFAULT, ENAMETOOLONG), else EIO.
int AnswerErrno(const absl::Status& status);

// The caller's credentials and pids, from /proc/<tid>/status.
struct CallerInfo {
  gofer::protocol::Creds creds;  // ids as the initial user namespace sees them
  uint32_t uid = 0, gid = 0;     // the real ids (access(2) checks with them)
  uint64_t cap_permitted = 0;
  CallerPids pids;               // in the caller's own pid namespace
  pid_t tgid = 0;                // in ours
};

// Parses the text of /proc/<tid>/status: Uid and Gid (1st field: the real
// ids, 4th: the fs ids), Groups, CapEff, CapPrm, Umask, Tgid, NStgid and NSpid (last field: the
// innermost pid namespace; Tgid/Pid when the kernel lacks them). More than
// kMaxGroups groups is WorkloadError(EPERM): a call with some groups left
// out could be granted what the caller is refused (mode 0604).
absl::StatusOr<CallerInfo> ParseProcStatus(std::string_view text);

// ParseProcStatus of /proc/<tid>/status. The caller must CheckLive after.
absl::StatusOr<CallerInfo> ReadCallerInfo(pid_t tid);

// One of the caller's directories: an O_PATH fd of it (opened through the
// caller's /proc/<tid> magic link, so it is the very directory the kernel
// would start from) and its path as the container sees it.
struct CallerDir {
  platform::UniqueFd fd;
  std::string path;  // absolute, relative to the caller's mount namespace root
};

// Which directory: the cwd, the root, or fd N.
struct DirRef {
  enum class Kind { kCwd, kRoot, kFd };
  Kind kind = Kind::kCwd;
  int fd = -1;
};

// Opens the caller's directory `ref` (O_PATH|O_DIRECTORY). Errors, as Linux
// answers them: EBADF (no such fd), ENOTDIR (not a directory), ENOENT (the
// directory was deleted). The caller must CheckLive after.
absl::StatusOr<CallerDir> OpenCallerDir(pid_t tid, DirRef ref);

// Duplicates the caller's socket `fd` (pidfd_getfd). EBADF, ENOTSOCK as
// bind(2). The caller must CheckLive after.
absl::StatusOr<platform::UniqueFd> TakeCallerSocket(pid_t tid, int fd);

// st_dev/st_ino of a directory.
struct DirIdentity {
  dev_t dev = 0;
  ino_t ino = 0;
  bool operator==(const DirIdentity&) const = default;
};

// The identity of /proc/<pid>/root (the process's root directory).
absl::StatusOr<DirIdentity> RootIdentity(pid_t pid);

}  // namespace sentry

#endif  // RUNSC_SENTRY_BROKER_CALLER_H_
