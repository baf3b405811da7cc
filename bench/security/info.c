// info.c: the `info` class — what the workload can learn about the host. The
// script passes the host's own values; a probe is REACHED when the container
// sees the host's value.
//   probe-info host-release=R host-cmdline=LINE host-boot-id=ID
//   host-memtotal-kb=N
//              host-ncpu=N host-hostname=H host-path=P...
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "probe.h"

#define KLASS "info"

static char g_buf[1 << 16];

// Removes trailing whitespace.
static void Chomp(char* s) {
  size_t n = strlen(s);
  while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == ' ')) s[--n] = '\0';
}

static void ProbeKernelRelease(const char* host) {
  struct utsname u;
  uname(&u);
  Report("kernel_release", KLASS, strcmp(u.release, host) == 0,
         "uname release %s (host %s)", u.release, host);
}

// A readable file whose content is the host's (`host` may be NULL: nonempty
// content suffices). The script passes facts with spaces as '_'.
static void ProbeHostFile(const char* name, const char* path,
                          const char* host) {
  long got = ReadSmallFile(path, g_buf, sizeof(g_buf));
  if (got < 0) {
    Report(name, KLASS, false, "%s: %s", path, ErrnoName((int)-got));
    return;
  }
  Chomp(g_buf);
  for (char* c = g_buf; *c; c++) {
    if (*c == ' ') *c = '_';
  }
  bool same = got > 0 && (host == NULL || strcmp(g_buf, host) == 0);
  Report(name, KLASS, same, "%s: %ld bytes, %s", path, got,
         same ? "the host's" : "not the host's");
}

// The first number after `key` in `text`, or -1.
static long FieldAfter(const char* text, const char* key) {
  const char* at = strstr(text, key);
  return at == NULL ? -1 : strtol(at + strlen(key), NULL, 10);
}

static void ProbeMemTotal(long host_kb) {
  long got = ReadSmallFile("/proc/meminfo", g_buf, sizeof(g_buf));
  long kb = got > 0 ? FieldAfter(g_buf, "MemTotal:") : -1;
  Report("meminfo_memtotal", KLASS, kb == host_kb,
         "MemTotal %ld kB (host %ld kB)", kb, host_kb);
}

// Online CPUs as /proc/cpuinfo, /sys/devices/system/cpu/online (sysconf) and
// affinity say.
static void ProbeCpuCount(long host) {
  long cpuinfo = 0;
  if (ReadSmallFile("/proc/cpuinfo", g_buf, sizeof(g_buf)) > 0) {
    for (const char* p = g_buf; (p = strstr(p, "processor\t")) != NULL; p++)
      cpuinfo++;
  }
  long online = sysconf(_SC_NPROCESSORS_ONLN);
  cpu_set_t set;
  long affinity =
      sched_getaffinity(0, sizeof(set), &set) == 0 ? CPU_COUNT(&set) : -1;
  Report("cpu_count", KLASS, cpuinfo == host || online == host,
         "cpuinfo %ld, online %ld, affinity %ld (host %ld, container limit 1)",
         cpuinfo, online, affinity, host);
}

// Mount roots or sources naming a host path (the bundle's directory,
// /var/lib/..., /work/...).
static void ProbeMountinfo(const char* host_path) {
  long got = ReadSmallFile("/proc/self/mountinfo", g_buf, sizeof(g_buf));
  if (got <= 0) {
    Report("mountinfo_host_paths", KLASS, false, "/proc/self/mountinfo: %s",
           got == 0 ? "empty" : ErrnoName((int)-got));
    return;
  }
  const char* needles[] = {host_path, " /var/lib/", " /work/", "=/var/lib/",
                           "=/work/"};
  for (unsigned i = 0; i < sizeof(needles) / sizeof(needles[0]); i++) {
    char* at = strstr(g_buf, needles[i]);
    if (at == NULL) continue;
    char* end = strchr(at + 1, ' ');
    if (end) *end = '\0';
    Report("mountinfo_host_paths", KLASS, true, "shows %.120s",
           at[0] == ' ' || at[0] == '=' ? at + 1 : at);
    return;
  }
  Report("mountinfo_host_paths", KLASS, false, "no host path in %ld bytes",
         got);
}

// /proc/self/cgroup naming a cgroup path other than "/".
static void ProbeCgroupPath(void) {
  long got = ReadSmallFile("/proc/self/cgroup", g_buf, sizeof(g_buf));
  for (char* line = g_buf; got > 0 && line && *line;) {
    char* next = strchr(line, '\n');
    if (next) *next++ = '\0';
    char* path = strrchr(line, ':');
    if (path && strcmp(path + 1, "/") != 0) {
      Report("cgroup_path", KLASS, true, "%.160s", line);
      return;
    }
    line = next;
  }
  Report("cgroup_path", KLASS, false, "every hierarchy shows / (%s)",
         got < 0 ? ErrnoName((int)-got) : "cgroup namespace or none");
}

static void ProbeHostname(const char* host) {
  char name[256] = "";
  gethostname(name, sizeof(name) - 1);
  Report("hostname", KLASS, strcmp(name, host) == 0, "%s (host %s)", name,
         host);
}

int main(int argc, char** argv) {
  ProbeKernelRelease(Arg(argc, argv, "host-release", "?"));
  ProbeHostFile("proc_cmdline", "/proc/cmdline",
                Arg(argc, argv, "host-cmdline", "?"));
  ProbeHostFile("boot_id", "/proc/sys/kernel/random/boot_id",
                Arg(argc, argv, "host-boot-id", "?"));
  ProbeMemTotal(atol(Arg(argc, argv, "host-memtotal-kb", "-2")));
  ProbeCpuCount(atol(Arg(argc, argv, "host-ncpu", "-2")));
  ProbeMountinfo(Arg(argc, argv, "host-path", "/nonexistent/"));
  ProbeCgroupPath();
  ProbeHostname(Arg(argc, argv, "host-hostname", "?"));
  return 0;
}
