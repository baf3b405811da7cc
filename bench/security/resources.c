// resources.c: the `resources` class — are processes, memory and fds bounded?
// Each probe stops at a fixed bound (2000 children, 1 GiB, 4096 fds) and cleans
// up; REACHED means the bound was reached without the container's limits
// stopping it.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "probe.h"

#define KLASS "resources"

enum { kForks = 2000, kFds = 4096, kChunkMiB = 16, kMemMiB = 1024 };

// Forks up to kForks children that wait on a pipe; counts them, then releases
// and reaps all.
static void ProbeForkBomb(void) {
  static pid_t pids[kForks];
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return;
  int made = 0, err = 0;
  fflush(stdout);
  for (; made < kForks; made++) {
    pid_t pid = fork();
    if (pid < 0) {
      err = errno;
      break;
    }
    if (pid == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      close(fds[1]);
      char c;
      while (read(fds[0], &c, 1) < 0 && errno == EINTR) {
      }
      _exit(0);
    }
    pids[made] = pid;
  }
  close(fds[1]);
  close(fds[0]);
  for (int i = 0; i < made; i++) kill(pids[i], SIGKILL);
  for (int i = 0; i < made; i++) waitpid(pids[i], NULL, 0);
  Report("fork_bomb", KLASS, made == kForks, "%d of %d forks succeeded%s%s",
         made, kForks, err ? ", then " : "", err ? ErrnoName(err) : "");
}

// In a child (first in line for the OOM killer): touches up to kMemMiB in
// chunks, writing one byte per chunk to `fd`.
static void Allocate(int fd) {
  FILE* adj = fopen("/proc/self/oom_score_adj", "w");
  if (adj) {
    fputs("1000", adj);
    fclose(adj);
  }
  for (int mib = 0; mib < kMemMiB; mib += kChunkMiB) {
    char* p = mmap(NULL, kChunkMiB << 20, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) _exit(2);
    memset(p, 0x5a, kChunkMiB << 20);
    if (write(fd, "x", 1) != 1) _exit(3);
  }
  _exit(0);
}

static void ProbeMemory(void) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return;
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    Allocate(fds[1]);
  }
  close(fds[1]);
  long chunks = 0;
  char buf[64];
  for (ssize_t n; (n = read(fds[0], buf, sizeof(buf))) != 0;) {
    if (n > 0) chunks += n;
    if (n < 0 && errno != EINTR) break;
  }
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  long mib = chunks * kChunkMiB;
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    Report("memory", KLASS, mib >= kMemMiB, "allocated and touched %ld MiB",
           mib);
  } else if (WIFSIGNALED(status)) {
    Report("memory", KLASS, false, "killed by signal %d after %ld MiB",
           WTERMSIG(status), mib);
  } else {
    Report("memory", KLASS, false, "allocation failed after %ld MiB (exit %d)",
           mib, WEXITSTATUS(status));
  }
}

// Opens /dev/null until EMFILE or kFds; closes them all.
static void ProbeFds(void) {
  static int fds[kFds];
  int made = 0, err = 0;
  for (; made < kFds; made++) {
    fds[made] = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (fds[made] < 0) {
      err = errno;
      break;
    }
  }
  for (int i = 0; i < made; i++) close(fds[i]);
  struct rlimit lim;
  getrlimit(RLIMIT_NOFILE, &lim);
  Report("fds", KLASS, made == kFds, "opened %d of %d (RLIMIT_NOFILE %llu)%s%s",
         made, kFds, (unsigned long long)lim.rlim_cur, err ? ", then " : "",
         err ? ErrnoName(err) : "");
}

int main(void) {
  ProbeFds();
  ProbeForkBomb();
  ProbeMemory();
  return 0;
}
