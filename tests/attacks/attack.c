// attack: a static multi-call program the attack suite (tests/attacks/) copies
// into a container's rootfs as /bin/attack. Each command tries one operation
// and prints "LABEL ok" or "LABEL ERRNO" (one line per step); it exits 0 unless
// its arguments are wrong, so the test reads the outcome from the output and,
// above all, from the host.
//
//   attack open LABEL PATH FLAGS [write]   open with FLAGS
//   (rdonly,wronly,rdwr,trunc,creat,
//                                           nonblock); with `write`, write 4096
//                                           'X' at 0 and fsync.
//   attack mknod LABEL PATH b|c MAJOR MINOR
//   attack symlink LABEL TARGET LINK
//   attack truncate LABEL PATH LENGTH
//   attack rename LABEL OLD NEW
//   attack chmod LABEL PATH OCTAL_MODE
//   attack mkdir LABEL PATH
//   attack unlink LABEL PATH
//   attack sameattrs LABEL PATH             stat PATH, print its dev/ino, then
//   set the SAME owner,
//                                           mode and times again (no-op changes
//                                           that move ctime).
//   attack unshare LABEL                    unshare(CLONE_NEWUSER).
//   attack openat2 LABEL PATH FLAGS MODE RESOLVE   raw openat2; numbers in any
//   C base. attack fifoblock LABEL FIFO WRITERS PROBE_DIR  WRITERS threads open
//   FIFO O_WRONLY (no reader,
//                                           so they block); then mkdir
//                                           PROBE_DIR must finish within 5 s;
//                                           finally a reader releases the
//                                           writers.
//   attack pidsburst LABEL DIR THREADS ROUNDS  start up to THREADS threads
//                                           (LABEL.threads N refused=ERRNO),
//                                           then each makes and removes
//                                           DIR/LABEL.<i> ROUNDS times at once:
//                                           LABEL.calls ok=A eagain=B other=C;
//                                           then mkdir DIR/LABEL.after.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#ifndef SYS_openat2
#define SYS_openat2 437
#endif

struct OpenHow {
  uint64_t flags;
  uint64_t mode;
  uint64_t resolve;
};

static const char* ErrnoName(int err) {
  switch (err) {
    case EPERM:
      return "EPERM";
    case ENOENT:
      return "ENOENT";
    case EACCES:
      return "EACCES";
    case EEXIST:
      return "EEXIST";
    case EINVAL:
      return "EINVAL";
    case EROFS:
      return "EROFS";
    case ENXIO:
      return "ENXIO";
    case ENODEV:
      return "ENODEV";
    case ENOSYS:
      return "ENOSYS";
    case EIO:
      return "EIO";
    case EXDEV:
      return "EXDEV";
    case EBUSY:
      return "EBUSY";
    case ENOTDIR:
      return "ENOTDIR";
    case EISDIR:
      return "EISDIR";
    case ELOOP:
      return "ELOOP";
    case EAGAIN:
      return "EAGAIN";
    default:
      return "EOTHER";
  }
}

// Prints "LABEL ok" if `rc` is not -1, else "LABEL ERRNO"; returns rc.
static long Report(const char* label, long rc) {
  if (rc == -1) {
    printf("%s %s\n", label, ErrnoName(errno));
  } else {
    printf("%s ok\n", label);
  }
  fflush(stdout);
  return rc;
}

static int ParseOpenFlags(const char* spec) {
  static const struct {
    const char* name;
    int flag;
  } kFlags[] = {{"rdonly", O_RDONLY}, {"wronly", O_WRONLY},
                {"rdwr", O_RDWR},     {"trunc", O_TRUNC},
                {"creat", O_CREAT},   {"nonblock", O_NONBLOCK},
                {"append", O_APPEND}};
  int flags = 0;
  char copy[256];
  snprintf(copy, sizeof(copy), "%s", spec);
  for (char *save = NULL, *name = strtok_r(copy, ",", &save); name;
       name = strtok_r(NULL, ",", &save)) {
    for (size_t i = 0; i < sizeof(kFlags) / sizeof(kFlags[0]); i++) {
      if (!strcmp(name, kFlags[i].name)) flags |= kFlags[i].flag;
    }
  }
  return flags;
}

