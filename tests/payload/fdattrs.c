// fdattrs, fsize, badflags: the calls whose answer must not show that host storage is read-only in
// the workload's view (issue 16). One line per step, "<step> <result>" (ok, a value or the errno
// name), so the same program under runc and runsc must print the same lines
// (tests/readonly_view_fd_test.cc).
//   payload fdattrs DIR   attribute changes through fds opened read-only, O_DIRECTORY and O_PATH
//   payload fdperm FILE   the same as a user who does not own FILE (EPERM, as Linux)
//   payload fsize DIR     RLIMIT_FSIZE: truncate beyond it is EFBIG and raises SIGXFSZ
//   payload badflags DIR  invalid flags are EINVAL before any path or pointer is looked at
//   payload fdunlinked DIR   attribute changes through an fd whose file was unlinked
//   payload fdlocked DIR     attribute changes through fds after the caller lost search permission
//   payload fdlockedperm DIR the fdperm steps on DIR/locked/file after locking DIR/locked (mode 0)
//   payload fdlink DIR       linkat(fd, "", ..., AT_EMPTY_PATH) by the opener and by a forked child
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif
#ifndef SYS_setxattrat
#define SYS_setxattrat 463
#endif
#ifndef SYS_removexattrat
#define SYS_removexattrat 466
#endif

static void Step(const char* step, long rc) {
  if (rc >= 0) {
    printf("%s ok\n", step);
  } else {
    const char* name = strerrorname_np(errno);
    printf("%s %s\n", step, name ? name : "EUNKNOWN");
  }
}

// Mode, owner and times of `fd` (fstat works on every fd, O_PATH included).
static void Show(const char* step, int fd) {
  struct stat st;
  if (fstat(fd, &st) != 0) return Step(step, -1);
  printf("%s mode=%04o uid=%u gid=%u nlink=%lu mtime=%lld\n", step, st.st_mode & 07777, st.st_uid, st.st_gid,
         (unsigned long)st.st_nlink, (long long)st.st_mtime);
}

static void ShowXattr(const char* step, const char* path) {
  char value[16] = {0};
  ssize_t n = getxattr(path, "user.runsc", value, sizeof(value) - 1);
  if (n < 0) return Step(step, -1);
  printf("%s value=%s\n", step, value);
}

static int Create(const char* path) {
  int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
  if (fd < 0) return -1;
  ssize_t n = write(fd, "data", 4);
  close(fd);
  return n == 4 ? 0 : -1;
}

// fchmod, fchown, fsetxattr, fremovexattr, futimens, futimesat on `fd`.
static void FdCalls(const char* prefix, int fd, const char* path) {
  char step[64];
  const struct timespec times[2] = {{1000, 0}, {2000, 0}};
  const struct timeval tv[2] = {{3000, 0}, {4000, 0}};
#define STEP(name, call) (snprintf(step, sizeof(step), "%s%s", prefix, name), Step(step, (call)))
  STEP("fchmod", fchmod(fd, 0640));
  STEP("fchown", fchown(fd, 1000, 1001));
  STEP("fsetxattr", fsetxattr(fd, "user.runsc", "v1", 2, 0));
  snprintf(step, sizeof(step), "%sxattr", prefix);
  ShowXattr(step, path);
  STEP("fremovexattr", fremovexattr(fd, "user.runsc"));
  STEP("futimens", futimens(fd, times));
  snprintf(step, sizeof(step), "%safter", prefix);
  Show(step, fd);
  STEP("futimesat", syscall(SYS_futimesat, fd, NULL, tv));
  STEP("futimens_now", futimens(fd, NULL));
#undef STEP
}

