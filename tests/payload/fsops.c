// fsops: the filesystem operations the gofer brokers, run by the payload in a
// directory of host-backed storage. One line per step, "<step> <result>", where
// result is "ok", a value, or the errno name: the same program run under runc
// and under runsc must print the same lines (tests/gofer_test.cc).
//   payload fsops DIR      every step, as whoever runs it
//   payload fsperm DIR     the permission steps for a non-root user (DIR/rootdir is root's, 0755)
//   payload fsrace SECS GOOD EVIL  the path-flipping attack (see FsRace)
//   payload fsswap SECS LINK TMPDIR HOSTDIR  the symlink-swapping attack (see FsSwap)
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

static void Report(const char* step, int rc) {
  if (rc >= 0) {
    printf("%s ok\n", step);
  } else {
    const char* name = strerrorname_np(errno);
    printf("%s %s\n", step, name ? name : "EUNKNOWN");
  }
}

static int Close(int fd) { return fd < 0 ? fd : close(fd); }

static void PrintMode(const char* step, const char* path) {
  struct stat st;
  if (lstat(path, &st) != 0) return Report(step, -1);
  // A directory's size depends on the filesystem: left out.
  long long size = S_ISDIR(st.st_mode) ? 0 : (long long)st.st_size;
  printf("%s mode=%04o uid=%u gid=%u size=%lld nlink=%lu\n", step, st.st_mode & 07777, st.st_uid, st.st_gid, size,
         (unsigned long)st.st_nlink);
}

static void PrintContent(const char* step, const char* path) {
  char buf[64] = {0};
  int fd = open(path, O_RDONLY);
  if (fd < 0) return Report(step, -1);
  ssize_t n = read(fd, buf, sizeof(buf) - 1);
  close(fd);
  if (n < 0) return Report(step, -1);
  printf("%s content=%s\n", step, buf);
}

static int WriteText(const char* path, int flags, const char* text) {
  int fd = open(path, flags, 0666);
  if (fd < 0) return -1;
  ssize_t n = write(fd, text, strlen(text));
  close(fd);
  return n < 0 ? -1 : 0;
}

static void CreateSteps(void) {
  umask(022);
  Report("create", WriteText("f", O_CREAT | O_WRONLY | O_EXCL, "hello"));
  PrintMode("create.stat", "f");
  PrintContent("create.read", "f");
  Report("excl", Close(open("f", O_CREAT | O_EXCL | O_WRONLY, 0644)));
  Report("append", WriteText("f", O_WRONLY | O_APPEND, "+more"));
  PrintContent("append.read", "f");
  Report("trunc", WriteText("f", O_WRONLY | O_TRUNC, "x"));
  PrintContent("trunc.read", "f");
  int tmp = open(".", O_TMPFILE | O_WRONLY, 0600);
  Report("tmpfile", tmp);
  if (tmp >= 0) {
    Report("tmpfile.write", (int)write(tmp, "t", 1));
    close(tmp);
  }
  umask(027);
  Report("umask.create", Close(open("masked", O_CREAT | O_WRONLY, 0666)));
  PrintMode("umask.stat", "masked");
  Report("umask.mkdir", mkdir("maskeddir", 0777));
  PrintMode("umask.mkdir.stat", "maskeddir");
  umask(022);
  Report("creat", Close(creat("viacreat", 0600)));
  PrintMode("creat.stat", "viacreat");
}

static void DirectorySteps(void) {
  Report("mkdir", mkdir("d", 0750));
  PrintMode("mkdir.stat", "d");
  Report("mkdir.exists", mkdir("d", 0750));
  Report("mkdirat", mkdirat(AT_FDCWD, "d/sub", 0755));
  Report("rmdir.notempty", rmdir("d"));
  Report("rmdir", rmdir("d/sub"));
  Report("rmdir.missing", rmdir("d/sub"));
  int dirfd = open("d", O_RDONLY | O_DIRECTORY);
  Report("openat.dirfd", Close(openat(dirfd, "inner", O_CREAT | O_WRONLY, 0644)));
  Report("unlinkat.dirfd", unlinkat(dirfd, "inner", 0));
  close(dirfd);
  Report("unlink.dir", unlink("d"));
}

static void RenameSteps(void) {
  Report("rename", rename("f", "g"));
  Report("rename.gone", access("f", F_OK));
  Report("rename.over.prep", WriteText("h", O_CREAT | O_WRONLY, "h"));
  Report("rename.over", rename("g", "h"));
  PrintContent("rename.over.read", "h");
  Report("rename.acrossdirs", rename("h", "d/h"));
  Report("rename.noreplace.prep", WriteText("n", O_CREAT | O_WRONLY, "n"));
  Report("rename.noreplace", (int)syscall(SYS_renameat2, AT_FDCWD, "n", AT_FDCWD, "d/h", RENAME_NOREPLACE));
  Report("rename.exchange", (int)syscall(SYS_renameat2, AT_FDCWD, "n", AT_FDCWD, "d/h", RENAME_EXCHANGE));
  PrintContent("rename.exchange.read", "n");
}

