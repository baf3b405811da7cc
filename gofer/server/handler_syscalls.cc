#include "gofer/server/handler_syscalls.h"

namespace gofer {

const std::vector<HandlerSyscall>& HandlerSyscalls() {
  static const std::vector<HandlerSyscall> kCalls = {
      // resolution, opens and the checks on what they opened
      {"openat"}, {"openat2"}, {"close"}, {"fcntl"}, {"fstat"}, {"newfstatat"}, {"statx"},
      // the calls performed, from a directory the gofer opened
      {"mkdirat", -1, {0}}, {"mknodat", -1, {0}}, {"unlinkat", -1, {0}}, {"renameat", -1, {0, 2}},
      {"renameat2", -1, {0, 2}}, {"linkat", -1, {0, 2}}, {"symlinkat", -1, {1}}, {"fchmodat", -1, {0}},
      {"fchmodat2", 452, {0}}, {"fchownat", -1, {0}}, {"utimensat", -1, {0}},
      // the calls that take a name in the thread's cwd (the handler fchdir()s
      // to a directory it opened first), or an fd
      {"truncate"}, {"ftruncate"}, {"setxattr"}, {"lsetxattr"}, {"removexattr"}, {"lremovexattr"},
      {"fsetxattr"}, {"fremovexattr"}, {"fchdir"}, {"faccessat2"}, {"bind"}, {"getsockopt"},
      // per-request credentials (creds.h: raw, per thread) and umask
      {"setfsuid"}, {"setfsgid"}, {"setgroups"}, {"capget"}, {"capset"}, {"umask"},
  };
  return kCalls;
}

}  // namespace gofer
