// Starting runsc's own helper processes from the sealed copy of the binary.
#ifndef RUNSC_RUNSC_SPAWN_H_
#define RUNSC_RUNSC_SPAWN_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "platform/unique_fd.h"
#include "platform/userns.h"

namespace runsc {

// A null-terminated char* array over `strings` (for execve and friends);
// valid while `strings` is alive and unchanged.
std::vector<char*> CStringArray(std::vector<std::string>& strings);

// A child started by SpawnSelf.
struct SpawnedChild {
  pid_t pid = 0;
  platform::UniqueFd pidfd;
};

// How to start one internal command (`runsc init`, `runsc boot`).
struct SpawnRequest {
  int exe_fd = -1;                // platform::SealedSelfExe()
  std::vector<std::string> argv;  // argv[0] is the process name
  int clone_flags = 0;            // CLONE_NEW* namespaces to create
  // Fds the child gets, at 3, 4, 5, ... in this order, after `preserve_fds`
  // fds 3..3+preserve_fds-1 that keep their numbers (runc's --preserve-fds).
  std::vector<int> pass_fds;
  int preserve_fds = 0;
  bool new_session = false;  // setsid() (the sentry is a daemon)
  bool null_stdio = false;   // stdin/stdout/stderr on /dev/null
  // A new user namespace (CLONE_NEWUSER in clone_flags): its maps, written
  // by SpawnSelf while the child waits; the child then execs as its root.
  std::vector<platform::IdMapping> uid_mappings, gid_mappings;
  // Joining a user namespace by path instead: an fd of it. The child joins
  // it first and then makes the other namespaces, so that they belong to it;
  // that takes a second clone (CLONE_PARENT: the process that becomes the
  // container is still our child). The child execs as that namespace's root.
  int join_userns_fd = -1;
};

// The fd number the child sees for pass_fds[index].
inline int ChildFd(const SpawnRequest& request, size_t index) {
  return 3 + request.preserve_fds + static_cast<int>(index);
}

// clone3(CLONE_PIDFD | clone_flags), then execveat of the sealed binary.
//
// Invariant (DESIGN.md security rule 4): between clone and exec the child
// runs only async-signal-safe system calls; every fd other than stdio, the
// preserved fds and pass_fds is closed (close_range) before exec, so no host
// fd reaches the child. The caller must be single-threaded.
absl::StatusOr<SpawnedChild> SpawnSelf(const SpawnRequest& request);

// Makes this process's future children be born in another pid namespace
// (setns(CLONE_NEWPID) changes only where children go); the destructor
// returns to our own. Single-threaded callers only.
class PidNamespaceForChildren {
 public:
  PidNamespaceForChildren() = default;
  PidNamespaceForChildren(const PidNamespaceForChildren&) = delete;
  PidNamespaceForChildren& operator=(const PidNamespaceForChildren&) = delete;
  ~PidNamespaceForChildren();
  // `ns_fd` is a pid namespace file or a pidfd of a process in it.
  absl::Status Enter(int ns_fd);

 private:
  platform::UniqueFd own_;
};

}  // namespace runsc

#endif  // RUNSC_RUNSC_SPAWN_H_
