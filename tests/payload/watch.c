// watch: what file watchers and supervisors rely on, printed one line per case
// so the same program gives the same lines under runc and under runsc
// (tests/watch_test.cc).
//   payload inotify DIR [truncation|late|link]  inotify events of brokered
//   operations on files in DIR payload pdeathsig     PR_SET_PDEATHSIG: a child
//   is signalled when its parent dies
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const struct {
  unsigned mask;
  const char* name;
} kEvents[] = {
    {IN_ACCESS, "ACCESS"},
    {IN_MODIFY, "MODIFY"},
    {IN_ATTRIB, "ATTRIB"},
    {IN_CLOSE_WRITE, "CLOSE_WRITE"},
    {IN_CLOSE_NOWRITE, "CLOSE_NOWRITE"},
    {IN_OPEN, "OPEN"},
    {IN_MOVED_FROM, "MOVED_FROM"},
    {IN_MOVED_TO, "MOVED_TO"},
    {IN_CREATE, "CREATE"},
    {IN_DELETE, "DELETE"},
    {IN_DELETE_SELF, "DELETE_SELF"},
    {IN_MOVE_SELF, "MOVE_SELF"},
    {IN_IGNORED, "IGNORED"},
};

static const char* ErrnoName(int err) {
  const char* name = strerrorname_np(err);
  return name ? name : "EUNKNOWN";
}

// Prints "<step>:" and the events queued on `in` (it is non-blocking), as
// "wdN:NAME[:file]", once none has come for 50 ms: under runsc the gofer's copy
// of a file it opened may close a moment after the caller's close (it sends the
// fd first), and that close is the one inotify sees.
static void PrintEvents(const char* step, int in) {
  printf("%s:", step);
  char buffer[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
  ssize_t n;
  struct pollfd more = {in, POLLIN, 0};
  while ((n = read(in, buffer, sizeof(buffer))) > 0 ||
         (n < 0 && errno == EAGAIN && poll(&more, 1, 50) == 1)) {
    if (n < 0) continue;
    for (char* p = buffer; p < buffer + n;) {
      const struct inotify_event* event = (const struct inotify_event*)p;
      for (size_t i = 0; i < sizeof(kEvents) / sizeof(kEvents[0]); ++i) {
        if (!(event->mask & kEvents[i].mask)) continue;
        printf(" wd%d:%s%s%s", event->wd, kEvents[i].name,
               event->len ? ":" : "", event->len ? event->name : "");
      }
      p += sizeof(struct inotify_event) + event->len;
    }
  }
  printf("%s\n", n < 0 && errno != EAGAIN ? ErrnoName(errno) : "");
}

static int WriteText(const char* path, const char* text) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return -1;
  ssize_t n = write(fd, text, strlen(text));
  close(fd);
  return n < 0 ? -1 : 0;
}

// WriteText before a watch is added: waits 50 ms so that the gofer's copy of
// the file (see PrintEvents) is closed before the watch exists.
static int WriteTextBeforeWatching(const char* path, const char* text) {
  int rc = WriteText(path, text);
  usleep(50000);
  return rc;
}

// A watch on a file, then a truncating open, truncate and ftruncate of it.
static void TruncationsModify(int in, const char* file) {
  WriteTextBeforeWatching(file, "some text");
  int wd = inotify_add_watch(in, file, IN_ALL_EVENTS);
  printf("truncation.watch %s\n", wd < 0 ? ErrnoName(errno) : "ok");
  int fd = open(file, O_WRONLY | O_TRUNC);
  PrintEvents("open.O_TRUNC", in);
  if (fd >= 0) close(fd);
  PrintEvents("close", in);
  WriteText(file, "some text");
  PrintEvents("rewrite", in);
  printf("truncate %s\n", truncate(file, 2) ? ErrnoName(errno) : "ok");
  PrintEvents("truncate", in);
  fd = open(file, O_RDWR);
  printf("ftruncate %s\n",
         fd >= 0 && ftruncate(fd, 1) == 0 ? "ok" : ErrnoName(errno));
  if (fd >= 0) close(fd);
  PrintEvents("ftruncate+close", in);
  inotify_rm_watch(in, wd);
  PrintEvents("rm_watch", in);
}

// A watch added while an fd is open sees that fd's close (for an fd opened for
// writing and one opened read-only).
static void WatchAfterOpenSeesTheClose(int in, const char* file) {
  WriteTextBeforeWatching(file, "x");
  int writer = open(file, O_WRONLY | O_APPEND);
  int reader = open(file, O_RDONLY);
  int wd = inotify_add_watch(in, file, IN_CLOSE | IN_OPEN | IN_MODIFY);
  printf("late.watch %s\n", wd < 0 ? ErrnoName(errno) : "ok");
  close(writer);
  PrintEvents("close.writer", in);
  close(reader);
  PrintEvents("close.reader", in);
  inotify_rm_watch(in, wd);
  PrintEvents("rm_watch", in);
}