static void LinkSteps(void) {
  Report("link", link("n", "hard"));
  PrintMode("link.stat", "hard");
  Report("link.exists", link("n", "hard"));
  Report("symlink.relative", symlink("n", "rel"));
  PrintContent("symlink.relative.read", "rel");
  Report("symlink.absolute", symlink("/etc/hostname-of-nowhere", "abs"));
  Report("symlink.absolute.open", Close(open("abs", O_RDONLY)));
  Report("symlink.dangling", symlink("dangling-target", "dang"));
  Report("symlink.dangling.creat", Close(open("dang", O_CREAT | O_WRONLY, 0644)));
  Report("symlink.dangling.target", access("dangling-target", F_OK));
  Report("symlink.dangling.excl", Close(open("dang", O_CREAT | O_EXCL | O_WRONLY, 0644)));
  Report("symlink.loop1", symlink("loop2", "loop1"));
  Report("symlink.loop2", symlink("loop1", "loop2"));
  Report("symlink.loop.creat", Close(open("loop1", O_CREAT | O_WRONLY, 0644)));
  Report("symlink.nofollow", Close(open("rel", O_WRONLY | O_NOFOLLOW)));
}

static void AttributeSteps(void) {
  Report("chmod", chmod("hard", 0604));
  PrintMode("chmod.stat", "hard");
  Report("fchmodat", fchmodat(AT_FDCWD, "hard", 0640, 0));
  Report("chown", chown("hard", 1234, 2345));
  PrintMode("chown.stat", "hard");
  Report("lchown", lchown("rel", 1234, 2345));
  PrintMode("lchown.stat", "rel");
  struct timespec times[2] = {{1000000000, 0}, {1200000000, 500}};
  Report("utimensat", utimensat(AT_FDCWD, "hard", times, 0));
  struct stat st;
  if (stat("hard", &st) == 0) printf("utimensat.mtime %lld.%09ld\n", (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
  Report("truncate", truncate("hard", 1));
  PrintMode("truncate.stat", "hard");
  Report("truncate.dir", truncate("d", 0));
  Report("setxattr", setxattr("hard", "user.runsc", "v1", 2, 0));
  char value[8] = {0};
  ssize_t n = getxattr("hard", "user.runsc", value, sizeof(value) - 1);
  if (n >= 0) printf("getxattr %s\n", value); else Report("getxattr", -1);
  Report("setxattr.create.exists", setxattr("hard", "user.runsc", "v2", 2, XATTR_CREATE));
  Report("removexattr", removexattr("hard", "user.runsc"));
  Report("removexattr.missing", removexattr("hard", "user.runsc"));
  Report("mknod.fifo", mknod("fifo", S_IFIFO | 0644, 0));
  PrintMode("mknod.fifo.stat", "fifo");
}

static void SocketSteps(void) {
  int server = socket(AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  strcpy(addr.sun_path, "sock");
  Report("bind.unix", bind(server, (struct sockaddr*)&addr, sizeof(addr)));
  Report("listen", listen(server, 1));
  struct sockaddr_un got;
  socklen_t len = sizeof(got);
  if (getsockname(server, (struct sockaddr*)&got, &len) == 0) printf("getsockname %s\n", got.sun_path);
  int client = socket(AF_UNIX, SOCK_STREAM, 0);
  Report("connect", connect(client, (struct sockaddr*)&addr, sizeof(addr)));
  int accepted = accept(server, NULL, NULL);
  Report("accept", accepted);
  char c = 0;
  if (write(client, "z", 1) == 1 && read(accepted, &c, 1) == 1) printf("unix.echo %c\n", c);
  PrintMode("bind.stat", "sock");
  Report("bind.again", bind(socket(AF_UNIX, SOCK_STREAM, 0), (struct sockaddr*)&addr, sizeof(addr)));
}

static void CleanupSteps(void) {
  const char* files[] = {"n", "hard", "rel", "abs", "dang", "dangling-target", "loop1", "loop2", "masked",
                         "viacreat", "fifo", "sock", "d/h"};
  int failed = 0;
  for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) failed |= unlink(files[i]);
  failed |= rmdir("maskeddir");
  failed |= rmdir("d");
  Report("cleanup", failed ? -1 : 0);
}

int FsOps(const char* dir) {
  if (chdir(dir) != 0) return printf("chdir %s\n", strerrorname_np(errno)), 1;
  CreateSteps();
  DirectorySteps();
  RenameSteps();
  LinkSteps();
  AttributeSteps();
  SocketSteps();
  CleanupSteps();
  return 0;
}

// As a non-root user with DIR/rootdir (root's, 0755) and DIR/rootfile (root's, 0644).
int FsPerm(const char* dir) {
  if (chdir(dir) != 0) return printf("chdir %s\n", strerrorname_np(errno)), 1;
  printf("uid %d\n", getuid());
  Report("perm.create.rootdir", Close(open("rootdir/x", O_CREAT | O_WRONLY, 0644)));
  Report("perm.mkdir.rootdir", mkdir("rootdir/y", 0755));
  Report("perm.chmod.rootfile", chmod("rootfile", 0666));
  Report("perm.chown.rootfile", chown("rootfile", getuid(), getgid()));
  Report("perm.write.rootfile", Close(open("rootfile", O_WRONLY)));
  Report("perm.unlink.rootfile", unlink("rootfile"));
  Report("perm.create.own", Close(open("mine", O_CREAT | O_WRONLY, 0600)));
  PrintMode("perm.create.own.stat", "mine");
  Report("perm.chmod.own", chmod("mine", 0640));
  Report("perm.unlink.own", unlink("mine"));
  return 0;
}

// The TOCTOU attack on the broker: one thread flips a path buffer between
// GOOD (a path the container may create) and EVIL (one in a read-only place)
// while another calls open(O_CREAT) on the buffer in a loop for SECS seconds.
// Torn mixes of the two are part of the attack. Prints the counts and whether
// EVIL exists; it must not (the test checks the host directory too).
static char race_path[2][256];
static char race_buffer[256];
static atomic_int race_stop;

static void* Flipper(void* unused) {
  (void)unused;
  unsigned long i = 0;
  while (!atomic_load(&race_stop)) memcpy(race_buffer, race_path[i++ & 1], sizeof(race_buffer));
  return NULL;
}

int FsRace(const char* secs, const char* good, const char* evil) {
  snprintf(race_path[0], sizeof(race_path[0]), "%s", good);
  snprintf(race_path[1], sizeof(race_path[1]), "%s", evil);
  memcpy(race_buffer, race_path[0], sizeof(race_buffer));
  pthread_t flipper;
  pthread_create(&flipper, NULL, Flipper, NULL);
  time_t end = time(NULL) + atoi(secs);
  long created = 0, refused = 0, calls = 0;
  while (time(NULL) < end) {
    int fd = open(race_buffer, O_CREAT | O_WRONLY, 0644);
    calls++;
    if (fd >= 0) {
      created++;
      close(fd);
    } else {
      refused++;
    }
  }
  atomic_store(&race_stop, 1);
  pthread_join(flipper, NULL);
  printf("calls %ld created %ld refused %ld evil %s\n", calls, created, refused,
         access(evil, F_OK) == 0 ? "present" : "absent");
  return 0;
}

// The race on the broker's "not host storage, let the kernel do it" check
// (issue 17, item 3): one thread swaps the symlink LINK (on a tmpfs) between
// TMPDIR (on a tmpfs) and HOSTDIR (host storage) by rename, while this one
// creates LINK/f<n> (open O_CREAT|O_EXCL) and makes LINK/d<n> (mkdir) in
// turn for SECS seconds. Prints "swap calls N ok A erofs B other C" and the
// first other errno; then "swap.tmpdir T", the entries left in TMPDIR. A
// create on host storage must be the gofer's or EROFS: the test compares A
// with the entries in both directories and, under runsc, with the audit log.
static const char* swap_targets[2];
static const char* swap_link;
static atomic_int swap_stop;

static void* Swapper(void* unused) {
  (void)unused;
  char tmp[300];
  snprintf(tmp, sizeof(tmp), "%s.new", swap_link);
  for (unsigned long i = 0; !atomic_load(&swap_stop); i++) {
    unlink(tmp);
    if (symlink(swap_targets[i & 1], tmp) == 0) rename(tmp, swap_link);
  }
  return NULL;
}

static long CountEntries(const char* dir) {
  char command[400];
  snprintf(command, sizeof(command), "ls -A %s | wc -l", dir);
  FILE* pipe = popen(command, "r");
  long count = -1;
  if (pipe == NULL || fscanf(pipe, "%ld", &count) != 1) count = -1;
  if (pipe != NULL) pclose(pipe);
  return count;
}

int FsSwap(const char* secs, const char* link, const char* tmpdir, const char* hostdir) {
  swap_link = link;
  swap_targets[0] = tmpdir;
  swap_targets[1] = hostdir;
  if (symlink(tmpdir, link) != 0) return Report("swap.link", -1), 1;
  pthread_t swapper;
  pthread_create(&swapper, NULL, Swapper, NULL);
  time_t end = time(NULL) + atoi(secs);
  long calls = 0, ok = 0, erofs = 0, other = 0;
  int first_other = 0;
  char path[300];
  while (time(NULL) < end) {
    snprintf(path, sizeof(path), "%s/%c%ld", link, calls & 1 ? 'd' : 'f', calls);
    int rc = calls & 1 ? mkdir(path, 0755) : Close(open(path, O_CREAT | O_EXCL | O_WRONLY, 0644));
    calls++;
    if (rc == 0) {
      ok++;
    } else if (errno == EROFS) {
      erofs++;
    } else if (other++ == 0) {
      first_other = errno;
    }
  }
  atomic_store(&swap_stop, 1);
  pthread_join(swapper, NULL);
  const char* name = first_other ? strerrorname_np(first_other) : "none";
  printf("swap calls %ld ok %ld erofs %ld other %ld first %s\n", calls, ok, erofs, other, name ? name : "?");
  printf("swap.tmpdir %ld\n", CountEntries(tmpdir));
  return 0;
}