// Writes 4096 'X' at offset 0 of `fd` and syncs it.
static void WriteMarker(const char* label, int fd) {
  char buf[4096];
  char step[128];
  memset(buf, 'X', sizeof(buf));
  snprintf(step, sizeof(step), "%s.write", label);
  long n = pwrite(fd, buf, sizeof(buf), 0);
  if (n >= 0 && n != (long)sizeof(buf)) errno = EIO, n = -1;
  Report(step, n);
  snprintf(step, sizeof(step), "%s.fsync", label);
  Report(step, fsync(fd));
}

static int Open(const char* label, const char* path, const char* flags,
                int write_too) {
  int fd = (int)Report(label, open(path, ParseOpenFlags(flags), 0644));
  if (fd >= 0 && write_too) WriteMarker(label, fd);
  return 0;
}

static int Mknod(const char* label, const char* path, const char* type,
                 const char* major, const char* minor) {
  mode_t kind = type[0] == 'b' ? S_IFBLK : S_IFCHR;
  dev_t dev = makedev(strtoul(major, NULL, 0), strtoul(minor, NULL, 0));
  Report(label, mknod(path, kind | 0666, dev));
  return 0;
}

// Sets the owner, mode and times PATH already has: nothing changes but the
// inode's ctime.
static int SameAttrs(const char* label, const char* path) {
  struct stat st;
  char step[128];
  snprintf(step, sizeof(step), "%s.stat", label);
  if (Report(step, stat(path, &st)) == -1) return 0;
  printf("%s.inode dev=%llu ino=%llu\n", label, (unsigned long long)st.st_dev,
         (unsigned long long)st.st_ino);
  snprintf(step, sizeof(step), "%s.chown", label);
  Report(step, chown(path, st.st_uid, st.st_gid));
  snprintf(step, sizeof(step), "%s.chmod", label);
  Report(step, chmod(path, st.st_mode & 07777));
  struct timespec times[2] = {st.st_atim, st.st_mtim};
  snprintf(step, sizeof(step), "%s.utime", label);
  Report(step, utimensat(AT_FDCWD, path, times, 0));
  return 0;
}

static int OpenAt2(const char* label, const char* path, const char* flags,
                   const char* mode, const char* resolve) {
  struct OpenHow how = {strtoull(flags, NULL, 0), strtoull(mode, NULL, 0),
                        strtoull(resolve, NULL, 0)};
  Report(label, syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof(how)));
  return 0;
}

static const char* fifo_path;
static const char* probe_dir;
static atomic_int writers_done;
static atomic_int probe_done;
static atomic_int probe_errno;

static void* FifoWriter(void* unused) {
  (void)unused;
  open(fifo_path, O_WRONLY);  // blocks until a reader opens the fifo
  atomic_fetch_add(&writers_done, 1);
  return NULL;
}

static void* Probe(void* unused) {
  (void)unused;
  atomic_store(&probe_errno, mkdir(probe_dir, 0755) == 0 ? 0 : errno);
  atomic_store(&probe_done, 1);
  return NULL;
}

// Polls `flag` every 10 ms for up to `ms`; returns its last value.
static int WaitFlag(atomic_int* flag, int at_least, int ms) {
  struct timespec tick = {0, 10 * 1000 * 1000};
  for (int waited = 0; waited < ms && atomic_load(flag) < at_least;
       waited += 10)
    nanosleep(&tick, NULL);
  return atomic_load(flag) >= at_least;
}

static int FifoBlock(const char* label, const char* fifo, int writers,
                     const char* probe) {
  pthread_t thread;
  fifo_path = fifo;
  probe_dir = probe;
  for (int i = 0; i < writers; i++)
    pthread_create(&thread, NULL, FifoWriter, NULL);
  struct timespec settle = {0, 500 * 1000 * 1000};
  nanosleep(&settle, NULL);
  printf("%s.blocked %d\n", label, writers - atomic_load(&writers_done));
  pthread_create(&thread, NULL, Probe, NULL);
  if (!WaitFlag(&probe_done, 1, 5000)) {
    printf("%s.mkdir stalled\n", label);
  } else {
    errno = atomic_load(&probe_errno);
    char step[128];
    snprintf(step, sizeof(step), "%s.mkdir", label);
    Report(step, errno ? -1 : 0);
  }
  int reader =
      open(fifo, O_RDONLY | O_NONBLOCK);  // releases every blocked writer
  WaitFlag(&writers_done, writers, 5000);
  printf("%s.released %d reader=%s\n", label, atomic_load(&writers_done),
         reader >= 0 ? "ok" : "failed");
  fflush(stdout);
  _exit(0);
}

static const char* burst_dir;
static const char* burst_label;
static int burst_rounds;
static atomic_int burst_go, burst_ok, burst_eagain, burst_other,
    burst_other_errno;

