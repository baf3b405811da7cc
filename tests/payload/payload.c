// payload: the static multi-call test program that runs inside test containers.
// Usage: payload <command> [args...]; each command prints one small, parseable answer.
// Failures of the probed operation print the errno name (e.g. "EROFS") and exit 1.
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/keyctl.h>

int FsOps(const char* dir);
int FdAttrs(const char* dir);
int FdPerm(const char* file);
int FdUnlinked(const char* dir);
int FdLocked(const char* dir);
int FdLink(const char* dir);
int FdLockedPerm(const char* dir);
int FsizeLimit(const char* dir);
int BadFlags(const char* dir);
int FsPerm(const char* dir);
int FsRace(const char* secs, const char* good, const char* evil);
int FsSwap(const char* secs, const char* link, const char* tmpdir, const char* hostdir);
int Inotify(const char* dir, const char* which);
int PdeathSig(void);
int Creds(void);
int StopCont(const char* rounds, const char* threads);

// Prints the errno name of `err` and returns exit status 1.
static int Fail(int err) {
  const char* name = strerrorname_np(err);
  printf("%s\n", name ? name : "EUNKNOWN");
  return 1;
}

// Copies the file at `path` to stdout; returns 0 or prints the errno name.
static int CatFile(const char* path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Fail(errno);
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof(buf))) > 0) fwrite(buf, 1, (size_t)n, stdout);
  int err = n < 0 ? errno : 0;
  close(fd);
  return err ? Fail(err) : 0;
}

static int CmpStr(const void* a, const void* b) {
  return strcmp(*(char* const*)a, *(char* const*)b);
}

// Prints the entries of `dir` (without . and ..), sorted, one per line.
static int ListDir(const char* dir, int numeric_only) {
  DIR* d = opendir(dir);
  if (!d) return Fail(errno);
  char* names[8192];
  size_t count = 0;
  struct dirent* e;
  while ((e = readdir(d)) && count < 8192) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    if (numeric_only && strspn(e->d_name, "0123456789") != strlen(e->d_name)) continue;
    names[count++] = strdup(e->d_name);
  }
  closedir(d);
  qsort(names, count, sizeof(char*), CmpStr);
  for (size_t i = 0; i < count; i++) printf("%s\n", names[i]);
  return 0;
}

// Prints the capability, no_new_privs and credential lines of /proc/self/status.
static int PrintStatus(void) {
  FILE* f = fopen("/proc/self/status", "re");
  if (!f) return Fail(errno);
  char line[1024];
  while (fgets(line, sizeof(line), f)) {
    if (!strncmp(line, "Cap", 3) || !strncmp(line, "NoNewPrivs", 10) ||
        !strncmp(line, "Uid", 3) || !strncmp(line, "Gid", 3) || !strncmp(line, "Groups", 6)) {
      fputs(line, stdout);
    }
  }
  fclose(f);
  return 0;
}

static const struct {
  const char* name;
  int resource;
} kRlimits[] = {
    {"NOFILE", RLIMIT_NOFILE}, {"NPROC", RLIMIT_NPROC},   {"CORE", RLIMIT_CORE},
    {"STACK", RLIMIT_STACK},   {"FSIZE", RLIMIT_FSIZE},   {"AS", RLIMIT_AS},
    {"CPU", RLIMIT_CPU},       {"MEMLOCK", RLIMIT_MEMLOCK}, {"NICE", RLIMIT_NICE},
};

// Prints "soft hard" of the rlimit NAME (NOFILE, or RLIMIT_NOFILE); "unlimited" for infinity.
static int PrintRlimit(const char* name) {
  if (!strncmp(name, "RLIMIT_", 7)) name += 7;
  for (size_t i = 0; i < sizeof(kRlimits) / sizeof(kRlimits[0]); i++) {
    if (strcmp(kRlimits[i].name, name)) continue;
    struct rlimit r;
    if (getrlimit(kRlimits[i].resource, &r)) return Fail(errno);
    if (r.rlim_cur == RLIM_INFINITY) printf("unlimited "); else printf("%llu ", (unsigned long long)r.rlim_cur);
    if (r.rlim_max == RLIM_INFINITY) printf("unlimited\n"); else printf("%llu\n", (unsigned long long)r.rlim_max);
    return 0;
  }
  return Fail(EINVAL);
}