int FdAttrs(const char* dir) {
  char file[4096], sub[4096], link[4096];
  snprintf(file, sizeof(file), "%s/file", dir);
  snprintf(sub, sizeof(sub), "%s/sub", dir);
  snprintf(link, sizeof(link), "%s/link", dir);
  Step("create", Create(file));
  Step("mkdir", mkdir(sub, 0755));
  int fd = open(file, O_RDONLY);
  Step("open", fd);
  FdCalls("", fd, file);
  Step("fchmodat2_empty", syscall(SYS_fchmodat2, fd, "", 0600, AT_EMPTY_PATH));
  Step("fchownat_empty", fchownat(fd, "", 0, 0, AT_EMPTY_PATH));
  Step("utimensat_empty", utimensat(fd, "", NULL, AT_EMPTY_PATH));
  struct {
    unsigned long long value;
    unsigned size, flags;
  } xattr_args = {(unsigned long long)(unsigned long)"x", 1, 0};
  Step("setxattrat_empty", syscall(SYS_setxattrat, fd, "", AT_EMPTY_PATH, "user.at", &xattr_args, sizeof(xattr_args)));
  Step("removexattrat_empty", syscall(SYS_removexattrat, fd, "", AT_EMPTY_PATH, "user.at"));
  Step("linkat_empty", linkat(fd, "", AT_FDCWD, link, AT_EMPTY_PATH));
  Show("file", fd);
  int dfd = open(sub, O_RDONLY | O_DIRECTORY);
  Step("open_dir", dfd);
  FdCalls("dir_", dfd, sub);
  Step("dir_fchmod_700", fchmod(dfd, 0700));
  Show("dir", dfd);
  int pfd = open(file, O_PATH);
  Step("open_path", pfd);
  Step("path_fchmod", fchmod(pfd, 0600));
  Step("path_fchown", fchown(pfd, 0, 0));
  Step("path_fsetxattr", fsetxattr(pfd, "user.runsc", "v", 1, 0));
  Step("path_futimens", futimens(pfd, NULL));
  Step("path_fchmodat2_empty", syscall(SYS_fchmodat2, pfd, "", 0604, AT_EMPTY_PATH));
  Step("path_fchownat_empty", fchownat(pfd, "", 7, 7, AT_EMPTY_PATH));
  Show("path", pfd);
  // The fd form takes flags 0 only; a bad fd is EBADF.
  Step("futimens_flags", syscall(SYS_utimensat, fd, NULL, NULL, AT_SYMLINK_NOFOLLOW));
  Step("fchmod_badfd", fchmod(999, 0600));
  return 0;
}

// As a user who does not own `file`: Linux's own refusals.
static void FdPermSteps(int fd) {
  Step("fchmod", fchmod(fd, 0666));
  Step("fchown", fchown(fd, getuid(), -1));
  Step("futimens", futimens(fd, (struct timespec[2]){{1, 0}, {2, 0}}));
  Step("futimens_now", futimens(fd, NULL));  // needs write permission: EACCES
  Step("fsetxattr", fsetxattr(fd, "user.runsc", "v", 1, 0));
  Show("file", fd);
}

int FdPerm(const char* file) {
  int fd = open(file, O_RDONLY);
  Step("open", fd);
  FdPermSteps(fd);
  return 0;
}

static volatile sig_atomic_t xfsz_count;
static void OnXfsz(int sig) {
  (void)sig;
  xfsz_count++;
}

static void StepSig(const char* step, long rc) {
  const char* result = rc >= 0 ? "ok" : strerrorname_np(errno);
  printf("%s %s sigxfsz=%d\n", step, result ? result : "EUNKNOWN", (int)xfsz_count);
}

int FsizeLimit(const char* dir) {
  char file[4096], missing[4096];
  snprintf(file, sizeof(file), "%s/big", dir);
  snprintf(missing, sizeof(missing), "%s/missing", dir);
  Step("create", Create(file));
  signal(SIGXFSZ, OnXfsz);
  struct rlimit limit = {4096, RLIM_INFINITY};
  Step("setrlimit", setrlimit(RLIMIT_FSIZE, &limit));
  StepSig("truncate_beyond", truncate(file, 8192));
  StepSig("truncate_within", truncate(file, 4096));
  StepSig("truncate_missing", truncate(missing, 8192));
  StepSig("truncate_dir", truncate(dir, 8192));
  int fd = open(file, O_WRONLY);
  Step("open_write", fd);
  StepSig("ftruncate_beyond", ftruncate(fd, 8192));
  StepSig("pwrite_beyond", pwrite(fd, "x", 1, 8192));
  struct stat st;
  Step("stat", stat(file, &st));
  printf("size %lld\n", (long long)st.st_size);
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    signal(SIGXFSZ, SIG_DFL);
    truncate(file, 1 << 20);
    _exit(0);
  }
  int status = 0;
  waitpid(child, &status, 0);
  printf("child %s\n", WIFSIGNALED(status) && WTERMSIG(status) == SIGXFSZ ? "killed_by_SIGXFSZ" : "not_killed");
  return 0;
}