static void* BurstWorker(void* arg) {
  struct timespec tick = {0, 1000 * 1000};
  while (!atomic_load(&burst_go)) nanosleep(&tick, NULL);
  char path[256];
  snprintf(path, sizeof(path), "%s/%s.%ld", burst_dir, burst_label,
           (long)(intptr_t)arg);
  for (int i = 0; i < burst_rounds; i++) {
    int made = mkdir(path, 0755) == 0 ? 0 : errno;
    if (!made && rmdir(path) != 0) made = errno;
    if (made == 0) {
      atomic_fetch_add(&burst_ok, 1);
    } else if (made == EAGAIN) {
      atomic_fetch_add(&burst_eagain, 1);
    } else {
      atomic_store(&burst_other_errno, made);
      atomic_fetch_add(&burst_other, 1);
    }
  }
  return NULL;
}

// Fills the pids cgroup with threads (up to `max`), then makes them all
// broker at once, so that the sandbox would need more threads than are left.
static int PidsBurst(const char* label, const char* dir, int max, int rounds) {
  static pthread_t threads[1024];
  burst_dir = dir;
  burst_label = label;
  burst_rounds = rounds;
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 64 * 1024);
  int started = 0, refused = 0;
  while (started < max && started < 1024) {
    refused = pthread_create(&threads[started], &attr, BurstWorker,
                             (void*)(intptr_t)started);
    if (refused) break;
    started++;
  }
  printf("%s.threads %d refused=%s\n", label, started,
         refused ? ErrnoName(refused) : "none");
  atomic_store(&burst_go, 1);
  for (int i = 0; i < started; i++) pthread_join(threads[i], NULL);
  printf("%s.calls ok=%d eagain=%d other=%d (%s)\n", label,
         atomic_load(&burst_ok), atomic_load(&burst_eagain),
         atomic_load(&burst_other),
         ErrnoName(atomic_load(&burst_other_errno)));
  char after[256];
  snprintf(after, sizeof(after), "%s/%s.after", dir, label);
  char step[128];
  snprintf(step, sizeof(step), "%s.after", label);
  Report(step, mkdir(after, 0755));
  fflush(stdout);
  return 0;
}

static int Usage(void) {
  fprintf(stderr,
          "usage: attack "
          "open|mknod|symlink|truncate|rename|chmod|mkdir|unlink|sameattrs|"
          "unshare|openat2|fifoblock|pidsburst LABEL ARGS...\n");
  return 2;
}

int main(int argc, char** argv) {
  if (argc < 3) return Usage();
  const char* cmd = argv[1];
  const char* label = argv[2];
  char** a = argv + 3;
  int n = argc - 3;
  if (!strcmp(cmd, "open") && n >= 2)
    return Open(label, a[0], a[1], n > 2 && !strcmp(a[2], "write"));
  if (!strcmp(cmd, "mknod") && n == 4)
    return Mknod(label, a[0], a[1], a[2], a[3]);
  if (!strcmp(cmd, "symlink") && n == 2)
    return Report(label, symlink(a[0], a[1])), 0;
  if (!strcmp(cmd, "truncate") && n == 2)
    return Report(label, truncate(a[0], atoll(a[1]))), 0;
  if (!strcmp(cmd, "rename") && n == 2)
    return Report(label, rename(a[0], a[1])), 0;
  if (!strcmp(cmd, "chmod") && n == 2)
    return Report(label, chmod(a[0], strtoul(a[1], NULL, 8))), 0;
  if (!strcmp(cmd, "mkdir") && n == 1)
    return Report(label, mkdir(a[0], 0755)), 0;
  if (!strcmp(cmd, "unlink") && n == 1) return Report(label, unlink(a[0])), 0;
  if (!strcmp(cmd, "sameattrs") && n == 1) return SameAttrs(label, a[0]);
  if (!strcmp(cmd, "unshare") && n == 0)
    return Report(label, unshare(CLONE_NEWUSER)), 0;
  if (!strcmp(cmd, "openat2") && n == 4)
    return OpenAt2(label, a[0], a[1], a[2], a[3]);
  if (!strcmp(cmd, "fifoblock") && n == 3)
    return FifoBlock(label, a[0], atoi(a[1]), a[2]);
  if (!strcmp(cmd, "pidsburst") && n == 3)
    return PidsBurst(label, a[0], atoi(a[1]), atoi(a[2]));
  return Usage();
}