// Prints "<type> <major>:<minor> <mode>" of PATH (lstat); symlinks add " -> target".
static int PrintStat(const char* path) {
  struct stat st;
  if (lstat(path, &st)) return Fail(errno);
  const char* type = S_ISREG(st.st_mode)    ? "file"
                     : S_ISDIR(st.st_mode)  ? "dir"
                     : S_ISCHR(st.st_mode)  ? "char"
                     : S_ISBLK(st.st_mode)  ? "block"
                     : S_ISLNK(st.st_mode)  ? "symlink"
                     : S_ISFIFO(st.st_mode) ? "fifo"
                                            : "socket";
  printf("%s %u:%u %04o %u:%u", type, major(st.st_rdev), minor(st.st_rdev), st.st_mode & 07777,
         st.st_uid, st.st_gid);
  if (S_ISLNK(st.st_mode)) {
    char target[4096];
    ssize_t n = readlink(path, target, sizeof(target) - 1);
    if (n >= 0) printf(" -> %.*s", (int)n, target);
  }
  printf("\n");
  return 0;
}

// Prints "<mount options> <fs type> <super options>" of the mount at exactly PATH (last one wins).
static int PrintMountOpts(const char* path) {
  FILE* f = fopen("/proc/self/mountinfo", "re");
  if (!f) return Fail(errno);
  char line[4096], found[4096] = "";
  while (fgets(line, sizeof(line), f)) {
    char mnt[4096], opts[1024];
    if (sscanf(line, "%*s %*s %*s %*s %4095s %1023s", mnt, opts) != 2) continue;
    if (strcmp(mnt, path)) continue;
    char* sep = strstr(line, " - ");
    if (!sep) continue;
    char fstype[256], source[1024], super[1024];
    if (sscanf(sep + 3, "%255s %1023s %1023s", fstype, source, super) != 3) continue;
    snprintf(found, sizeof(found), "%s %s %s", opts, fstype, super);
  }
  fclose(f);
  if (!found[0]) return Fail(ENOENT);
  printf("%s\n", found);
  return 0;
}

// Prints the names of the network interfaces of this network namespace, one per line.
static int PrintInterfaces(void) {
  FILE* f = fopen("/proc/net/dev", "re");
  if (!f) return Fail(errno);
  char line[1024];
  int lineno = 0;
  while (fgets(line, sizeof(line), f)) {
    if (++lineno <= 2) continue;
    char* colon = strchr(line, ':');
    if (!colon) continue;
    *colon = '\0';
    char* name = line + strspn(line, " ");
    printf("%s\n", name);
  }
  fclose(f);
  return 0;
}

// Prints /proc/sys/<KEY with dots as slashes>.
static int PrintSysctl(const char* key) {
  char path[512] = "/proc/sys/";
  size_t len = strlen(path);
  for (const char* p = key; *p && len < sizeof(path) - 1; p++) path[len++] = *p == '.' ? '/' : *p;
  path[len] = '\0';
  return CatFile(path);
}

// Writes "x" to FILE (created 0644 if missing); prints "ok" or the errno name.
static int WriteFile(const char* path) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Fail(errno);
  if (write(fd, "x", 1) != 1) {
    int err = errno;
    close(fd);
    return Fail(err);
  }
  if (close(fd)) return Fail(errno);
  printf("ok\n");
  return 0;
}

// Executes PATH with no arguments; prints the errno name if execve fails.
static int ExecFile(const char* path) {
  char* const argv[] = {(char*)path, NULL};
  char* const envp[] = {NULL};
  execve(path, argv, envp);
  return Fail(errno);
}