// Invalid flags with paths and pointers that are bad too: Linux checks the flags first.
int BadFlags(const char* dir) {
  char file[4096];
  snprintf(file, sizeof(file), "%s/file", dir);
  Step("create", Create(file));
  const char* bad = (const char*)1;  // not mapped
  const struct timeval bad_usec[2] = {{0, -1}, {0, 0}};
  Step("linkat", linkat(AT_FDCWD, bad, AT_FDCWD, bad, 0x80000000));
  Step("linkat_nopath", syscall(SYS_linkat, AT_FDCWD, NULL, AT_FDCWD, NULL, 0x4));
  Step("setxattr", syscall(SYS_setxattr, bad, bad, bad, 1, 0x80));
  Step("setxattr_file", setxattr(file, "user.runsc", "v", 1, 0x80));
  Step("lsetxattr", syscall(SYS_lsetxattr, NULL, NULL, NULL, 0, 4));
  struct {
    unsigned long long value;
    unsigned size, flags;
  } args = {(unsigned long long)(unsigned long)bad, 1, 0};
  Step("setxattrat_atflags", syscall(SYS_setxattrat, AT_FDCWD, bad, 0x1, bad, &args, sizeof(args)));
  Step("removexattrat_atflags", syscall(SYS_removexattrat, AT_FDCWD, bad, 0x1, bad));
  Step("unlinkat", unlinkat(AT_FDCWD, bad, 0x1));
  Step("renameat2", syscall(SYS_renameat2, AT_FDCWD, bad, AT_FDCWD, bad, 0x80));
  Step("renameat2_exchange", syscall(SYS_renameat2, AT_FDCWD, bad, AT_FDCWD, bad, RENAME_EXCHANGE | RENAME_NOREPLACE));
  Step("fchownat", syscall(SYS_fchownat, AT_FDCWD, bad, 0, 0, 0x1));
  Step("fchmodat2", syscall(SYS_fchmodat2, AT_FDCWD, bad, 0600, 0x1));
  Step("utimensat", syscall(SYS_utimensat, AT_FDCWD, bad, NULL, 0x1));
  Step("utimes_usec", syscall(SYS_utimes, bad, bad_usec));
  Step("futimesat_usec", syscall(SYS_futimesat, AT_FDCWD, bad, bad_usec));
  Step("truncate", syscall(SYS_truncate, bad, -1L));
  Step("open_creat_directory", syscall(SYS_open, bad, O_CREAT | O_DIRECTORY | O_WRONLY, 0600));
  Step("openat_tmpfile_rdonly", syscall(SYS_openat, AT_FDCWD, bad, O_TMPFILE | O_RDONLY, 0600));
  Step("openat_tmpfile_nodir", syscall(SYS_openat, AT_FDCWD, bad, (O_TMPFILE & ~O_DIRECTORY) | O_WRONLY, 0600));
  Step("symlink_empty", symlink("", bad));
  Step("rename_empty", rename("", bad));
  Step("link_empty", link("", bad));
  return 0;
}

// The inode of an unlinked file is still there: Linux changes it through the fd.
int FdUnlinked(const char* dir) {
  char file[4096];
  snprintf(file, sizeof(file), "%s/gone", dir);
  Step("create", Create(file));
  int fd = open(file, O_RDONLY);
  Step("open", fd);
  Step("unlink", unlink(file));
  Step("fchmod", fchmod(fd, 0640));
  Step("fchown", fchown(fd, geteuid(), getegid()));
  Step("fsetxattr", fsetxattr(fd, "user.runsc", "v1", 2, 0));
  Step("fremovexattr", fremovexattr(fd, "user.runsc"));
  Step("futimens", futimens(fd, (struct timespec[2]){{1000, 0}, {2000, 0}}));
  Show("file", fd);
  return 0;
}

