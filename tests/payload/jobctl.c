// jobctl: credentials after exec and job control as a parent sees it, printed
// one line per fact so the same program gives the same lines under runc and
// under runsc on each platform (tests/ptrace_behaviour_test.cc).
//   payload creds                   "uid=<ruid> euid=<euid>" (a setuid copy
//                                   shows the file owner's euid)
//   payload stopcont ROUNDS THREADS a child with THREADS threads that each
//                                   start and join short-lived threads making
//                                   trapped calls is stopped (SIGSTOP) and
//                                   continued (SIGCONT) ROUNDS times, then
//                                   killed while stopped; prints what the
//                                   parent's waitpid saw
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

// How long one waitpid may take before the payload gives up (SIGALRM ends
// it, so a lost stop or continue notification fails the test, never hangs).
static const unsigned kWaitLimitSecs = 60;

int Creds(void) {
  return printf("uid=%d euid=%d\n", (int)getuid(), (int)geteuid()) < 0;
}

// Calls made by the child's threads, in memory shared with the parent.
static atomic_long* churn_calls;

// A short-lived thread: one trapped call (uname is emulated), then it exits.
static void* ChurnOnce(void* unused) {
  (void)unused;
  struct utsname uts;
  uname(&uts);
  atomic_fetch_add(churn_calls, 1);
  return NULL;
}

// Starts and joins short-lived threads forever, so threads are being created
// and are exiting whenever a stop or a kill comes.
static void* Churn(void* unused) {
  (void)unused;
  for (;;) {
    pthread_t thread;
    if (pthread_create(&thread, NULL, ChurnOnce, NULL) == 0)
      pthread_join(thread, NULL);
  }
  return NULL;
}

static void RunChurningChild(int threads, int ready_fd) {
  for (int i = 0; i < threads; i++) {
    pthread_t thread;
    if (pthread_create(&thread, NULL, Churn, NULL) != 0) _exit(3);
  }
  while (atomic_load(churn_calls) < 100) sched_yield();
  if (write(ready_fd, "r", 1) != 1) _exit(4);
  for (;;) pause();
}

// Waits for `child` with `options`; the status, or -1 on an error.
static int WaitFor(pid_t child, int options) {
  int status = 0;
  pid_t got;
  alarm(kWaitLimitSecs);
  while ((got = waitpid(child, &status, options)) < 0 && errno == EINTR) {
  }
  alarm(0);
  return got == child ? status : -1;
}

static void Pause(long millis) {
  struct timespec ts = {millis / 1000, (millis % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

// One round: SIGSTOP, seen by waitpid(WUNTRACED); no call made while
// stopped; SIGCONT, seen by waitpid(WCONTINUED).
static void StopAndContinue(pid_t child, int* stopped, int* idle,
                            int* continued) {
  kill(child, SIGSTOP);
  int status = WaitFor(child, WUNTRACED);
  if (status != -1 && WIFSTOPPED(status) && WSTOPSIG(status) == SIGSTOP)
    ++*stopped;
  long before = atomic_load(churn_calls);
  Pause(20);  // an observation window: a stopped thread makes no call in it
  if (atomic_load(churn_calls) == before) ++*idle;
  kill(child, SIGCONT);
  status = WaitFor(child, WCONTINUED);
  if (status != -1 && WIFCONTINUED(status)) ++*continued;
}

int StopCont(const char* rounds_arg, const char* threads_arg) {
  int rounds = atoi(rounds_arg);
  int threads = threads_arg ? atoi(threads_arg) : 4;
  if (rounds < 1 || threads < 1 || threads > 64) return 2;
  churn_calls = mmap(NULL, sizeof(*churn_calls), PROT_READ | PROT_WRITE,
                     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  int ready[2];
  if (churn_calls == MAP_FAILED || pipe(ready) != 0) return 1;
  pid_t child = fork();
  if (child < 0) return 1;
  if (child == 0) RunChurningChild(threads, ready[1]);
  char byte;
  if (read(ready[0], &byte, 1) != 1) return 1;
  int stopped = 0, idle = 0, continued = 0;
  for (int i = 0; i < rounds; i++)
    StopAndContinue(child, &stopped, &idle, &continued);
  printf("stopped=%d idle=%d continued=%d\n", stopped, idle, continued);
  // Threads exiting while stopped: SIGKILL of the stopped child ends them all.
  kill(child, SIGSTOP);
  int status = WaitFor(child, WUNTRACED);
  printf("stopped-before-kill=%s\n",
         status != -1 && WIFSTOPPED(status) ? "yes" : "no");
  kill(child, SIGKILL);
  status = WaitFor(child, 0);
  printf("killed-while-stopped=%s\n",
         status != -1 && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL
             ? "SIGKILL"
             : "other");
  return 0;
}