// Prints "N -> target" for every open fd of this process but the one reading /proc/self/fd.
static int PrintFds(void) {
  DIR* d = opendir("/proc/self/fd");
  if (!d) return Fail(errno);
  int self = dirfd(d);
  int fds[1024];
  size_t count = 0;
  struct dirent* e;
  while ((e = readdir(d)) && count < 1024) {
    if (e->d_name[0] == '.') continue;
    int fd = atoi(e->d_name);
    if (fd != self) fds[count++] = fd;
  }
  for (size_t i = 1; i < count; i++) {  // Insertion sort: a handful of fds.
    for (size_t j = i; j > 0 && fds[j - 1] > fds[j]; j--) {
      int t = fds[j];
      fds[j] = fds[j - 1];
      fds[j - 1] = t;
    }
  }
  for (size_t i = 0; i < count; i++) {
    char link[64], target[4096];
    snprintf(link, sizeof(link), "/proc/self/fd/%d", fds[i]);
    ssize_t n = readlinkat(self, link + strlen("/proc/self/fd/"), target, sizeof(target) - 1);
    printf("%d -> %.*s\n", fds[i], n < 0 ? 1 : (int)n, n < 0 ? "?" : target);
  }
  closedir(d);
  return 0;
}

// Copies fd N to stdout until EOF; prints the errno name if it is not readable.
static int ReadFd(const char* arg) {
  int fd = atoi(arg);
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof(buf))) > 0) fwrite(buf, 1, (size_t)n, stdout);
  return n < 0 ? Fail(errno) : 0;
}

// Writes TEXT and a newline to fd N; prints "ok" or the errno name.
static int WriteFd(const char* arg, const char* text) {
  int fd = atoi(arg);
  char buf[4096];
  int len = snprintf(buf, sizeof(buf), "%s\n", text ? text : "");
  if (write(fd, buf, (size_t)len) != len) return Fail(errno);
  printf("ok\n");
  return 0;
}

// Prints "<serial> <description>" of the session keyring (without creating one).
static int PrintSessionKeyring(void) {
  long serial = syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0);
  if (serial < 0) return Fail(errno);
  char desc[512];
  long n = syscall(SYS_keyctl, KEYCTL_DESCRIBE, serial, desc, sizeof(desc));
  if (n < 0) return Fail(errno);
  desc[sizeof(desc) - 1] = '\0';
  printf("%ld %s\n", serial, desc);
  return 0;
}

// Prints the propagation fields of the mount at exactly PATH ("private" if none; last one wins).
static int PrintMountPropagation(const char* path) {
  FILE* f = fopen("/proc/self/mountinfo", "re");
  if (!f) return Fail(errno);
  char line[4096], found[4096] = "";
  while (fgets(line, sizeof(line), f)) {
    char mnt[4096];
    int end = 0;
    if (sscanf(line, "%*s %*s %*s %*s %4095s %*s%n", mnt, &end) != 1 || strcmp(mnt, path)) continue;
    char* sep = strstr(line, " - ");
    if (!sep) continue;
    *sep = '\0';
    const char* fields = line + end + strspn(line + end, " ");
    snprintf(found, sizeof(found), "%s", *fields ? fields : "private");
  }
  fclose(f);
  if (!found[0]) return Fail(ENOENT);
  printf("%s\n", found);
  return 0;
}

// Makes the raw system call NR with up to 6 integer args (strtoull base 0);
// prints its return value, or the errno name and exits 1.
static int RawSyscall(int argc, char** argv) {
  long a[6] = {0};
  for (int i = 0; i < 6 && 3 + i < argc; i++) a[i] = (long)strtoull(argv[3 + i], NULL, 0);
  long rc = syscall(atol(argv[2]), a[0], a[1], a[2], a[3], a[4], a[5]);
  if (rc < 0) return Fail(errno);
  return printf("%ld\n", rc) < 0;
}

