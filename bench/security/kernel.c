// kernel.c: the `kernel` class of the security battery — can the workload reach
// kernel code that containers should not (namespaces, mounts, bpf, io_uring,
// ...)? Each call uses arguments that are harmless even when it is REACHED:
// invalid ones where a valid call could change the host.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/bpf.h>
#include <linux/io_uring.h>
#include <linux/keyctl.h>
#include <linux/netlink.h>
#include <linux/perf_event.h>
#include <linux/reboot.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "probe.h"

#define KLASS "kernel"

static int UnshareUserns(void* unused) {
  (void)unused;
  return unshare(CLONE_NEWUSER) == 0 ? 0 : errno;
}

// unshare(CLONE_NEWUSER) in a child (the child exits at once): REACHED if it
// succeeds.
static void ProbeUserns(void) {
  int rc = InChild(UnshareUserns, NULL);
  if (rc == 0) {
    Report("userns", KLASS, true, "unshare(CLONE_NEWUSER) succeeded");
  } else {
    Report("userns", KLASS, false, "unshare(CLONE_NEWUSER): %s", ErrnoName(rc));
  }
}

// The mount family with arguments the kernel rejects once it looks: an unknown
// filesystem type, a path that does not exist. Nothing is ever mounted.
static void ProbeMounts(void) {
  ReportInvalidArgs(
      "mount", KLASS,
      Outcome(syscall(SYS_mount, "none", "/nonexistent-probe-target",
                      "nonexistent-probe-fs", 0, NULL)));
  ReportInvalidArgs("fsopen", KLASS,
                    Outcome(syscall(SYS_fsopen, "nonexistent-probe-fs", 0)));
  ReportInvalidArgs(
      "open_tree", KLASS,
      Outcome(syscall(SYS_open_tree, AT_FDCWD, "/nonexistent-probe-path",
                      1 /* OPEN_TREE_CLONE */)));
}

// bpf(BPF_PROG_LOAD) of an empty program of no type: EINVAL once the kernel
// looks.
static void ProbeBpf(void) {
  union bpf_attr attr;
  memset(&attr, 0, sizeof(attr));
  ReportInvalidArgs(
      "bpf", KLASS,
      Outcome(syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof(attr))));
}

// io_uring_setup with 0 entries: EINVAL once the kernel looks.
static void ProbeIoUring(void) {
  struct io_uring_params params;
  memset(&params, 0, sizeof(params));
  ReportInvalidArgs("io_uring_setup", KLASS,
                    Outcome(syscall(SYS_io_uring_setup, 0, &params)));
}

// userfaultfd with undefined flags: EINVAL once the kernel looks.
static void ProbeUserfaultfd(void) {
  ReportInvalidArgs("userfaultfd", KLASS,
                    Outcome(syscall(SYS_userfaultfd,
                                    0x7fff0000 | 1 /* UFFD_USER_MODE_ONLY */)));
}

// perf_event_open of a software clock counting this process in user mode only
// (what perf_event_paranoid 2 still allows): REACHED if the event is created
// (then closed).
static void ProbePerf(void) {
  struct perf_event_attr attr;
  memset(&attr, 0, sizeof(attr));
  attr.size = sizeof(attr);
  attr.type = PERF_TYPE_SOFTWARE;
  attr.config = PERF_COUNT_SW_CPU_CLOCK;
  attr.disabled = 1;
  attr.exclude_kernel = 1;
  attr.exclude_hv = 1;
  long fd = Outcome(
      syscall(SYS_perf_event_open, &attr, 0, -1, -1, PERF_FLAG_FD_CLOEXEC));
  if (fd >= 0) close((int)fd);
  ReportSuccess("perf_event_open", KLASS, fd);
}

// keyctl with an unknown command and add_key of an unknown key type: the
// keyring code looks at both (EOPNOTSUPP, ENODEV) unless refused first. No key
// is ever made.
static void ProbeKeys(void) {
  ReportInvalidArgs("keyctl", KLASS,
                    Outcome(syscall(SYS_keyctl, 0x7fff, 0, 0, 0, 0)));
  ReportInvalidArgs(
      "add_key", KLASS,
      Outcome(syscall(SYS_add_key, "nonexistent-probe-type", "probe", "x", 1,
                      KEY_SPEC_PROCESS_KEYRING)));
}

// Forks a child that waits on a pipe (and dies with this process); returns its
// pid.
static pid_t SpawnSleeper(int* release_fd) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return -1;
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[1]);
    char c;
    while (read(fds[0], &c, 1) < 0 && errno == EINTR) {
    }
    _exit(0);
  }
  close(fds[0]);
  *release_fd = fds[1];
  return pid;
}

static void ReapSleeper(pid_t pid, int release_fd) {
  close(release_fd);
  kill(pid, SIGKILL);
  while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
  }
}

