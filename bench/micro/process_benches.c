// process_benches: operations that involve a second process (scheduling included).
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

// One round trip: a byte to a child over one pipe and back over another.
static int64_t BenchPipePingPong(const struct BenchContext* ctx, uint64_t iters) {
  (void)ctx;
  int to_child[2], to_parent[2];
  if (pipe2(to_child, O_CLOEXEC) < 0) return -errno;
  if (pipe2(to_parent, O_CLOEXEC) < 0) return -errno;
  pid_t pid = fork();
  if (pid < 0) return -errno;
  char c = 0;
  if (pid == 0) {
    close(to_child[1]);
    close(to_parent[0]);
    while (read(to_child[0], &c, 1) == 1) {
      if (write(to_parent[1], &c, 1) != 1) break;
    }
    _exit(0);
  }
  int64_t start = NowNs();
  for (uint64_t i = 0; i < iters; i++) {
    if (write(to_child[1], &c, 1) != 1 || read(to_parent[0], &c, 1) != 1) break;
  }
  int64_t elapsed = NowNs() - start;
  close(to_child[1]);
  waitpid(pid, NULL, 0);
  close(to_child[0]);
  close(to_parent[0]);
  close(to_parent[1]);
  return elapsed;
}

static int64_t BenchForkExitWait(const struct BenchContext* ctx, uint64_t iters) {
  (void)ctx;
  int64_t start = NowNs();
  for (uint64_t i = 0; i < iters; i++) {
    pid_t pid = fork();
    if (pid < 0) return -errno;
    if (pid == 0) _exit(0);
    waitpid(pid, NULL, 0);
  }
  return NowNs() - start;
}

static int64_t BenchForkExec(const struct BenchContext* ctx, uint64_t iters) {
  char* const argv[] = {(char*)"true", NULL};
  char* const envp[] = {NULL};
  int64_t start = NowNs();
  for (uint64_t i = 0; i < iters; i++) {
    pid_t pid = fork();
    if (pid < 0) return -errno;
    if (pid == 0) {
      execve(ctx->true_path, argv, envp);
      _exit(127);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return -ENOEXEC;
  }
  return NowNs() - start;
}

const struct Benchmark kProcessBenchmarks[] = {
    {"pipe_pingpong", BenchPipePingPong},
    {"fork_exit_wait", BenchForkExitWait},
    {"fork_exec_true", BenchForkExec},
    {NULL, NULL},
};