// Prints "nprocs=<get_nprocs> online=<sysconf> affinity=<CPUs in sched_getaffinity(0)>": what
// glibc (its /sys/devices/system/cpu/online) and nproc (the affinity mask) see.
static int PrintCpus(void) {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set)) return Fail(errno);
  return printf("nprocs=%d online=%ld affinity=%d\n", get_nprocs(), sysconf(_SC_NPROCESSORS_ONLN),
                CPU_COUNT(&set)) < 0;
}

// Prints "totalram=<bytes> freeram=<bytes> procs=<n> uptime=<secs>" from sysinfo(2).
static int PrintSysinfo(void) {
  struct sysinfo info;
  if (sysinfo(&info)) return Fail(errno);
  unsigned long long unit = info.mem_unit ? info.mem_unit : 1;
  return printf("totalram=%llu freeram=%llu procs=%u uptime=%ld\n",
                (unsigned long long)info.totalram * unit, (unsigned long long)info.freeram * unit,
                (unsigned)info.procs, (long)info.uptime) < 0;
}

// Prints "sysname release nodename" from uname(2).
static int PrintUname(void) {
  struct utsname uts;
  if (uname(&uts)) return Fail(errno);
  return printf("%s %s %s\n", uts.sysname, uts.release, uts.nodename) < 0;
}

// The errno name of `err` ("OK" for 0).
static const char* ErrnoName(int err) {
  if (err == 0) return "OK";
  const char* name = strerrorname_np(err);
  return name ? name : "EUNKNOWN";
}

// For each "NR:ERRNO_NAME", makes raw syscall NR with all-zero arguments in a forked child (so
// that a call which the filter failed to stop cannot disturb the walk) and compares the errno's
// name. Prints "nr=<nr> want=<name> got=<name|OK|SIG<n>>" per mismatch, then
// "checked=<n> mismatches=<m>"; exits 0 only if there was no mismatch.
static int DenyWalk(int argc, char** argv) {
  int checked = 0, mismatches = 0;
  for (int i = 2; i < argc; i++) {
    char* colon = strchr(argv[i], ':');
    if (!colon) return Fail(EINVAL);
    long nr = atol(argv[i]);
    const char* want = colon + 1;
    pid_t child = fork();
    if (child < 0) return Fail(errno);
    if (child == 0) {
      long rc = syscall(nr, 0L, 0L, 0L, 0L, 0L, 0L);
      _exit(rc < 0 ? (errno & 0xff) : 0);
    }
    int status = 0;
    while (waitpid(child, &status, 0) < 0) {
      if (errno != EINTR) return Fail(errno);
    }
    char got[32];
    if (WIFSIGNALED(status)) {
      snprintf(got, sizeof(got), "SIG%d", WTERMSIG(status));
    } else {
      snprintf(got, sizeof(got), "%s", ErrnoName(WEXITSTATUS(status)));
    }
    checked++;
    if (strcmp(got, want)) {
      mismatches++;
      printf("nr=%ld want=%s got=%s\n", nr, want, got);
    }
  }
  printf("checked=%d mismatches=%d\n", checked, mismatches);
  return mismatches ? 1 : 0;
}

static atomic_int hammer_stop;
static atomic_llong hammer_calls;
static atomic_llong hammer_errors;
static char hammer_nodename[sizeof(((struct utsname*)0)->nodename)];

// Hammer thread: uname() until told to stop; the nodename must never change.
static void* HammerUname(void* unused) {
  (void)unused;
  while (!atomic_load(&hammer_stop)) {
    struct utsname uts;
    if (uname(&uts) || strcmp(uts.nodename, hammer_nodename)) atomic_fetch_add(&hammer_errors, 1);
    atomic_fetch_add(&hammer_calls, 1);
  }
  return NULL;
}

static double MonotonicSeconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

