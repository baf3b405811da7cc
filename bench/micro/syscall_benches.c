// syscall_benches: one system call (or a short fixed sequence) per operation, in one thread.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "harness.h"

// Name of the read-only file the open/stat/pread rows use, inside ctx->dir.
static void RoFilePath(const struct BenchContext* ctx, char* out) {
  snprintf(out, PATH_MAX, "%s/runsc-bench-ro", ctx->dir);
}

// Makes the 1 MiB read-only file (idempotent); returns an open fd or -errno.
static int OpenRoFile(const struct BenchContext* ctx) {
  char path[PATH_MAX];
  RoFilePath(ctx, path);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd >= 0) return fd;
  fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return -errno;
  static char block[4096];
  memset(block, 'x', sizeof(block));
  for (int i = 0; i < 256; i++) {
    if (write(fd, block, sizeof(block)) != (ssize_t)sizeof(block)) {
      close(fd);
      return -EIO;
    }
  }
  return fd;
}

static int64_t BenchGetpid(const struct BenchContext* ctx, uint64_t iters) {
  (void)ctx;
  int64_t start = NowNs();
  for (uint64_t i = 0; i < iters; i++) syscall(SYS_getpid);  // not glibc's cached getpid
  return NowNs() - start;
}

static int64_t BenchUname(const struct BenchContext* ctx, uint64_t iters) {
  (void)ctx;
  struct utsname buf;
  int64_t start = NowNs();
  for (uint64_t i = 0; i < iters; i++) uname(&buf);
  return NowNs() - start;
}

// keyctl with an invalid operation: harmless everywhere (EOPNOTSUPP natively); the sentry's
// filter denies keyctl outright in BPF (ERRNO), so this is the cost of a denied call.
static int64_t BenchDenied(const struct BenchContext* ctx, uint64_t iters) {
  (void)ctx;
  int64_t start = NowNs();
  for (uint64_t i = 0; i < iters; i++) syscall(SYS_keyctl, -1, 0, 0, 0, 0);
  return NowNs() - start;
}

static int64_t BenchOpenClose(const struct BenchContext* ctx, uint64_t iters) {
  char path[PATH_MAX];
  RoFilePath(ctx, path);
  int fd = OpenRoFile(ctx);
  if (fd < 0) return fd;
  close(fd);
  int64_t start = NowNs();
  for (uint64_t i = 0; i < iters; i++) close(open(path, O_RDONLY | O_CLOEXEC));
  return NowNs() - start;
}

static int64_t BenchStat(const struct BenchContext* ctx, uint64_t iters) {
  char path[PATH_MAX];
  RoFilePath(ctx, path);
  int fd = OpenRoFile(ctx);
  if (fd < 0) return fd;
  close(fd);
  struct stat st;
  int64_t start = NowNs();
  for (uint64_t i = 0; i < iters; i++) stat(path, &st);
  return NowNs() - start;
}

// Creates `iters` new files with 4 KiB each; unlinking them afterwards is not timed.
static int64_t BenchCreateWrite(const struct BenchContext* ctx, uint64_t iters) {
  static char block[4096];
  char path[PATH_MAX];
  int64_t elapsed = 0;
  for (uint64_t done = 0; done < iters;) {
    uint64_t batch = iters - done < 1000 ? iters - done : 1000;
    int64_t start = NowNs();
    for (uint64_t i = 0; i < batch; i++) {
      snprintf(path, sizeof(path), "%s/runsc-bench-new.%llu", ctx->dir, (unsigned long long)i);
      int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
      if (fd < 0) return -errno;
      if (write(fd, block, sizeof(block)) < 0) return -errno;
      close(fd);
    }
    elapsed += NowNs() - start;
    for (uint64_t i = 0; i < batch; i++) {
      snprintf(path, sizeof(path), "%s/runsc-bench-new.%llu", ctx->dir, (unsigned long long)i);
      unlink(path);
    }
    done += batch;
  }
  return elapsed;
}

static int64_t BenchMkdirRmdir(const struct BenchContext* ctx, uint64_t iters) {
  char path[PATH_MAX];
  snprintf(path, sizeof(path), "%s/runsc-bench-dir", ctx->dir);
  rmdir(path);
  int64_t start = NowNs();
  for (uint64_t i = 0; i < iters; i++) {
    if (mkdir(path, 0755) < 0) return -errno;
    rmdir(path);
  }
  return NowNs() - start;
}

// One rename per operation, back and forth between two names.
static int64_t BenchRename(const struct BenchContext* ctx, uint64_t iters) {
  char a[PATH_MAX], b[PATH_MAX];
  snprintf(a, sizeof(a), "%s/runsc-bench-a", ctx->dir);
  snprintf(b, sizeof(b), "%s/runsc-bench-b", ctx->dir);
  unlink(b);
  int fd = open(a, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return -errno;
  close(fd);
  int64_t start = NowNs();
  for (uint64_t i = 0; i < iters; i++) {
    if (rename(i % 2 ? b : a, i % 2 ? a : b) < 0) return -errno;
  }
  int64_t elapsed = NowNs() - start;
  unlink(a);
  unlink(b);
  return elapsed;
}

// 64 KiB anonymous private mapping, not touched.
static int64_t BenchMmap(const struct BenchContext* ctx, uint64_t iters) {
  (void)ctx;
  int64_t start = NowNs();
  for (uint64_t i = 0; i < iters; i++) {
    void* p = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return -errno;
    munmap(p, 65536);
  }
  return NowNs() - start;
}

// 4 KiB pread from a 1 MiB file in the page cache, walking the file.
static int64_t BenchPread(const struct BenchContext* ctx, uint64_t iters) {
  int fd = OpenRoFile(ctx);
  if (fd < 0) return fd;
  static char buf[4096];
  int64_t start = NowNs();
  for (uint64_t i = 0; i < iters; i++) {
    if (pread(fd, buf, sizeof(buf), (off_t)(i % 256) * 4096) < 0) return -errno;
  }
  int64_t elapsed = NowNs() - start;
  close(fd);
  return elapsed;
}

// 64 bytes sent on one end of an AF_UNIX stream socketpair and received on the other.
static int64_t BenchSocketpair(const struct BenchContext* ctx, uint64_t iters) {
  (void)ctx;
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) return -errno;
  char buf[64] = {0};
  int64_t start = NowNs();
  for (uint64_t i = 0; i < iters; i++) {
    send(sv[0], buf, sizeof(buf), 0);
    recv(sv[1], buf, sizeof(buf), 0);
  }
  int64_t elapsed = NowNs() - start;
  close(sv[0]);
  close(sv[1]);
  return elapsed;
}

const struct Benchmark kSyscallBenchmarks[] = {
    {"getpid", BenchGetpid},
    {"uname", BenchUname},
    {"denied_keyctl", BenchDenied},
    {"open_close_ro", BenchOpenClose},
    {"stat", BenchStat},
    {"create_write_close", BenchCreateWrite},
    {"mkdir_rmdir", BenchMkdirRmdir},
    {"rename", BenchRename},
    {"mmap_munmap", BenchMmap},
    {"pread_4k", BenchPread},
    {"socketpair_send_recv", BenchSocketpair},
    {NULL, NULL},
};
