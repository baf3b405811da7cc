// The rows of the syscall table: every x86_64 syscall, in number order, and
// the register-argument rules of the few whose risk is in their flags.
// Decisions are noted beside the rows; docs/syscalls.md shows them all.
//
// Choices (DESIGN.md leaves these to us):
// - Errnos: EPERM for calls refused because they are dangerous (what the
//   kernel answers a process without the capability, and what Docker's
//   profile answers); ENOSYS for obsolete or unimplemented calls and where a
//   "not in this kernel" answer makes libraries fall back (clone3, io_uring).
// - socket: AF_UNIX, AF_INET, AF_INET6 and AF_NETLINK pass. Raw and packet
//   sockets are EPERM (what runc gives a process without CAP_NET_RAW), other
//   families EAFNOSUPPORT (as a kernel without the family: programs that
//   probe AF_VSOCK, AF_ALG, AF_BLUETOOTH... treat it as "not available"
//   rather than as a failure). Netlink is limited to NETLINK_ROUTE (ip,
//   getaddrinfo, if_nameindex) and NETLINK_SOCK_DIAG (ss); other protocols
//   (netfilter, generic, audit, uevent) reach large kernel surfaces and get
//   EPROTONOSUPPORT, the kernel's answer for a protocol it lacks.
//   AF_INET + SOCK_PACKET is refused: the kernel turns it into a packet socket.
// - ioctl: TIOCSTI and TIOCLINUX are denied, everything else passes. A full
//   allowlist cannot be done well in BPF: the meaning of a request number
//   depends on the fd's driver, which BPF cannot see, and the device cgroup
//   and the masked /dev already decide which drivers the workload can open.
// - bind: the family is in the sockaddr (memory), so when brokering is on
//   every bind traps (see its row); until then it passes and an AF_UNIX bind
//   on host storage fails with EROFS in the read-only view.
// - Arguments the kernel reads as int or unsigned int are compared on their
//   low 32 bits only (mask 0xffffffff), so junk in the upper half cannot
//   smuggle a denied value past an allow rule.
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "fmt/format.h"
#include "sentry/syscall_table_rows.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