// Waits for `child` and counts an error unless it exited with status 0.
static void HammerReap(pid_t child) {
  int status = 0;
  pid_t got;
  while ((got = waitpid(child, &status, 0)) < 0 && errno == EINTR) {
  }
  if (got != child || !WIFEXITED(status) || WEXITSTATUS(status) != 0) atomic_fetch_add(&hammer_errors, 1);
}

// THREADS threads call uname() in a loop while the main thread forks children that exec
// "/bin/payload pid" (output to /dev/null) or just _exit, and reaps them; after SECS prints
// "calls=<n> errors=<n>" and exits 0 only if there was no error.
static int Hammer(const char* secs_arg, const char* threads_arg) {
  double secs = atof(secs_arg);
  int threads = threads_arg ? atoi(threads_arg) : 8;
  if (threads < 1 || threads > 256) return Fail(EINVAL);
  struct utsname uts;
  if (uname(&uts)) return Fail(errno);
  memcpy(hammer_nodename, uts.nodename, sizeof(hammer_nodename));
  pthread_t tids[256];
  for (int i = 0; i < threads; i++) {
    int err = pthread_create(&tids[i], NULL, HammerUname, NULL);
    if (err) return Fail(err);
  }
  double deadline = MonotonicSeconds() + secs;
  for (unsigned long round = 0; MonotonicSeconds() < deadline; round++) {
    pid_t child = fork();
    if (child < 0) {
      atomic_fetch_add(&hammer_errors, 1);
      continue;
    }
    if (child == 0) {
      if (round % 2) _exit(0);
      int devnull = open("/dev/null", O_WRONLY);
      if (devnull >= 0) dup2(devnull, 1);
      char* const child_argv[] = {"/bin/payload", "pid", NULL};
      char* const envp[] = {NULL};
      execve("/bin/payload", child_argv, envp);
      _exit(127);
    }
    HammerReap(child);
  }
  atomic_store(&hammer_stop, 1);
  for (int i = 0; i < threads; i++) pthread_join(tids[i], NULL);
  long long errors = atomic_load(&hammer_errors);
  printf("calls=%lld errors=%lld\n", atomic_load(&hammer_calls), errors);
  return errors ? 1 : 0;
}

static const char* ErrName(long rc) {
  if (rc == 0) return "ok";
  const char* name = strerrorname_np(errno);
  return name ? name : "EUNKNOWN";
}

// Prints "access=<r> faccessat=<r> faccessat2=<r> eaccess=<r>" for MODE (a number, W_OK is 2) on
// PATH: access(2), faccessat(2) and faccessat2(2) with flags 0 and with AT_EACCESS; each <r> is
// ok or the errno name. With RUID, first sets the real uid alone (the effective one stays).
static int PrintAccess(const char* path, const char* mode_arg, const char* ruid_arg) {
  int mode = atoi(mode_arg);
  if (ruid_arg && setresuid((uid_t)atoi(ruid_arg), (uid_t)-1, (uid_t)-1)) return Fail(errno);
  const char* plain = ErrName(syscall(SYS_access, path, mode));
  const char* at = ErrName(syscall(SYS_faccessat, AT_FDCWD, path, mode));
  const char* at2 = ErrName(syscall(SYS_faccessat2, AT_FDCWD, path, mode, 0));
  const char* eaccess = ErrName(syscall(SYS_faccessat2, AT_FDCWD, path, mode, AT_EACCESS));
  return printf("access=%s faccessat=%s faccessat2=%s eaccess=%s\n", plain, at, at2, eaccess) < 0;
}

// Prints "statfs.rdonly=<0|1> fstatfs.rdonly=<0|1> statvfs.rdonly=<0|1>" for PATH (ST_RDONLY in f_flags).
static int PrintStatfsFlags(const char* path) {
  struct statfs by_path, by_fd;
  struct statvfs vfs;
  if (statfs(path, &by_path)) return Fail(errno);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Fail(errno);
  int rc = fstatfs(fd, &by_fd);
  close(fd);
  if (rc) return Fail(errno);
  if (statvfs(path, &vfs)) return Fail(errno);
  return printf("statfs.rdonly=%d fstatfs.rdonly=%d statvfs.rdonly=%d\n", !!(by_path.f_flags & ST_RDONLY),
                !!(by_fd.f_flags & ST_RDONLY), !!(vfs.f_flag & ST_RDONLY)) < 0;
}