// ptrace(PTRACE_ATTACH) of its own child, and process_vm_readv of the child's
// copy of a variable: REACHED if they succeed (the child is detached and killed
// either way).
static void ProbeTraceChild(void) {
  static volatile long secret = 0x5ec2e7;
  int release_fd = -1;
  pid_t child = SpawnSleeper(&release_fd);
  if (child < 0) {
    Report("ptrace", KLASS, false, "could not fork: %s", ErrnoName(errno));
    return;
  }
  long ret = Outcome(ptrace(PTRACE_ATTACH, child, 0, 0));
  if (ret == 0) {
    waitpid(child, NULL, __WALL);
    ptrace(PTRACE_DETACH, child, 0, 0);
  }
  ReportSuccess("ptrace", KLASS, ret);
  long copy = 0;
  struct iovec local = {&copy, sizeof(copy)};
  struct iovec remote = {(void*)&secret, sizeof(secret)};
  long got =
      Outcome(syscall(SYS_process_vm_readv, child, &local, 1, &remote, 1, 0));
  if (got >= 0 && copy != secret) got = -EIO;
  ReportSuccess("process_vm_readv", KLASS, got);
  ReapSleeper(child, release_fd);
}

// kexec_load with more segments than allowed and unknown flags, init_module of
// an empty image: both are rejected (EINVAL, ENOEXEC) once the kernel looks;
// nothing is loaded.
static void ProbeKernelLoading(void) {
  ReportInvalidArgs(
      "kexec_load", KLASS,
      Outcome(syscall(SYS_kexec_load, 0, 100000, NULL, 0x7ff00000UL)));
  ReportInvalidArgs("init_module", KLASS,
                    Outcome(syscall(SYS_init_module, NULL, 0, "")));
}

// A raw IP socket and a packet socket (opened and closed; nothing is sent).
static void ProbeRawSockets(void) {
  long fd = Outcome(socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP));
  if (fd >= 0) close((int)fd);
  ReportSuccess("raw_socket", KLASS, fd);
  fd = Outcome(socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0));
  if (fd >= 0) close((int)fd);
  ReportSuccess("packet_socket", KLASS, fd);
}

// Netlink sockets of the audit and uevent families (opened, uevent bound to its
// group, closed).
static void ProbeNetlink(void) {
  long fd = Outcome(socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_AUDIT));
  if (fd >= 0) close((int)fd);
  ReportSuccess("netlink_audit", KLASS, fd);
  fd = Outcome(
      socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_KOBJECT_UEVENT));
  if (fd >= 0) {
    struct sockaddr_nl addr = {.nl_family = AF_NETLINK, .nl_groups = 1};
    long bound = Outcome(bind((int)fd, (struct sockaddr*)&addr, sizeof(addr)));
    close((int)fd);
    fd = bound;
  }
  ReportSuccess("netlink_uevent", KLASS, fd);
}

// TIOCSTI on a pseudo-terminal of its own (a new pair from /dev/ptmx): pushes
// one byte into its own input queue. REACHED if the ioctl succeeds.
static void ProbeTiocsti(void) {
  int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0) {
    Report("tiocsti", KLASS, false,
           "no pseudo-terminal to try it on: /dev/ptmx: %s", ErrnoName(errno));
    return;
  }
  int slave = -1;
  if (grantpt(master) == 0 && unlockpt(master) == 0) {
    slave = open(ptsname(master), O_RDWR | O_NOCTTY | O_CLOEXEC);
  }
  if (slave < 0) {
    Report("tiocsti", KLASS, false, "no pseudo-terminal to try it on: pts: %s",
           ErrnoName(errno));
    close(master);
    return;
  }
  char c = '\n';
  ReportSuccess("tiocsti", KLASS, Outcome(ioctl(slave, TIOCSTI, &c)));
  close(slave);
  close(master);
}

// clock_settime with nanoseconds out of range, swapon of a missing path, reboot
// with a wrong magic number: each rejected once the kernel looks, none changes
// anything.
static void ProbeSystemSetters(void) {
  struct timespec bad = {.tv_sec = 0, .tv_nsec = 2000000000L};
  ReportInvalidArgs("clock_settime", KLASS,
                    Outcome(syscall(SYS_clock_settime, CLOCK_REALTIME, &bad)));
  ReportInvalidArgs("swapon", KLASS,
                    Outcome(syscall(SYS_swapon, "/nonexistent-probe-swap", 0)));
  // Wrong magic1: the kernel answers EINVAL right after the capability check,
  // before any action.
  ReportInvalidArgs(
      "reboot", KLASS,
      Outcome(syscall(SYS_reboot, 0, 0, LINUX_REBOOT_CMD_CAD_OFF, NULL)));
}

// syslog(SYSLOG_ACTION_READ_ALL): a non-destructive read of the kernel log.
static void ProbeSyslog(void) {
  char buf[256];
  ReportSuccess("syslog_read", KLASS,
                Outcome(syscall(SYS_syslog, 3 /* SYSLOG_ACTION_READ_ALL */, buf,
                                sizeof(buf))));
}

int main(void) {
  ProbeUserns();
  ProbeMounts();
  ProbeBpf();
  ProbeIoUring();
  ProbeUserfaultfd();
  ProbePerf();
  ProbeKeys();
  ProbeTraceChild();
  ProbeKernelLoading();
  ProbeRawSockets();
  ProbeNetlink();
  ProbeTiocsti();
  ProbeSystemSetters();
  ProbeSyslog();
  return 0;
}
