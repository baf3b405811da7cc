// Feasibility experiment for docs/design.md, "Decision for the founders: mountinfo and podman cp
// need a per-task write guard" (issues 16, 18). Not part of the build or the tests.
//
// In a private mount namespace: a writable bind of a host directory (the "rootfs"), a tmpfs on
// it, and a host directory bound below the tmpfs. A child (the "workload") restricts itself with a
// Landlock domain that handles the write rights and grants them beneath the tmpfs only, then tries
// every kind of write; a second child (podman's copier) setns()es into that mount namespace and
// writes. Build and run as root: gcc -o /tmp/lwg landlock_write_guard.c && /tmp/lwg
// It removes what it made (/tmp/llx/view, /var/tmp/llx-store, /var/tmp/llx-vol) at the end.
// Recorded on Linux 6.18 (Landlock ABI 7): every write form Landlock handles gets EACCES;
// access(W_OK) 0, statfs without ST_RDONLY, mountinfo "rw"; the host bind below the tmpfs is
// writable (the grant reaches it); chmod, fchmod, fchown, utimensat, fsetxattr and
// FS_IOC_SETFLAGS succeed (not Landlock's); the copier's create succeeds.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/landlock.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif
#define R(name, expr) do { errno = 0; long r_ = (long)(expr); printf("  %-48s %s\n", name, r_ < 0 ? strerror(errno) : "ok"); } while (0)
static const char *V = "/tmp/llx/view";
int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  int abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
  printf("landlock ABI %d\n", abi);
  if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL)) { perror("ns"); return 1; }
  mkdir("/tmp/llx", 0755); mkdir("/var/tmp/llx-store", 0755); mkdir(V, 0755);
  // the "rootfs": a writable bind of host storage (ext4); /scratch: a tmpfs; /scratch/vol: host storage under tmpfs
  if (mount("/var/tmp/llx-store", V, NULL, MS_BIND, NULL)) { perror("bind"); return 1; }
  close(open("/tmp/llx/view/file", O_CREAT | O_WRONLY, 0644));
  mkdir("/tmp/llx/view/scratch", 0755);
  if (mount("tmpfs", "/tmp/llx/view/scratch", "tmpfs", 0, "size=1m")) { perror("tmpfs"); return 1; }
  mkdir("/tmp/llx/view/scratch/vol", 0755);
  mkdir("/var/tmp/llx-vol", 0755);
  if (mount("/var/tmp/llx-vol", "/tmp/llx/view/scratch/vol", NULL, MS_BIND, NULL)) { perror("vol"); return 1; }
  int ready[2]; pipe(ready);
  pid_t workload = fork();
  if (workload == 0) {
    __u64 handled = LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_REMOVE_DIR | LANDLOCK_ACCESS_FS_REMOVE_FILE |
                    LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG |
                    LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_MAKE_FIFO | LANDLOCK_ACCESS_FS_MAKE_BLOCK |
                    LANDLOCK_ACCESS_FS_MAKE_SYM | LANDLOCK_ACCESS_FS_REFER | (abi >= 3 ? LANDLOCK_ACCESS_FS_TRUNCATE : 0);
    struct landlock_ruleset_attr attr = {.handled_access_fs = handled};
    int rs = syscall(SYS_landlock_create_ruleset, &attr, sizeof attr, 0);
    struct landlock_path_beneath_attr pb = {.allowed_access = handled, .parent_fd = open("/tmp/llx/view/scratch", O_PATH)};
    if (rs < 0 || syscall(SYS_landlock_add_rule, rs, LANDLOCK_RULE_PATH_BENEATH, &pb, 0)) { perror("rule"); _exit(1); }
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    if (syscall(SYS_landlock_restrict_self, rs, 0)) { perror("restrict"); _exit(1); }
    chdir(V);
    printf("workload (Landlock domain; host storage writable mount):\n");
    R("open(file, O_WRONLY)", open("file", O_WRONLY));
    R("open(new, O_CREAT)", open("new", O_CREAT | O_WRONLY, 0644));
    R("mkdir(dir)", mkdir("dir", 0755));
    R("unlink(file)", unlink("file"));
    R("rename(file, file2)", rename("file", "file2"));
    R("truncate(file, 0)", truncate("file", 0));
    R("open(file, O_RDONLY|O_TRUNC)", open("file", O_RDONLY | O_TRUNC));
    R("open(/proc/self/cwd/file, O_WRONLY)", open("/proc/self/cwd/file", O_WRONLY));
    R("access(file, W_OK)", access("file", W_OK));
    struct statfs sf; statfs("file", &sf);
    printf("  %-48s %s\n", "statfs(file) ST_RDONLY", (sf.f_flags & ST_RDONLY) ? "set" : "clear");
    R("open(scratch/x, O_CREAT) (tmpfs)", open("scratch/x", O_CREAT | O_WRONLY, 0644));
    R("open(scratch/vol/x, O_CREAT) (host bind under tmpfs)", open("scratch/vol/x", O_CREAT | O_WRONLY, 0644));
    int fd = open("file", O_RDONLY);
    printf(" not covered by Landlock (must be trapped by seccomp):\n");
    R("chmod(file, 0600)", chmod("file", 0600));
    R("fchmod(ro fd, 0644)", fchmod(fd, 0644));
    R("fchown(ro fd, 0, 0)", fchown(fd, 0, 0));
    R("utimensat(file, NULL)", utimensat(AT_FDCWD, "file", NULL, 0));
    R("fsetxattr(ro fd, user.k)", fsetxattr(fd, "user.k", "v", 1, 0));
    int flags = 0; ioctl(fd, FS_IOC_GETFLAGS, &flags); flags |= FS_NODUMP_FL;
    R("ioctl(ro fd, FS_IOC_SETFLAGS, nodump)", ioctl(fd, FS_IOC_SETFLAGS, &flags));
    char line[512]; FILE *mi = fopen("/proc/self/mountinfo", "r");
    while (fgets(line, sizeof line, mi)) if (strstr(line, "/tmp/llx/view ")) printf("  mountinfo: %s", line);
    fclose(mi);
    write(ready[1], "x", 1);
    sleep(2);
    _exit(0);
  }
  char c; read(ready[0], &c, 1);
  pid_t copier = fork();
  if (copier == 0) {  // podman cp: a host process joins the workload's mount ns and writes
    char p[64]; snprintf(p, sizeof p, "/proc/%d/ns/mnt", workload);
    int ns = open(p, O_RDONLY);
    if (setns(ns, CLONE_NEWNS)) { perror("setns"); _exit(1); }
    printf("copier (setns into the workload's mount namespace, no Landlock domain):\n");
    R("open(/tmp/llx/view/copied, O_CREAT)", open("/tmp/llx/view/copied", O_CREAT | O_WRONLY, 0644));
    _exit(0);
  }
  waitpid(copier, NULL, 0); waitpid(workload, NULL, 0);
  umount2("/tmp/llx/view/scratch/vol", MNT_DETACH); umount2("/tmp/llx/view/scratch", MNT_DETACH); umount2(V, MNT_DETACH);
  system("rm -rf /var/tmp/llx-store /var/tmp/llx-vol /tmp/llx/view");
  return 0;
}