// Prints "pid=<getpid> pgrp=<getpgrp> sid=<getsid(0)>".
static int PrintSession(void) {
  return printf("pid=%d pgrp=%d sid=%d\n", getpid(), getpgrp(), getsid(0)) < 0;
}

// Prints what lseek(fd, 0, SEEK_END) on FILE answers: the offset or the errno name.
static int SeekEnd(const char* path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Fail(errno);
  off_t off = lseek(fd, 0, SEEK_END);
  int err = errno;
  close(fd);
  if (off < 0) return Fail(err);
  return printf("%lld\n", (long long)off) < 0;
}

static int Usage(void) {
  fprintf(stderr,
          "usage: payload hostname|domainname|pid|ppid|uid|status|umask|cwd|mountinfo|oom|"
          "ifaces|pids|fds|keyring|args...|exit N|readfd N|writefd N TEXT|mountprop PATH|write FILE|cat FILE|ls DIR|rlimit NAME|env NAME|"
          "sleep SECS|stat PATH|mountopts PATH|sysctl KEY|exec PATH|mkdir DIR|syscall NR [ARGS...]|echo WORDS...|"
          "sysinfo|cpus|uname|sethostname NAME|denywalk NR:ERRNO...|hammer SECS [THREADS]|fsops DIR|fsperm DIR|"
          "fsrace SECS GOOD EVIL|access PATH MODE [RUID]|statfs PATH|session|seekend FILE|inotify DIR [CASE]|pdeathsig|creds|stopcont ROUNDS [THREADS]\n");
  return 2;
}

