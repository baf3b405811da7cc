// probe.c: shared helpers of the security battery's probes.
#include "probe.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

void Report(const char* name, const char* klass, bool reached,
            const char* detail, ...) {
  char text[512];
  va_list ap;
  va_start(ap, detail);
  vsnprintf(text, sizeof(text), detail, ap);
  va_end(ap);
  // One line per probe, whatever the detail holds.
  for (char* c = text; *c; c++) {
    if (*c == '\n' || *c == '\r' || *c == '|') *c = ' ';
  }
  printf("PROBE %s %s %s %s\n", name, klass, reached ? "REACHED" : "BLOCKED",
         text);
  fflush(stdout);
}

const char* ErrnoName(int err) {
  static const struct {
    int err;
    const char* name;
  } kNames[] = {
      {EPERM, "EPERM"},
      {ENOENT, "ENOENT"},
      {EINTR, "EINTR"},
      {EIO, "EIO"},
      {ENXIO, "ENXIO"},
      {E2BIG, "E2BIG"},
      {ENOEXEC, "ENOEXEC"},
      {EBADF, "EBADF"},
      {EAGAIN, "EAGAIN"},
      {ENOMEM, "ENOMEM"},
      {EACCES, "EACCES"},
      {EFAULT, "EFAULT"},
      {EBUSY, "EBUSY"},
      {EEXIST, "EEXIST"},
      {ENODEV, "ENODEV"},
      {ENOTDIR, "ENOTDIR"},
      {EINVAL, "EINVAL"},
      {EMFILE, "EMFILE"},
      {ENOTTY, "ENOTTY"},
      {ETXTBSY, "ETXTBSY"},
      {EROFS, "EROFS"},
      {ENOSYS, "ENOSYS"},
      {EOPNOTSUPP, "EOPNOTSUPP"},
      {EAFNOSUPPORT, "EAFNOSUPPORT"},
      {EPROTONOSUPPORT, "EPROTONOSUPPORT"},
      {ESOCKTNOSUPPORT, "ESOCKTNOSUPPORT"},
      {ENOKEY, "ENOKEY"},
      {ESRCH, "ESRCH"},
      {ECHILD, "ECHILD"},
      {ENOSPC, "ENOSPC"},
      {EXDEV, "EXDEV"},
  };
  static char other[16];
  for (unsigned i = 0; i < sizeof(kNames) / sizeof(kNames[0]); i++) {
    if (kNames[i].err == err) return kNames[i].name;
  }
  snprintf(other, sizeof(other), "errno%d", err);
  return other;
}

long Outcome(long ret) { return ret < 0 ? -errno : ret; }

bool IsRefusal(int err) {
  return err == EPERM || err == EACCES || err == ENOSYS;
}

void ReportInvalidArgs(const char* name, const char* klass, long ret) {
  if (ret >= 0) {
    Report(name, klass, true, "succeeded (returned %ld)", ret);
  } else {
    Report(name, klass, !IsRefusal((int)-ret),
           "%s (invalid arguments: anything but EPERM/EACCES/ENOSYS means the "
           "kernel looked at them)",
           ErrnoName((int)-ret));
  }
}

void ReportSuccess(const char* name, const char* klass, long ret) {
  if (ret >= 0) {
    Report(name, klass, true, "succeeded");
  } else {
    Report(name, klass, false, "%s", ErrnoName((int)-ret));
  }
}

const char* Arg(int argc, char** argv, const char* key, const char* fallback) {
  size_t len = strlen(key);
  for (int i = 1; i < argc; i++) {
    if (strncmp(argv[i], key, len) == 0 && argv[i][len] == '=')
      return argv[i] + len + 1;
  }
  return fallback;
}

long ReadSmallFile(const char* path, char* buf, unsigned long size) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -errno;
  unsigned long got = 0;
  while (got + 1 < size) {
    ssize_t n = read(fd, buf + got, size - 1 - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      close(fd);
      return -err;
    }
    if (n == 0) break;
    got += (unsigned long)n;
  }
  buf[got] = '\0';
  close(fd);
  return (long)got;
}

int InChild(int (*fn)(void*), void* arg) {
  fflush(stdout);
  pid_t pid = fork();
  if (pid < 0) return 127;
  if (pid == 0) _exit(fn(arg));
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
