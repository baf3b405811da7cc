// privileges.c: the `privileges` class — what the workload holds: capabilities,
// no_new_privs, uid 0 as the host's 0, and whether a setuid-root binary raises
// uid 1000 to euid 0.
//   probe-privileges [suid-helper=/bin/probe-suid-euid]
//   probe-privileges print-euid      (the setuid-root copy's mode: prints its
//   euid)
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "probe.h"

#define KLASS "privileges"

static char g_buf[8192];

static void ProbeCapEff(void) {
  long got = ReadSmallFile("/proc/self/status", g_buf, sizeof(g_buf));
  const char* at = got > 0 ? strstr(g_buf, "CapEff:\t") : NULL;
  if (at == NULL) {
    Report("cap_effective", KLASS, false, "no CapEff in /proc/self/status");
    return;
  }
  unsigned long long caps = strtoull(at + 8, NULL, 16);
  Report("cap_effective", KLASS, caps != 0, "CapEff %016llx", caps);
}

static void ProbeNoNewPrivs(void) {
  int nnp = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
  Report("no_new_privs_unset", KLASS, nnp == 0, "PR_GET_NO_NEW_PRIVS %d", nnp);
}

// uid_map mapping container uid 0 to host uid 0.
static void ProbeUidMap(void) {
  long got = ReadSmallFile("/proc/self/uid_map", g_buf, sizeof(g_buf));
  long inside = -1, outside = -1, count = -1;
  if (got > 0) sscanf(g_buf, "%ld %ld %ld", &inside, &outside, &count);
  Report("uid0_is_host_root", KLASS, inside == 0 && outside == 0,
         "uid_map %ld %ld %ld", inside, outside, count);
}

// Runs the setuid-root helper as uid/gid 1000 and reads the euid it prints.
static void ProbeSetuid(const char* helper) {
  int fds[2];
  if (pipe(fds) != 0) return;
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], 1);
    if (setgroups(0, NULL) != 0 || setresgid(1000, 1000, 1000) != 0 ||
        setresuid(1000, 1000, 1000) != 0) {
      printf("setuid-failed %s\n", ErrnoName(errno));
      _exit(1);
    }
    execl(helper, helper, "print-euid", (char*)NULL);
    printf("exec-failed %s\n", ErrnoName(errno));
    _exit(1);
  }
  close(fds[1]);
  char out[64] = "";
  ssize_t n = read(fds[0], out, sizeof(out) - 1);
  if (n > 0) out[n] = '\0';
  close(fds[0]);
  waitpid(pid, NULL, 0);
  char* nl = strchr(out, '\n');
  if (nl) *nl = '\0';
  if (strncmp(out, "euid ", 5) == 0) {
    Report("setuid_honoured", KLASS, atoi(out + 5) == 0,
           "uid 1000 ran a setuid-root binary: %s", out);
  } else {
    Report("setuid_honoured", KLASS, false, "could not try: %s", out);
  }
}

int main(int argc, char** argv) {
  if (argc > 1 && strcmp(argv[1], "print-euid") == 0) {
    printf("euid %d\n", (int)geteuid());
    return 0;
  }
  ProbeCapEff();
  ProbeNoNewPrivs();
  ProbeUidMap();
  ProbeSetuid(Arg(argc, argv, "suid-helper", "/bin/probe-suid-euid"));
  return 0;
}
