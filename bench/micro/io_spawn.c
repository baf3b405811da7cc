// io_spawn: the macro helpers run inside containers: file throughput and timed child commands.
#define _GNU_SOURCE
#include "io_spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

enum { kChunk = 1 << 20 };

// Writes `mib` MiB in 1 MiB writes and fsyncs; returns ns or -errno.
static int64_t TimeWrite(const char* path, int mib, char* buf) {
  memset(buf, 'w', kChunk);
  int64_t start = NowNs();
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return -errno;
  for (int i = 0; i < mib; i++) {
    if (write(fd, buf, kChunk) != kChunk) return -EIO;
  }
  if (fsync(fd) < 0) return -errno;
  close(fd);
  return NowNs() - start;
}

// Reads the whole file in 1 MiB reads; returns ns or -errno.
static int64_t TimeRead(const char* path, char* buf) {
  int64_t start = NowNs();
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -errno;
  ssize_t n;
  while ((n = read(fd, buf, kChunk)) > 0) {
  }
  close(fd);
  return n < 0 ? -errno : NowNs() - start;
}

int RunIo(const char* label, const char* path, int mib) {
  char* buf = malloc(kChunk);
  if (!buf) return 1;
  int64_t w = TimeWrite(path, mib, buf);
  int64_t r = w < 0 ? w : TimeRead(path, buf);
  unlink(path);
  free(buf);
  if (w < 0 || r < 0) {
    printf("skip\t%s\t%s\n", label, strerror((int)-(w < 0 ? w : r)));
    return 1;
  }
  printf("io\t%s_write\t%.1f\n", label, mib / ((double)w / 1e9));
  printf("io\t%s_read\t%.1f\n", label, mib / ((double)r / 1e9));
  return 0;
}

int RunSpawn(const char* label, int count, char* const argv[]) {
  for (int i = 0; i < count; i++) {
    int64_t start = NowNs();
    pid_t pid = fork();
    if (pid < 0) return 1;
    if (pid == 0) {
      execvp(argv[0], argv);
      _exit(127);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    int64_t ns = NowNs() - start;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      printf("skip\t%s\texit status %d\n", label, status);
      return 1;
    }
    printf("spawn\t%s\t%.3f\n", label, (double)ns / 1e6);
    fflush(stdout);
  }
  return 0;
}