// Two names of one inode share one watch, and a change through either name
// reaches it.
static void HardLinksShareTheWatch(int in, const char* file,
                                   const char* link_path) {
  WriteTextBeforeWatching(file, "x");
  printf("link %s\n", link(file, link_path) ? ErrnoName(errno) : "ok");
  int wd_file =
      inotify_add_watch(in, file, IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE);
  int wd_link =
      inotify_add_watch(in, link_path, IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE);
  printf("link.same_wd %s\n",
         wd_file >= 0 && wd_file == wd_link ? "yes" : "no");
  int fd = open(link_path, O_WRONLY | O_APPEND);
  if (fd >= 0 && write(fd, "y", 1) < 0) printf("write %s\n", ErrnoName(errno));
  if (fd >= 0) close(fd);
  PrintEvents("write.through.link", in);
  chmod(file, 0600);
  PrintEvents("chmod.through.file", in);
  inotify_rm_watch(in, wd_file);
  PrintEvents("rm_watch", in);
  unlink(link_path);
}

// `which`: "truncation", "late" or "link" (one case), or NULL for all three.
int Inotify(const char* dir, const char* which) {
  int in = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (in < 0) return printf("inotify_init1 %s\n", ErrnoName(errno)), 1;
  char file[4096], other[4096];
  snprintf(file, sizeof(file), "%s/watched", dir);
  snprintf(other, sizeof(other), "%s/watched.link", dir);
  if (!which || !strcmp(which, "truncation")) TruncationsModify(in, file);
  if (!which || !strcmp(which, "late")) WatchAfterOpenSeesTheClose(in, file);
  if (!which || !strcmp(which, "link")) HardLinksShareTheWatch(in, file, other);
  unlink(file);
  close(in);
  return 0;
}

// Waits up to 5 s for `signal` (blocked by the caller); its name, or "none".
static const char* AwaitSignal(int signal) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, signal);
  struct timespec limit = {5, 0};
  return sigtimedwait(&set, NULL, &limit) == signal ? sigabbrev_np(signal)
                                                    : "none";
}

// The grandchild: asks for SIGUSR1 when its parent dies, tells the parent,
// awaits the signal.
static void DeathSignalChild(int ready_fd, int report_fd, const char* how) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  sigprocmask(SIG_BLOCK, &set, NULL);
  pid_t parent = getppid();
  int rc = prctl(PR_SET_PDEATHSIG, SIGUSR1);
  int got = 0;
  prctl(PR_GET_PDEATHSIG, &got);
  // The parent waits for this byte before it dies: no race with the prctl.
  if (write(ready_fd, "r", 1) != 1) _exit(1);
  const char* signal = AwaitSignal(SIGUSR1);
  dprintf(report_fd, "pdeathsig.%s set=%s get=%s signal=%s reparented=%s\n",
          how, rc ? ErrnoName(errno) : "ok",
          got == SIGUSR1 ? "SIGUSR1" : "other", signal,
          getppid() != parent ? "yes" : "no");
  _exit(0);
}

// One case: a parent forks the grandchild, waits until it has asked for the
// signal, then dies `how` ("exit": _exit; "killed": SIGKILL); the grandchild
// reports what it got.
static void DeathSignalCase(const char* how) {
  int ready[2], report[2];
  if (pipe(ready) || pipe(report)) return;
  pid_t parent = fork();
  if (parent == 0) {
    close(report[0]);
    if (fork() == 0) DeathSignalChild(ready[1], report[1], how);
    close(ready[1]);
    struct pollfd wait_ready = {ready[0], POLLIN, 0};
    char byte;
    if (poll(&wait_ready, 1, 5000) == 1 && read(ready[0], &byte, 1) == 1 &&
        !strcmp(how, "killed"))
      raise(SIGKILL);
    _exit(0);
  }
  close(ready[0]);
  close(ready[1]);
  close(report[1]);
  waitpid(parent, NULL, 0);
  char line[256] = "";
  struct pollfd wait_report = {report[0], POLLIN, 0};
  ssize_t n = poll(&wait_report, 1, 8000) == 1
                  ? read(report[0], line, sizeof(line) - 1)
                  : 0;
  line[n > 0 ? n : 0] = '\0';
  printf("%s", n > 0 ? line : "pdeathsig: no report\n");
  close(report[0]);
}

int PdeathSig(void) {
  DeathSignalCase("exit");
  DeathSignalCase("killed");
  return 0;
}