namespace sentry::internal {
namespace {

// Every broker row's note starts with this (while Policy::broker_to_gofer
// is off, the default until runsc create spawns the gofer, the rows run
// natively against the read-only view instead).
constexpr char kBrokered[] = "the gofer runs it with the caller's credentials";
constexpr uint64_t kLow32 = 0xffffffff;

// Namespace flags of clone. CLONE_NEWTIME (0x80) is not one: in clone's
// flags that bit is part of the exit signal (only clone3 and unshare take it).
constexpr uint64_t kCloneNamespaces = CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC |
                                      CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET;
constexpr uint64_t kUnshareNamespaces = kCloneNamespaces | CLONE_NEWTIME;

// open flags that write or create (O_TMPFILE without its O_DIRECTORY bit).
constexpr uint64_t kWriteOpenFlags = O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | (O_TMPFILE & ~O_DIRECTORY);

using Pattern = std::pair<uint64_t, uint64_t>;  // (mask, value)

SyscallEntry Row(std::string name, Disposition disposition, int err, Support support, std::string note) {
  SyscallEntry entry;
  entry.name = std::move(name);
  entry.disposition = disposition;
  entry.errno_value = err;
  entry.support = support;
  entry.note = std::move(note);
  return entry;
}

SyscallEntry Pass(std::string name, std::string note = "") {
  return Row(std::move(name), Disposition::kPassthrough, 0, Support::kFull, std::move(note));
}

SyscallEntry Deny(std::string name, int err, std::string note) {
  return Row(std::move(name), Disposition::kDeny, err, Support::kNone, std::move(note));
}

// A broker row: says that the gofer runs it.
SyscallEntry Broker(std::string name, std::string note) {
  std::string full = note.empty() ? kBrokered : fmt::format("{}; {}", kBrokered, note);
  return Row(std::move(name), Disposition::kBroker, 0, Support::kFull, std::move(full));
}

// A broker row the gofer cannot serve yet: the kernel runs it against the
// workload's view.
SyscallEntry PartialBroker(std::string name, std::string note) {
  SyscallEntry entry = Row(std::move(name), Disposition::kBroker, 0, Support::kPartial, std::move(note));
  return entry;
}

SyscallEntry Emulate(std::string name, std::string note) {
  return Row(std::move(name), Disposition::kEmulate, 0, Support::kPartial, std::move(note));
}

SyscallEntry WithRules(SyscallEntry entry, std::vector<ArgRule> rules, std::string conditions) {
  entry.rules = std::move(rules);
  entry.conditions = std::move(conditions);
  return entry;
}

ArgMatch Masked(unsigned index, uint64_t mask, uint64_t value) { return ArgMatch{index, mask, value, false}; }

// The low 32 bits of argument `index` equal `value`.
ArgMatch Low32(unsigned index, uint64_t value) { return Masked(index, kLow32, value); }

ArgRule Rule(std::vector<ArgMatch> when, Disposition disposition, int err = 0) {
  return ArgRule{std::move(when), disposition, err};
}

// Walks the binary trie of `values` (all equal to `prefix` on the bits above
// `bit`) from bit `bit` down, adding one pattern per subtree holding none.
void ComplementInto(const std::vector<uint64_t>& values, int bit, uint64_t mask, uint64_t prefix,
                    std::vector<Pattern>& out) {
  if (bit < 0) return;  // a leaf: one of `values` itself
  const uint64_t here = uint64_t{1} << bit;
  for (uint64_t side : {uint64_t{0}, here}) {
    std::vector<uint64_t> subset;
    for (uint64_t value : values) {
      if ((value & here) == side) subset.push_back(value);
    }
    if (subset.empty()) {
      out.push_back({mask | here, prefix | side});
    } else {
      ComplementInto(subset, bit - 1, mask | here, prefix | side, out);
    }
  }
}

// Patterns that together match exactly the values of the low `bits` bits
// that are not in `values`, and never overlap (at most 32 per value).
std::vector<Pattern> Complement(std::vector<uint64_t> values, int bits) {
  std::vector<Pattern> out;
  ComplementInto(values, bits - 1, 0, 0, out);
  return out;
}

// (arg & mask) != 0: `set` (one rule per bit); == 0: passthrough.
std::vector<ArgRule> FlagRules(unsigned index, uint64_t mask, Disposition set, int err) {
  std::vector<ArgRule> rules = {Rule({Masked(index, mask, 0)}, Disposition::kPassthrough)};
  for (int bit = 0; bit < 64; ++bit) {
    const uint64_t flag = uint64_t{1} << bit;
    if (mask & flag) rules.push_back(Rule({Masked(index, flag, flag)}, set, err));
  }
  return rules;
}

// The low 32 bits of argument `index` in `values`: `in`; any other value: `out`.
std::vector<ArgRule> ValueRules(unsigned index, const std::vector<uint64_t>& values, ArgRule in, ArgRule out) {
  std::vector<ArgRule> rules;
  for (uint64_t value : values) {
    in.when = {Low32(index, value)};
    rules.push_back(in);
  }
  for (const auto& [mask, value] : Complement(values, 32)) {
    out.when = {Masked(index, mask, value)};
    rules.push_back(out);
  }
  return rules;
}

// ---- the rows with register-argument rules ----

SyscallEntry OpenFlagsRow(std::string name, unsigned flags_index) {
  return WithRules(Broker(std::move(name), "O_RDONLY opens (flags are a register) run natively against the read-only view; "
                                           "O_PATH opens cannot write and are continued; the gofer's fd is injected"),
                   FlagRules(flags_index, kWriteOpenFlags, Disposition::kBroker, 0),
                   "flags & (O_WRONLY|O_RDWR|O_CREAT|O_TRUNC|O_TMPFILE): broker; else passthrough");
}

SyscallEntry OpenRow() { return OpenFlagsRow("open", 1); }
SyscallEntry OpenatRow() { return OpenFlagsRow("openat", 2); }

// fchmod, fchown, fsetxattr, fremovexattr, and utimensat/futimesat with a
// NULL path: calls on the workload's own fd, which the kernel would refuse
// with EROFS on the read-only view (DESIGN.md: the read-only view is
// invisible). Every call traps; the sentry continues those whose fd is not
// on a read-only mount, so only host storage reaches the gofer.
constexpr char kFdForm[] =
    "on an fd: brokered only when the fd is on a read-only mount of the view (the gofer changes that very inode, "
    "broker_fd.h); any other fd is continued";

SyscallEntry FutimesatRow() { return Broker("futimesat", std::string("a NULL path is the fd form, ") + kFdForm); }
SyscallEntry UtimensatRow() { return Broker("utimensat", std::string("a NULL path is the fd form, ") + kFdForm); }

// access with W_OK: the read-only view would answer EROFS; the gofer answers
// as the writable mount does (DESIGN.md: the read-only view is invisible).
SyscallEntry AccessRow(std::string name, unsigned mode_index) {
  return WithRules(Broker(std::move(name), "only with W_OK (mode is a register); it checks on the writable view and "
                                           "changes nothing; R_OK/X_OK/F_OK run natively"),
                   FlagRules(mode_index, W_OK, Disposition::kBroker, 0), "mode & W_OK: broker; else passthrough");
}

SyscallEntry IoctlRow() {
  SyscallEntry entry = Pass("ioctl", "TIOCSTI fakes terminal input, TIOCLINUX drives the host console; no full allowlist: "
                                     "a request's meaning depends on the fd's driver, which BPF cannot see");
  entry.support = Support::kPartial;
  return WithRules(std::move(entry),
                   ValueRules(1, {TIOCSTI, TIOCLINUX}, Rule({}, Disposition::kDeny, EPERM), Rule({}, Disposition::kPassthrough)),
                   "request TIOCSTI, TIOCLINUX: deny EPERM; else passthrough");
}

// The socket and socketpair rules (see the top of the file).
std::vector<ArgRule> SocketRules() {
  using D = Disposition;
  std::vector<ArgRule> rules = {Rule({Low32(0, AF_UNIX)}, D::kPassthrough)};
  const std::vector<uint64_t> refused_types = {SOCK_RAW, SOCK_PACKET};
  for (uint64_t family : {AF_INET, AF_INET6}) {
    for (uint64_t type : refused_types) rules.push_back(Rule({Low32(0, family), Masked(1, 0xf, type)}, D::kDeny, EPERM));
    for (const auto& [mask, value] : Complement(refused_types, 4)) {
      rules.push_back(Rule({Low32(0, family), Masked(1, mask, value)}, D::kPassthrough));
    }
  }
  const std::vector<uint64_t> netlink = {NETLINK_ROUTE, NETLINK_SOCK_DIAG};
  for (uint64_t protocol : netlink) rules.push_back(Rule({Low32(0, AF_NETLINK), Low32(2, protocol)}, D::kPassthrough));
  for (const auto& [mask, value] : Complement(netlink, 32)) {
    rules.push_back(Rule({Low32(0, AF_NETLINK), Masked(2, mask, value)}, D::kDeny, EPROTONOSUPPORT));
  }
  rules.push_back(Rule({Low32(0, AF_PACKET)}, D::kDeny, EPERM));
  for (const auto& [mask, value] : Complement({AF_UNIX, AF_INET, AF_INET6, AF_NETLINK, AF_PACKET}, 32)) {
    rules.push_back(Rule({Masked(0, mask, value)}, D::kDeny, EAFNOSUPPORT));
  }
  return rules;
}

SyscallEntry SocketRow() {
  SyscallEntry entry = Pass("socket", "raw and packet sockets as without CAP_NET_RAW; other families as a kernel without them");
  entry.support = Support::kPartial;
  return WithRules(std::move(entry), SocketRules(),
                   "AF_UNIX; AF_INET, AF_INET6 except SOCK_RAW, SOCK_PACKET (EPERM); AF_NETLINK with NETLINK_ROUTE, "
                   "NETLINK_SOCK_DIAG (other protocols EPROTONOSUPPORT); AF_PACKET: EPERM; other families: EAFNOSUPPORT");
}

SyscallEntry SocketpairRow() {
  SyscallEntry entry = Pass("socketpair", "Linux pairs only AF_UNIX (and AF_TIPC) sockets; other families would still load their module");
  entry.support = Support::kPartial;
  return WithRules(std::move(entry),
                   ValueRules(0, {AF_UNIX}, Rule({}, Disposition::kPassthrough), Rule({}, Disposition::kDeny, EOPNOTSUPP)),
                   "AF_UNIX: passthrough; other families: deny EOPNOTSUPP (the kernel's answer for AF_INET)");
}

SyscallEntry CloneRow() {
  SyscallEntry entry = Pass("clone", "new namespaces are runsc's to make (Docker: CAP_SYS_ADMIN only)");
  entry.support = Support::kPartial;
  return WithRules(std::move(entry), FlagRules(0, kCloneNamespaces, Disposition::kDeny, EPERM),
                   "flags & CLONE_NEW{NS,CGROUP,UTS,IPC,USER,PID,NET}: deny EPERM; else passthrough");
}

SyscallEntry UnshareRow() {
  SyscallEntry entry = Deny("unshare", EPERM, "new namespaces are runsc's to make; CLONE_FILES, CLONE_FS, CLONE_SYSVSEM pass");
  entry.support = Support::kPartial;
  return WithRules(std::move(entry), FlagRules(0, kUnshareNamespaces, Disposition::kDeny, EPERM),
                   "flags & CLONE_NEW{NS,CGROUP,UTS,IPC,USER,PID,NET,TIME}: deny EPERM; else passthrough");
}

SyscallEntry PersonalityRow() {
  SyscallEntry entry = Pass("personality", "the values Docker's profile allows; ADDR_NO_RANDOMIZE (setarch -R) is refused as there");
  entry.support = Support::kPartial;
  return WithRules(std::move(entry),
                   ValueRules(0, {PER_LINUX, PER_LINUX32, UNAME26, uint64_t{UNAME26} | PER_LINUX32, 0xffffffff},
                              Rule({}, Disposition::kPassthrough), Rule({}, Disposition::kDeny, EPERM)),
                   "PER_LINUX, PER_LINUX32, UNAME26, UNAME26|PER_LINUX32, 0xffffffff (query): passthrough; else deny EPERM");
}

SyscallEntry PrctlRow() {
  SyscallEntry entry = Pass("prctl", "PR_SET_MM rewrites the process's memory map layout and /proc/self/exe; the other options "
                                     "act on the caller only or are checked by the kernel (PR_CAP_AMBIENT, PR_SET_SECCOMP cannot "
                                     "make a listener)");
  entry.support = Support::kPartial;
  return WithRules(std::move(entry),
                   ValueRules(0, {PR_SET_MM}, Rule({}, Disposition::kDeny, EPERM), Rule({}, Disposition::kPassthrough)),
                   "option PR_SET_MM: deny EPERM; else passthrough");
}

SyscallEntry SeccompRow() {
  SyscallEntry entry = Pass("seccomp", "the workload may add stricter filters; a second listener would let it CONTINUE calls "
                                       "ours traps (DESIGN rule 6). EBUSY is also what the kernel answers while our "
                                       "filter's listener exists, so both platforms look the same");
  entry.support = Support::kPartial;
  std::vector<ArgRule> rules;
  for (const auto& [mask, value] : Complement({SECCOMP_SET_MODE_FILTER}, 32)) {
    rules.push_back(Rule({Masked(0, mask, value)}, Disposition::kPassthrough));
  }
  // Flags the kernel refuses with EINVAL before it looks at anything else
  // (seccomp_set_mode_filter) pass, so a bad call gets Linux's answer: any
  // bit beyond SECCOMP_FILTER_FLAG_MASK, and TSYNC with NEW_LISTENER without
  // TSYNC_ESRCH. Only a listener the kernel would make is refused.
  constexpr uint64_t kTsync = 1, kListener = SECCOMP_FILTER_FLAG_NEW_LISTENER, kTsyncEsrch = 16;
  constexpr uint64_t kUnknownFlags = kLow32 & ~uint64_t{0x3f};
  const ArgMatch filter = Low32(0, SECCOMP_SET_MODE_FILTER);
  rules.push_back(Rule({filter, Masked(1, kListener, 0)}, Disposition::kPassthrough));
  for (int bit = 6; bit < 32; ++bit) {
    const uint64_t unknown = uint64_t{1} << bit;
    rules.push_back(Rule({filter, Masked(1, kListener | unknown, kListener | unknown)}, Disposition::kPassthrough));
  }
  const uint64_t tsync_checked = kUnknownFlags | kListener | kTsync | kTsyncEsrch;
  rules.push_back(Rule({filter, Masked(1, tsync_checked, kListener | kTsync)}, Disposition::kPassthrough));
  rules.push_back(Rule({filter, Masked(1, kUnknownFlags | kListener | kTsync, kListener)}, Disposition::kDeny, EBUSY));
  rules.push_back(Rule({filter, Masked(1, tsync_checked, kListener | kTsync | kTsyncEsrch)}, Disposition::kDeny, EBUSY));
  return WithRules(std::move(entry), std::move(rules),
                   "SECCOMP_SET_MODE_FILTER with SECCOMP_FILTER_FLAG_NEW_LISTENER: deny EBUSY, unless the flags are "
                   "ones Linux refuses first (unknown bits, TSYNC without TSYNC_ESRCH: passthrough, EINVAL); else "
                   "passthrough");
}

// Appends `more` to `rows`. SyscallRows builds the table a chunk at a time:
// one braced list of every row is a ~90 KiB stack frame (all rows are
// temporaries at once), which stays resident in the sentry's main thread for
// the container's life.
void AppendRows(std::vector<SyscallEntry>& rows, std::initializer_list<SyscallEntry> more) {
  rows.insert(rows.end(), more.begin(), more.end());
}

}  // namespace

std::optional<int> NewerX86_64Number(std::string_view name) {
  // Newer than libseccomp 2.5.4 (and than Debian 12's kernel headers).
  static constexpr std::pair<std::string_view, int> kNewer[] = {
      {"uretprobe", 335},         {"statmount", 457},     {"listmount", 458},      {"lsm_get_self_attr", 459},
      {"lsm_set_self_attr", 460}, {"lsm_list_modules", 461}, {"mseal", 462},       {"setxattrat", 463},
      {"getxattrat", 464},        {"listxattrat", 465},   {"removexattrat", 466},  {"open_tree_attr", 467},
      {"file_getattr", 468},      {"file_setattr", 469},
  };
  for (const auto& [known, number] : kNewer) {
    if (known == name) return number;
  }
  return std::nullopt;
}

std::vector<SyscallEntry> SyscallRows() {
  std::vector<SyscallEntry> rows;
  AppendRows(rows, {
      Pass("read"),  // 0
      Pass("write"),  // 1
      OpenRow(),  // 2
      Pass("close"),  // 3
      Pass("stat"),  // 4
      Pass("fstat"),  // 5
      Pass("lstat"),  // 6
      Pass("poll"),  // 7
      Pass("lseek"),  // 8
      Pass("mmap"),  // 9
      Pass("mprotect"),  // 10
      Pass("munmap"),  // 11
      Pass("brk"),  // 12
      Pass("rt_sigaction"),  // 13
      Pass("rt_sigprocmask"),  // 14
      Pass("rt_sigreturn"),  // 15
      IoctlRow(),  // 16
      Pass("pread64"),  // 17
      Pass("pwrite64"),  // 18
      Pass("readv"),  // 19
      Pass("writev"),  // 20
      AccessRow("access", 1),  // 21
      Pass("pipe"),  // 22
      Pass("select"),  // 23
      Pass("sched_yield"),  // 24
      Pass("mremap"),  // 25
      Pass("msync"),  // 26
      Pass("mincore"),  // 27
      Pass("madvise"),  // 28
      Pass("shmget"),  // 29
      Pass("shmat"),  // 30
      Pass("shmctl"),  // 31
      Pass("dup"),  // 32
      Pass("dup2"),  // 33
      Pass("pause"),  // 34
      Pass("nanosleep"),  // 35
      Pass("getitimer"),  // 36
      Pass("alarm"),  // 37
      Pass("setitimer"),  // 38
      Pass("getpid"),  // 39
      Pass("sendfile"),  // 40
      SocketRow(),  // 41
      Pass("connect", "AF_UNIX connect needs no write access to the socket file's filesystem"),  // 42
      Pass("accept"),  // 43
      Pass("sendto"),  // 44
      Pass("recvfrom"),  // 45
      Pass("sendmsg"),  // 46
      Pass("recvmsg"),  // 47
      Pass("shutdown"),  // 48
      Broker("bind", "the family is in the sockaddr (memory), so every bind traps; the gofer binds the caller's own socket to an AF_UNIX path; other families, abstract and unnamed addresses are continued, which is safe: a sockaddr rewritten after the check only reaches the read-only view (EROFS)"),  // 49
      Pass("listen"),  // 50
      Pass("getsockname"),  // 51
      Pass("getpeername"),  // 52
      SocketpairRow(),  // 53
      Pass("setsockopt"),  // 54
      Pass("getsockopt"),  // 55
      CloneRow(),  // 56
      Pass("fork"),  // 57
      Pass("vfork"),  // 58
      Pass("execve", "runs natively against the read-only view"),  // 59
      Pass("exit"),  // 60
      Pass("wait4"),  // 61
      Pass("kill", "the pid namespace confines the targets; the sentry and gofer are outside it"),  // 62
      Emulate("uname", "the container's hostname and domain name; the kernel answers (CONTINUE) unless --kernel-release is set"),  // 63
  });
  AppendRows(rows, {
      Pass("semget"),  // 64
      Pass("semop"),  // 65
      Pass("semctl"),  // 66
      Pass("shmdt"),  // 67
      Pass("msgget"),  // 68
      Pass("msgsnd"),  // 69
      Pass("msgrcv"),  // 70
      Pass("msgctl"),  // 71
      Pass("fcntl", "commands act on the caller's own fds; F_SETFL cannot change an fd's access mode"),  // 72
      Pass("flock"),  // 73
      Pass("fsync"),  // 74
      Pass("fdatasync"),  // 75
      Broker("truncate", "the caller's RLIMIT_FSIZE applies: beyond it EFBIG and SIGXFSZ, as natively"),  // 76
      Pass("ftruncate", "on an fd: a writable fd of host storage comes from the gofer"),  // 77
      Pass("getdents"),  // 78
      Pass("getcwd"),  // 79
      Pass("chdir"),  // 80
      Pass("fchdir"),  // 81
      Broker("rename", ""),  // 82
      Broker("mkdir", ""),  // 83
      Broker("rmdir", ""),  // 84
      Broker("creat", "the gofer's fd is injected"),  // 85
      Broker("link", ""),  // 86
      Broker("unlink", ""),  // 87
      Broker("symlink", ""),  // 88
      Pass("readlink"),  // 89
      Broker("chmod", ""),  // 90
      Broker("fchmod", kFdForm),  // 91
      Broker("chown", ""),  // 92
      Broker("fchown", kFdForm),  // 93
      Broker("lchown", ""),  // 94
      Pass("umask"),  // 95
      Pass("gettimeofday"),  // 96
      Pass("getrlimit"),  // 97
      Pass("getrusage"),  // 98
      Emulate("sysinfo", "memory and load from the container's cgroup"),  // 99
      Pass("times"),  // 100
      Deny("ptrace", EPERM, "the workload may not trace (or tamper with) its processes behind the sentry's back"),  // 101
      Pass("getuid"),  // 102
      Deny("syslog", EPERM, "the host kernel log"),  // 103
      Pass("getgid"),  // 104
      Pass("setuid"),  // 105
      Pass("setgid"),  // 106
      Pass("geteuid"),  // 107
      Pass("getegid"),  // 108
      Pass("setpgid"),  // 109
      Pass("getppid"),  // 110
      Pass("getpgrp"),  // 111
      Pass("setsid"),  // 112
      Pass("setreuid"),  // 113
      Pass("setregid"),  // 114
      Pass("getgroups"),  // 115
      Pass("setgroups"),  // 116
      Pass("setresuid"),  // 117
      Pass("getresuid"),  // 118
      Pass("setresgid"),  // 119
      Pass("getresgid"),  // 120
      Pass("getpgid"),  // 121
      Pass("setfsuid"),  // 122
      Pass("setfsgid"),  // 123
      Pass("getsid"),  // 124
      Pass("capget"),  // 125
      Pass("capset", "can only keep or drop capabilities the process has"),  // 126
      Pass("rt_sigpending"),  // 127
  });
  AppendRows(rows, {
      Pass("rt_sigtimedwait"),  // 128
      Pass("rt_sigqueueinfo"),  // 129
      Pass("rt_sigsuspend"),  // 130
      Pass("sigaltstack"),  // 131
      Broker("utime", ""),  // 132
      Broker("mknod", "CAP_MKNOD and the device cgroup still decide"),  // 133
      Deny("uselib", ENOSYS, "obsolete a.out loader"),  // 134
      PersonalityRow(),  // 135
      Pass("ustat", "obsolete but implemented"),  // 136
      Emulate("statfs", "the kernel's answer; ST_RDONLY cleared on a mount the container may write (read-only in the view)"),  // 137
      Emulate("fstatfs", "the kernel's answer; ST_RDONLY cleared on a mount the container may write (read-only in the view)"),  // 138
      Pass("sysfs", "obsolete but implemented"),  // 139
      Pass("getpriority"),  // 140
      Pass("setpriority"),  // 141
      Pass("sched_setparam"),  // 142
      Pass("sched_getparam"),  // 143
      Pass("sched_setscheduler"),  // 144
      Pass("sched_getscheduler"),  // 145
      Pass("sched_get_priority_max"),  // 146
      Pass("sched_get_priority_min"),  // 147
      Pass("sched_rr_get_interval"),  // 148
      Pass("mlock"),  // 149
      Pass("munlock"),  // 150
      Pass("mlockall"),  // 151
      Pass("munlockall"),  // 152
      Deny("vhangup", EPERM, "hangs up the controlling terminal (CAP_SYS_TTY_CONFIG under Docker)"),  // 153
      Deny("modify_ldt", ENOSYS, "x86 LDT; a historical attack surface; ENOSYS as a kernel built without CONFIG_MODIFY_LDT_SYSCALL"),  // 154
      Deny("pivot_root", EPERM, "the root is set up by runsc"),  // 155
      Deny("_sysctl", ENOSYS, "removed from Linux (5.5); use /proc/sys"),  // 156
      PrctlRow(),  // 157
      Pass("arch_prctl"),  // 158
      Deny("adjtimex", EPERM, "the struct (memory) decides read or write, so read-only queries (ntp_gettime) are refused too"),  // 159
      Pass("setrlimit"),  // 160
      Pass("chroot", "CAP_SYS_CHROOT decides, as under runc"),  // 161
      Pass("sync"),  // 162
      Deny("acct", EPERM, "host process accounting"),  // 163
      Deny("settimeofday", EPERM, "the host clock is not namespaced"),  // 164
      Deny("mount", EPERM, "the container's mounts are set up by runsc; mount family"),  // 165
      Deny("umount2", EPERM, "would uncover what runsc masked; mount family"),  // 166
      Deny("swapon", EPERM, "host swap"),  // 167
      Deny("swapoff", EPERM, "host swap"),  // 168
      Deny("reboot", EPERM, "the host (or the pid namespace) reboot"),  // 169
      Emulate("sethostname", "sets the container's hostname (CAP_SYS_ADMIN in the container, as on Linux)"),  // 170
      Emulate("setdomainname", "sets the container's domain name (CAP_SYS_ADMIN in the container, as on Linux)"),  // 171
      Deny("iopl", EPERM, "raw I/O port access"),  // 172
      Deny("ioperm", EPERM, "raw I/O port access"),  // 173
      Deny("create_module", ENOSYS, "removed from Linux (2.6)"),  // 174
      Deny("init_module", EPERM, "loads host kernel modules"),  // 175
      Deny("delete_module", EPERM, "unloads host kernel modules"),  // 176
      Deny("get_kernel_syms", ENOSYS, "removed from Linux (2.6)"),  // 177
      Deny("query_module", ENOSYS, "removed from Linux (2.6)"),  // 178
      Deny("quotactl", EPERM, "host filesystem quotas"),  // 179
      Deny("nfsservctl", ENOSYS, "removed from Linux (3.1)"),  // 180
      Deny("getpmsg", ENOSYS, "not implemented by Linux"),  // 181
      Deny("putpmsg", ENOSYS, "not implemented by Linux"),  // 182
      Deny("afs_syscall", ENOSYS, "not implemented by Linux"),  // 183
      Deny("tuxcall", ENOSYS, "not implemented by Linux"),  // 184
      Deny("security", ENOSYS, "not implemented by Linux"),  // 185
      Pass("gettid"),  // 186
      Pass("readahead"),  // 187
      Broker("setxattr", ""),  // 188
      Broker("lsetxattr", ""),  // 189
      Broker("fsetxattr", kFdForm),  // 190
      Pass("getxattr"),  // 191
  });
  AppendRows(rows, {
      Pass("lgetxattr"),  // 192
      Pass("fgetxattr"),  // 193
      Pass("listxattr"),  // 194
      Pass("llistxattr"),  // 195
      Pass("flistxattr"),  // 196
      Broker("removexattr", ""),  // 197
      Broker("lremovexattr", ""),  // 198
      Broker("fremovexattr", kFdForm),  // 199
      Pass("tkill", "the pid namespace confines the targets"),  // 200
      Pass("time"),  // 201
      Pass("futex"),  // 202
      Pass("sched_setaffinity"),  // 203
      Emulate("sched_getaffinity",
              "the caller's own mask narrowed to the CPUs the virtual /proc shows (nproc agrees with it); other pids pass"),  // 204
      Pass("set_thread_area", "32-bit TLS; harmless"),  // 205
      Pass("io_setup"),  // 206
      Pass("io_destroy"),  // 207
      Pass("io_getevents"),  // 208
      Pass("io_submit"),  // 209
      Pass("io_cancel"),  // 210
      Pass("get_thread_area"),  // 211
      Deny("lookup_dcookie", ENOSYS, "removed from Linux (6.8); was for oprofile"),  // 212
      Pass("epoll_create"),  // 213
      Deny("epoll_ctl_old", ENOSYS, "not implemented by Linux"),  // 214
      Deny("epoll_wait_old", ENOSYS, "not implemented by Linux"),  // 215
      Pass("remap_file_pages", "deprecated; the kernel emulates it"),  // 216
      Pass("getdents64"),  // 217
      Pass("set_tid_address"),  // 218
      Pass("restart_syscall"),  // 219
      Pass("semtimedop"),  // 220
      Pass("fadvise64"),  // 221
      Pass("timer_create"),  // 222
      Pass("timer_settime"),  // 223
      Pass("timer_gettime"),  // 224
      Pass("timer_getoverrun"),  // 225
      Pass("timer_delete"),  // 226
      Deny("clock_settime", EPERM, "the host clock is not namespaced"),  // 227
      Pass("clock_gettime"),  // 228
      Pass("clock_getres"),  // 229
      Pass("clock_nanosleep"),  // 230
      Pass("exit_group"),  // 231
      Pass("epoll_wait"),  // 232
      Pass("epoll_ctl"),  // 233
      Pass("tgkill", "the pid namespace confines the targets"),  // 234
      Broker("utimes", ""),  // 235
      Deny("vserver", ENOSYS, "not implemented by Linux"),  // 236
      Pass("mbind"),  // 237
      Pass("set_mempolicy"),  // 238
      Pass("get_mempolicy"),  // 239
      Pass("mq_open", "POSIX queues live in the container's mqueue mount, not on host storage"),  // 240
      Pass("mq_unlink", "POSIX queues live in the container's mqueue mount, not on host storage"),  // 241
      Pass("mq_timedsend"),  // 242
      Pass("mq_timedreceive"),  // 243
      Pass("mq_notify"),  // 244
      Pass("mq_getsetattr"),  // 245
      Deny("kexec_load", EPERM, "replaces the host kernel"),  // 246
      Pass("waitid"),  // 247
      Deny("add_key", EPERM, "the kernel keyring is not namespaced"),  // 248
      Deny("request_key", EPERM, "the kernel keyring is not namespaced; may call out to a host helper"),  // 249
      Deny("keyctl", EPERM, "the kernel keyring is not namespaced"),  // 250
      Pass("ioprio_set"),  // 251
      Pass("ioprio_get"),  // 252
      Pass("inotify_init"),  // 253
      Pass("inotify_add_watch"),  // 254
      Pass("inotify_rm_watch"),  // 255
  });
  AppendRows(rows, {
      Pass("migrate_pages"),  // 256
      OpenatRow(),  // 257
      Broker("mkdirat", ""),  // 258
      Broker("mknodat", "CAP_MKNOD and the device cgroup still decide"),  // 259
      Broker("fchownat", "AT_EMPTY_PATH with \"\" is the fd form, but the path is memory: every call"),  // 260
      FutimesatRow(),  // 261
      Pass("newfstatat"),  // 262
      Broker("unlinkat", ""),  // 263
      Broker("renameat", ""),  // 264
      Broker("linkat", "AT_EMPTY_PATH on a file fd of a read-only mount of the view: that very inode (broker_fd.h), with CAP_DAC_READ_SEARCH only (ENOENT otherwise, as Linux before 6.10); on any other fd natively (an O_TMPFILE fd of the gofer: ENOENT, or EROFS with CAP_DAC_READ_SEARCH; see Known differences)"),  // 265
      Broker("symlinkat", ""),  // 266
      Pass("readlinkat"),  // 267
      Broker("fchmodat", ""),  // 268
      AccessRow("faccessat", 2),  // 269
      Pass("pselect6"),  // 270
      Pass("ppoll"),  // 271
      UnshareRow(),  // 272
      Pass("set_robust_list"),  // 273
      Pass("get_robust_list"),  // 274
      Pass("splice"),  // 275
      Pass("tee"),  // 276
      Pass("sync_file_range"),  // 277
      Pass("vmsplice"),  // 278
      Pass("move_pages"),  // 279
      UtimensatRow(),  // 280
      Pass("epoll_pwait"),  // 281
      Pass("signalfd"),  // 282
      Pass("timerfd_create"),  // 283
      Pass("eventfd"),  // 284
      Pass("fallocate"),  // 285
      Pass("timerfd_settime"),  // 286
      Pass("timerfd_gettime"),  // 287
      Pass("accept4"),  // 288
      Pass("signalfd4"),  // 289
      Pass("eventfd2"),  // 290
      Pass("epoll_create1"),  // 291
      Pass("dup3"),  // 292
      Pass("pipe2"),  // 293
      Pass("inotify_init1"),  // 294
      Pass("preadv"),  // 295
      Pass("pwritev"),  // 296
      Pass("rt_tgsigqueueinfo"),  // 297
      Deny("perf_event_open", EPERM, "kernel and hardware counters; a large attack surface"),  // 298
      Pass("recvmmsg"),  // 299
      Deny("fanotify_init", EPERM, "filesystem-wide event monitoring beyond the container's view"),  // 300
      Deny("fanotify_mark", EPERM, "needs a fanotify fd, and fanotify_init is denied"),  // 301
      Pass("prlimit64"),  // 302
      Deny("name_to_handle_at", EPERM, "only useful with open_by_handle_at"),  // 303
      Deny("open_by_handle_at", EPERM, "opens any file of a filesystem by handle, bypassing the mount view (the \"shocker\" escape)"),  // 304
      Deny("clock_adjtime", EPERM, "the struct (memory) decides read or write, so read-only queries are refused too"),  // 305
      Pass("syncfs"),  // 306
      Pass("sendmmsg"),  // 307
      Deny("setns", EPERM, "joining other namespaces leaves the box"),  // 308
      Pass("getcpu"),  // 309
      Deny("process_vm_readv", EPERM, "reads another process's memory (ptrace-class access)"),  // 310
      Deny("process_vm_writev", EPERM, "writes another process's memory (ptrace-class access)"),  // 311
      Deny("kcmp", EPERM, "compares kernel objects of two processes (ptrace-class; Docker needs CAP_SYS_PTRACE)"),  // 312
      Deny("finit_module", EPERM, "loads host kernel modules"),  // 313
      Pass("sched_setattr"),  // 314
      Pass("sched_getattr"),  // 315
      Broker("renameat2", ""),  // 316
      SeccompRow(),  // 317
      Pass("getrandom"),  // 318
      Pass("memfd_create"),  // 319
  });
  AppendRows(rows, {
      Deny("kexec_file_load", EPERM, "replaces the host kernel"),  // 320
      Deny("bpf", EPERM, "loads programs into the kernel; CAP_BPF decides natively, and the verifier is a large attack surface"),  // 321
      Pass("execveat", "runs natively against the read-only view"),  // 322
      Deny("userfaultfd", EPERM, "lets a process stall the kernel mid-copy, the classic exploitation aid"),  // 323
      Pass("membarrier"),  // 324
      Pass("mlock2"),  // 325
      Pass("copy_file_range"),  // 326
      Pass("preadv2"),  // 327
      Pass("pwritev2"),  // 328
      Pass("pkey_mprotect"),  // 329
      Pass("pkey_alloc"),  // 330
      Pass("pkey_free"),  // 331
      Pass("statx"),  // 332
      Pass("io_pgetevents"),  // 333
      Pass("rseq"),  // 334
      Pass("uretprobe", "only valid from the kernel's uretprobe trampoline (SIGILL elsewhere)"),  // 335
      Pass("pidfd_send_signal", "the pid namespace confines the targets"),  // 424
      Deny("io_uring_setup", ENOSYS, "io_uring runs operations outside seccomp's view; ENOSYS (a kernel without io_uring) makes libraries fall back to epoll/threads"),  // 425
      Deny("io_uring_enter", ENOSYS, "see io_uring_setup"),  // 426
      Deny("io_uring_register", ENOSYS, "see io_uring_setup"),  // 427
      Deny("open_tree", EPERM, "new mount API (detached mount trees); mount family"),  // 428
      Deny("move_mount", EPERM, "new mount API; mount family"),  // 429
      Deny("fsopen", EPERM, "new mount API; mount family"),  // 430
      Deny("fsconfig", EPERM, "new mount API; mount family"),  // 431
      Deny("fsmount", EPERM, "new mount API; mount family"),  // 432
      Deny("fspick", EPERM, "new mount API; mount family"),  // 433
      Pass("pidfd_open"),  // 434
      Deny("clone3", ENOSYS, "its flags are in memory, out of BPF's reach; ENOSYS makes glibc fall back to clone (as Docker does)"),  // 435
      Pass("close_range"),  // 436
      Broker("openat2", "flags and resolve are in a struct (memory): every call traps; opens that cannot write are continued"),  // 437
      Deny("pidfd_getfd", EPERM, "takes another process's fds (ptrace-class access, as ptrace is denied)"),  // 438
      AccessRow("faccessat2", 2),  // 439
      Pass("process_madvise"),  // 440
      Pass("epoll_pwait2"),  // 441
      Deny("mount_setattr", EPERM, "would make read-only mounts writable; mount family"),  // 442
      Deny("quotactl_fd", EPERM, "host filesystem quotas"),  // 443
      Pass("landlock_create_ruleset", "can only narrow what the workload may do"),  // 444
      Pass("landlock_add_rule", "can only narrow what the workload may do"),  // 445
      Pass("landlock_restrict_self", "can only narrow what the workload may do"),  // 446
      Pass("memfd_secret"),  // 447
      Pass("process_mrelease"),  // 448
      Pass("futex_waitv"),  // 449
      Pass("set_mempolicy_home_node"),  // 450
      Pass("cachestat"),  // 451
      Broker("fchmodat2", ""),  // 452
      Pass("map_shadow_stack"),  // 453
      Pass("futex_wake"),  // 454
      Pass("futex_wait"),  // 455
      Pass("futex_requeue"),  // 456
      Deny("statmount", ENOSYS, "would show the read-only view's flags and host paths as mount roots; ENOSYS (a kernel before 6.8) makes programs read /proc/self/mountinfo"),  // 457
      Deny("listmount", ENOSYS, "goes with statmount (mount ids for it); ENOSYS as a kernel before 6.8"),  // 458
      Pass("lsm_get_self_attr"),  // 459
      Deny("lsm_set_self_attr", EPERM, "the LSM label is the runtime's to set"),  // 460
      Pass("lsm_list_modules"),  // 461
      Pass("mseal"),  // 462
      Broker("setxattrat", ""),  // 463
      Pass("getxattrat"),  // 464
      Pass("listxattrat"),  // 465
      Broker("removexattrat", ""),  // 466
      Deny("open_tree_attr", EPERM, "new mount API; mount family"),  // 467
      Pass("file_getattr"),  // 468
      PartialBroker("file_setattr", "protocol v1 has no request for it: continued, so host storage answers EROFS"),  // 469
  });
  return rows;
}

}  // namespace sentry::internal