// fd calls look nothing up: they work after the caller lost search permission on the parent, on a
// directory it may not search (mode 0600) but may write, and on a file it may not read.
int FdLocked(const char* dir) {
  char locked[4096], file[4096];
  snprintf(locked, sizeof(locked), "%s/locked", dir);
  snprintf(file, sizeof(file), "%s/locked/file", dir);
  Step("mkdir", mkdir(locked, 0755));
  Step("create", Create(file));
  int fd = open(file, O_RDONLY);
  Step("open", fd);
  int dfd = open(locked, O_RDONLY | O_DIRECTORY);
  Step("open_dir", dfd);
  Step("lock", fchmod(dfd, 0));
  Step("fchmod", fchmod(fd, 0600));
  Step("fchown", fchown(fd, geteuid(), getegid()));
  Step("fsetxattr", fsetxattr(fd, "user.runsc", "v1", 2, 0));
  Step("fremovexattr", fremovexattr(fd, "user.runsc"));
  Step("futimens", futimens(fd, (struct timespec[2]){{1000, 0}, {2000, 0}}));
  Show("file", fd);
  Step("dir_fchmod", fchmod(dfd, 0600));
  Step("dir_fsetxattr", fsetxattr(dfd, "user.runsc", "v1", 2, 0));
  Step("dir_fremovexattr", fremovexattr(dfd, "user.runsc"));
  Step("dir_futimens", futimens(dfd, (struct timespec[2]){{1000, 0}, {2000, 0}}));
  Show("dir", dfd);
  Step("unlock", fchmod(dfd, 0755));
  // Write permission without read permission: xattrs need only the first.
  Step("write_only", fchmod(fd, 0200));
  Step("write_only_fsetxattr", fsetxattr(fd, "user.runsc", "v1", 2, 0));
  Step("write_only_fremovexattr", fremovexattr(fd, "user.runsc"));
  return 0;
}

// linkat with AT_EMPTY_PATH: Linux (6.10+) lets the task whose credentials opened the fd link it, and
// anyone else only with CAP_DAC_READ_SEARCH (ENOENT otherwise): a forked child has other credentials.
static void LinkOwnAndInherited(const char* step, int fd, const char* dir, const char* name) {
  char own[4096], inherited[4096], child_step[64];
  snprintf(own, sizeof(own), "%s/%s_own", dir, name);
  snprintf(inherited, sizeof(inherited), "%s/%s_inherited", dir, name);
  snprintf(child_step, sizeof(child_step), "%s_inherited", step);
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    Step(child_step, linkat(fd, "", AT_FDCWD, inherited, AT_EMPTY_PATH));
    fflush(stdout);
    _exit(0);
  }
  waitpid(child, NULL, 0);
  snprintf(child_step, sizeof(child_step), "%s_own", step);
  Step(child_step, linkat(fd, "", AT_FDCWD, own, AT_EMPTY_PATH));
}

int FdLink(const char* dir) {
  char file[4096];
  snprintf(file, sizeof(file), "%s/file", dir);
  Step("create", Create(file));
  int fd = open(file, O_RDONLY);
  Step("open", fd);
  LinkOwnAndInherited("link", fd, dir, "link");
  Show("file", fd);
  int tmp = open(dir, O_TMPFILE | O_WRONLY, 0600);
  Step("open_tmpfile", tmp);
  LinkOwnAndInherited("tmpfile_link", tmp, dir, "tmp");
  // open(2)'s own example: the magic link with AT_SYMLINK_FOLLOW needs no capability.
  char magic[64], named[4096];
  snprintf(magic, sizeof(magic), "/proc/self/fd/%d", tmp);
  snprintf(named, sizeof(named), "%s/tmp_magic", dir);
  Step("tmpfile_link_magic", linkat(AT_FDCWD, magic, AT_FDCWD, named, AT_SYMLINK_FOLLOW));
  Show("tmpfile", tmp);
  return 0;
}

// A user who owns DIR/locked but not DIR/locked/file: after locking the directory, the fd calls
// still get Linux's refusals, not more (the broker finds the file with its own credentials).
int FdLockedPerm(const char* dir) {
  char locked[4096], file[4096];
  snprintf(locked, sizeof(locked), "%s/locked", dir);
  snprintf(file, sizeof(file), "%s/locked/file", dir);
  int fd = open(file, O_RDONLY);
  Step("open", fd);
  int dfd = open(locked, O_RDONLY | O_DIRECTORY);
  Step("lock", fchmod(dfd, 0));
  FdPermSteps(fd);
  Step("trusted_fsetxattr", fsetxattr(fd, "trusted.runsc", "v", 1, 0));
  Step("unlock", fchmod(dfd, 0755));
  return 0;
}