int main(int argc, char** argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc < 2) return Usage();
  const char* cmd = argv[1];
  const char* arg = argc > 2 ? argv[2] : NULL;
  struct utsname uts;
  if (!strcmp(cmd, "hostname") || !strcmp(cmd, "domainname")) {
    if (uname(&uts)) return Fail(errno);
    printf("%s\n", cmd[0] == 'h' ? uts.nodename : uts.domainname);
    return 0;
  }
  if (!strcmp(cmd, "pid")) return printf("%d\n", getpid()) < 0;
  if (!strcmp(cmd, "cpus")) return PrintCpus();
  if (!strcmp(cmd, "ppid")) return printf("%d\n", getppid()) < 0;
  if (!strcmp(cmd, "uid")) return printf("%d %d\n", getuid(), getgid()) < 0;
  if (!strcmp(cmd, "status")) return PrintStatus();
  if (!strcmp(cmd, "umask")) {
    mode_t old = umask(0);
    umask(old);
    return printf("%04o\n", old) < 0;
  }
  if (!strcmp(cmd, "cwd")) {
    char buf[4096];
    if (!getcwd(buf, sizeof(buf))) return Fail(errno);
    return printf("%s\n", buf) < 0;
  }
  if (!strcmp(cmd, "mountinfo")) return CatFile("/proc/self/mountinfo");
  if (!strcmp(cmd, "oom")) return CatFile("/proc/self/oom_score_adj");
  if (!strcmp(cmd, "ifaces")) return PrintInterfaces();
  if (!strcmp(cmd, "pids")) return ListDir("/proc", 1);
  if (!strcmp(cmd, "fds")) return PrintFds();
  if (!strcmp(cmd, "keyring")) return PrintSessionKeyring();
  if (!strcmp(cmd, "args")) {
    for (int i = 2; i < argc; i++) printf("%s\n", argv[i]);
    return 0;
  }
  if (!strcmp(cmd, "sysinfo")) return PrintSysinfo();
  if (!strcmp(cmd, "uname")) return PrintUname();
  if (!strcmp(cmd, "denywalk")) return DenyWalk(argc, argv);
  if (!strcmp(cmd, "session")) return PrintSession();
  if (!strcmp(cmd, "pdeathsig")) return PdeathSig();
  if (!strcmp(cmd, "echo")) {
    for (int i = 2; i < argc; i++) printf("%s%s", argv[i], i + 1 < argc ? " " : "\n");
    return 0;
  }
  if (!strcmp(cmd, "creds")) return Creds();
  if (!arg) return Usage();
  if (!strcmp(cmd, "exit")) return atoi(arg);
  if (!strcmp(cmd, "write")) return WriteFile(arg);
  if (!strcmp(cmd, "cat")) return CatFile(arg);
  if (!strcmp(cmd, "ls")) return ListDir(arg, 0);
  if (!strcmp(cmd, "rlimit")) return PrintRlimit(arg);
  if (!strcmp(cmd, "env")) {
    const char* v = getenv(arg);
    return printf("%s\n", v ? v : "<unset>") < 0;
  }
  if (!strcmp(cmd, "sleep")) {
    unsigned left = (unsigned)atoi(arg);
    while (left) left = sleep(left);
    return 0;
  }
  if (!strcmp(cmd, "stat")) return PrintStat(arg);
  if (!strcmp(cmd, "mountopts")) return PrintMountOpts(arg);
  if (!strcmp(cmd, "sysctl")) return PrintSysctl(arg);
  if (!strcmp(cmd, "readfd")) return ReadFd(arg);
  if (!strcmp(cmd, "writefd")) return WriteFd(arg, argc > 3 ? argv[3] : "");
  if (!strcmp(cmd, "mountprop")) return PrintMountPropagation(arg);
  if (!strcmp(cmd, "exec")) return ExecFile(arg);
  if (!strcmp(cmd, "syscall")) return RawSyscall(argc, argv);
  if (!strcmp(cmd, "sethostname")) {
    if (sethostname(arg, strlen(arg))) return Fail(errno);
    return printf("ok\n") < 0;
  }
  if (!strcmp(cmd, "fsops")) return FsOps(arg);
  if (!strcmp(cmd, "fdattrs")) return FdAttrs(arg);
  if (!strcmp(cmd, "fdperm")) return FdPerm(arg);
  if (!strcmp(cmd, "fdunlinked")) return FdUnlinked(arg);
  if (!strcmp(cmd, "fdlocked")) return FdLocked(arg);
  if (!strcmp(cmd, "fdlink")) return FdLink(arg);
  if (!strcmp(cmd, "fdlockedperm")) return FdLockedPerm(arg);
  if (!strcmp(cmd, "fsize")) return FsizeLimit(arg);
  if (!strcmp(cmd, "badflags")) return BadFlags(arg);
  if (!strcmp(cmd, "fsperm")) return FsPerm(arg);
  if (!strcmp(cmd, "fsrace") && argc > 4) return FsRace(arg, argv[3], argv[4]);
  if (!strcmp(cmd, "fsswap") && argc > 5) return FsSwap(arg, argv[3], argv[4], argv[5]);
  if (!strcmp(cmd, "access") && argc > 3) return PrintAccess(arg, argv[3], argc > 4 ? argv[4] : NULL);
  if (!strcmp(cmd, "statfs")) return PrintStatfsFlags(arg);
  if (!strcmp(cmd, "seekend")) return SeekEnd(arg);
  if (!strcmp(cmd, "inotify")) return Inotify(arg, argc > 3 ? argv[3] : NULL);
  if (!strcmp(cmd, "hammer")) return Hammer(arg, argc > 3 ? argv[3] : NULL);
  if (!strcmp(cmd, "stopcont") && arg) return StopCont(arg, argc > 3 ? argv[3] : NULL);
  if (!strcmp(cmd, "mkdir")) {
    if (mkdir(arg, 0755)) return Fail(errno);
    return printf("ok\n") < 0;
  }
  return Usage();
}
