// The system calls the request handlers make (handlers_*.cc, resolve.cc,
// creds.cc, dispatch.cc), in one place for the two filters that must allow
// them: the gofer's (gofer_filter.cc) and, under directfs, the sentry's
// (sentry/sentry_filter.cc), which runs the same handlers. A handler that
// starts making a new call adds it here, and both processes may make it.
#ifndef RUNSC_GOFER_SERVER_HANDLER_SYSCALLS_H_
#define RUNSC_GOFER_SERVER_HANDLER_SYSCALLS_H_

#include <vector>

namespace gofer {

struct HandlerSyscall {
  const char* name;
  // x86_64 number used when libseccomp does not know the name (fchmodat2 is
  // newer than Debian 12's libseccomp); -1: it must know it.
  int fallback_number = -1;
  // The argument positions that hold a directory fd. The handlers always
  // pass a real fd there (never AT_FDCWD), so the sentry may require one.
  std::vector<unsigned> dirfd_args = {};
};

const std::vector<HandlerSyscall>& HandlerSyscalls();

}  // namespace gofer

#endif  // RUNSC_GOFER_SERVER_HANDLER_SYSCALLS_H_
