// filesystem.c: the `filesystem` class — can the workload write where it was
// not granted, open what is masked, use device nodes it makes, or hold host
// fds?
//   probe-filesystem host-dir=DIR token=T ro-dir=/mnt/ro
// DIR is a host directory outside the container that holds a file `token` with
// T in it; /mnt/ro is a read-only bind of the container. Writes only ever
// create small marker files there.
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "probe.h"

#define KLASS "filesystem"

static const char* g_host_dir;
static const char* g_token;

// True if `dir`/token holds the token: `dir` is then the host directory itself.
static bool IsHostDir(const char* dir) {
  char path[PATH_MAX], buf[128];
  snprintf(path, sizeof(path), "%s/token", dir);
  return ReadSmallFile(path, buf, sizeof(buf)) > 0 &&
         strncmp(buf, g_token, strlen(g_token)) == 0;
}

// Creates `dir`/escaped-marker if `dir` is the host directory; 0 on success,
// else an errno.
static int WriteMarker(const char* dir) {
  if (!IsHostDir(dir)) return ENOENT;
  char path[PATH_MAX];
  snprintf(path, sizeof(path), "%s/escaped-marker", dir);
  int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return errno;
  close(fd);
  return 0;
}

// In a child: the host directory by its host path, then by the classic chroot
// escape (chroot into a subdirectory, climb with "..", chroot "."), then
// through /proc/1/root.
static int EscapeAndWrite(void* unused) {
  (void)unused;
  if (WriteMarker(g_host_dir) == 0) return 1;
  char proc_path[PATH_MAX];
  snprintf(proc_path, sizeof(proc_path), "/proc/1/root%s", g_host_dir);
  if (WriteMarker(proc_path) == 0) return 3;
  mkdir("/tmp/probe-chroot", 0700);
  if (chroot("/tmp/probe-chroot") != 0) return 10;
  for (int i = 0; i < 64; i++) {
    if (chdir("..") != 0) break;
  }
  if (chroot(".") != 0) return 11;
  if (WriteMarker(g_host_dir) == 0) return 2;
  return 0;
}

// Writes outside granted mounts: a marker in a host directory no mount grants.
static void ProbeWriteOutside(void) {
  static const char* kHow[] = {"not written", "by its host path",
                               "by a chroot escape", "through /proc/1/root"};
  int rc = InChild(EscapeAndWrite, NULL);
  rmdir("/tmp/probe-chroot");
  if (rc >= 1 && rc <= 3) {
    Report("write_outside_mounts", KLASS, true,
           "wrote a marker in the host directory %s", kHow[rc]);
  } else {
    Report("write_outside_mounts", KLASS, false,
           "host directory not found by its path, a chroot escape or "
           "/proc/1/root (%d)",
           rc);
  }
}

// Writes to the read-only bind: directly, then after remounting it read-write.
static void ProbeWriteReadonlyBind(const char* ro_dir) {
  char path[PATH_MAX];
  snprintf(path, sizeof(path), "%s/probe-marker", ro_dir);
  int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd >= 0) {
    close(fd);
    Report("write_readonly_bind", KLASS, true, "created a file in %s", ro_dir);
    return;
  }
  int first = errno;
  long remount = Outcome(mount(NULL, ro_dir, NULL, MS_REMOUNT | MS_BIND, NULL));
  fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd >= 0) {
    close(fd);
    Report("write_readonly_bind", KLASS, true,
           "%s, then remounted it read-write and wrote", ErrnoName(first));
    return;
  }
  Report("write_readonly_bind", KLASS, false, "open: %s; remount rw: %s",
         ErrnoName(first),
         remount == 0 ? "ok but still read-only" : ErrnoName((int)-remount));
}

// Masked paths: REACHED if any of them gives bytes (the first that does is
// named).
static void ProbeMaskedPaths(void) {
  static const char* kPaths[] = {"/proc/kcore", "/proc/timer_list",
                                 "/proc/sched_debug", "/proc/keys",
                                 "/proc/latency_stats"};
  char buf[64], seen[256] = "";
  for (unsigned i = 0; i < sizeof(kPaths) / sizeof(kPaths[0]); i++) {
    long got = ReadSmallFile(kPaths[i], buf, sizeof(buf));
    if (got > 0) {
      Report("masked_paths", KLASS, true, "%s read %ld bytes", kPaths[i], got);
      return;
    }
    size_t used = strlen(seen);
    snprintf(seen + used, sizeof(seen) - used, "%s%s %s", used ? ", " : "",
             kPaths[i], got == 0 ? "empty" : ErrnoName((int)-got));
  }
  Report("masked_paths", KLASS, false, "%s", seen);
}

// /proc/sys opened for writing (never written): REACHED if the open succeeds.
static void ProbeProcSysWritable(void) {
  long fd = Outcome(open("/proc/sys/kernel/domainname", O_WRONLY | O_CLOEXEC));
  if (fd >= 0) close((int)fd);
  ReportSuccess("proc_sys_writable", KLASS, fd);
}

// mknod of block 7:0 (loop0) in its own /tmp and an O_RDONLY open of it:
// REACHED if the open succeeds. Never written, never configured; removed
// afterwards.
static void ProbeMknodBlock(void) {
  const char* path = "/tmp/probe-loop0";
  unlink(path);
  if (mknod(path, S_IFBLK | 0600, makedev(7, 0)) != 0) {
    Report("mknod_block_open", KLASS, false, "mknod b 7:0: %s",
           ErrnoName(errno));
    return;
  }
  long fd = Outcome(open(path, O_RDONLY | O_CLOEXEC));
  if (fd >= 0) close((int)fd);
  unlink(path);
  if (fd >= 0) {
    Report("mknod_block_open", KLASS, true,
           "mknod b 7:0 and opened it read-only");
  } else {
    Report("mknod_block_open", KLASS, false, "mknod b 7:0 made; open: %s",
           ErrnoName((int)-fd));
  }
}

// Leaked fds: any open fd above 2 other than the directory being listed.
static void ProbeLeakedFds(void) {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == NULL) {
    Report("leaked_fds", KLASS, false, "/proc/self/fd: %s", ErrnoName(errno));
    return;
  }
  char found[384] = "";
  int count = 0;
  for (struct dirent* e; (e = readdir(dir)) != NULL;) {
    int fd = atoi(e->d_name);
    if (e->d_name[0] == '.' || fd <= 2 || fd == dirfd(dir)) continue;
    char link[64], target[128] = "?";
    snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, target, sizeof(target) - 1);
    if (n >= 0) target[n] = '\0';
    size_t used = strlen(found);
    snprintf(found + used, sizeof(found) - used, " %d->%s", fd, target);
    count++;
  }
  closedir(dir);
  Report("leaked_fds", KLASS, count > 0, "%d fds above 2 it did not open%s",
         count, found);
}

// /proc/self/exe opened for writing (never written).
static void ProbeSelfExe(void) {
  long fd = Outcome(open("/proc/self/exe", O_WRONLY | O_CLOEXEC));
  if (fd >= 0) close((int)fd);
  ReportSuccess("proc_self_exe_write", KLASS, fd);
}

int main(int argc, char** argv) {
  g_host_dir = Arg(argc, argv, "host-dir", "/nonexistent");
  g_token = Arg(argc, argv, "token", "no-token");
  ProbeLeakedFds();  // First: before this program opens anything.
  ProbeWriteOutside();
  ProbeWriteReadonlyBind(Arg(argc, argv, "ro-dir", "/mnt/ro"));
  ProbeMaskedPaths();
  ProbeProcSysWritable();
  ProbeMknodBlock();
  ProbeSelfExe();
  return 0;
}
