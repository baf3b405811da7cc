// notif_bench: a bare seccomp USER_NOTIF round trip, the floor for every trapped call.
//
// A forked child (so the filter never reaches the other benchmarks) starts a responder thread,
// then installs on its main thread only (no TSYNC) a filter that sends getppid to a listener.
// Each operation is one getppid: kernel -> listener -> responder thread -> SEND -> kernel.
#define _GNU_SOURCE
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

static int listener_fd = -1;  // written before the responder reads it (pipe handshake)
static int handshake[2];

// Answers every notification with the value 42 until the listener dies.
static void* Respond(void* arg) {
  (void)arg;
  int fd;
  if (read(handshake[0], &fd, sizeof(fd)) != sizeof(fd)) return NULL;
  struct seccomp_notif req;
  struct seccomp_notif_resp resp;
  for (;;) {
    memset(&req, 0, sizeof(req));
    if (ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0) {
      if (errno == EINTR) continue;
      return NULL;
    }
    memset(&resp, 0, sizeof(resp));
    resp.id = req.id;
    resp.val = 42;
    ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, &resp);
  }
}

// Installs the one-syscall USER_NOTIF filter on the calling thread; returns the listener.
static int InstallFilter(void) {
  struct sock_filter code[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog prog = {.len = sizeof(code) / sizeof(code[0]), .filter = code};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) return -errno;
  int fd = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER,
                        &prog);
  return fd < 0 ? -errno : fd;
}

// Child body: times `iters` trapped calls and writes the result to `out`.
static void NotifChild(uint64_t iters, int out) {
  int64_t result = -EIO;
  pthread_t thread;
  if (pipe(handshake) < 0 || pthread_create(&thread, NULL, Respond, NULL) != 0) {
    result = -errno;
  } else if ((listener_fd = InstallFilter()) < 0) {
    result = listener_fd;
  } else if (write(handshake[1], &listener_fd, sizeof(int)) == sizeof(int)) {
    int64_t start = NowNs();
    for (uint64_t i = 0; i < iters; i++) {
      if (syscall(SYS_getppid) != 42) break;
    }
    result = NowNs() - start;
  }
  if (write(out, &result, sizeof(result)) < 0) _exit(1);
  _exit(0);
}

static int64_t BenchUserNotif(const struct BenchContext* ctx, uint64_t iters) {
  (void)ctx;
  int fds[2];
  if (pipe(fds) < 0) return -errno;
  pid_t pid = fork();
  if (pid < 0) return -errno;
  if (pid == 0) NotifChild(iters, fds[1]);
  close(fds[1]);
  int64_t result = -EIO;
  if (read(fds[0], &result, sizeof(result)) != sizeof(result)) result = -EIO;
  close(fds[0]);
  waitpid(pid, NULL, 0);
  return result;
}

const struct Benchmark kNotifBenchmarks[] = {
    {"seccomp_notif_roundtrip", BenchUserNotif},
    {NULL, NULL},
};
