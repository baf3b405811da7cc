// notify_floor: the bare USER_NOTIF round trip, the floor of every trapped call, in the shapes
// that separate what the sentry's design costs from what its code costs:
//   BM_NotifRoundTrip         answered by another thread of this program (no sync wake-up)
//   BM_NotifRoundTripProcess  answered by another process (as the sentry is), which sets
//                             SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP as the sentry does
//   BM_BrokerFloorRename/{rootfs,tmpfs}  the design's floor of a brokered call: that process
//                             (the "sentry") has a third (the "gofer") rename a file in fs_bench's
//                             scratch directory over a socketpair and answers its result. No path
//                             is read, no credential set: what two hops cost, and nothing else.
//                             Compare with BM_Rename natively (one op = one rename, a <-> b).
//   BM_BrokerFloorRename/.../polling  the same with both waits first polling (up to 50
//                             non-blocking recv(2)s) before sleeping: the floor if the sentry and
//                             the gofer busy-waited for each other.
//   BM_BrokerFloorRename/.../polling/paths  and with the least a safe broker adds: the paths
//                             copied from the caller once, its credentials read, ID_VALID, each
//                             parent resolved inside the gofer's root (see kPaths).
// Both answer a getppid trapped by one filter on the main thread (the kernel allows one listener
// per filter chain; the thread hands over to the process between the rows) with 42. Inside runsc the sentry's filter already holds the task's listener and the
// kernel refuses a second one (EBUSY): the rows report that error there. The filters stay for
// the rest of the process (a BPF program on every later call), so these rows run last.
#include "notify_floor.h"

#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <utility>

#include "fs_bench.h"

// Newer than Debian 12's kernel headers, as in platform/notify_ioctls.h (which this standalone
// program does not include: it builds without the project's libraries).
#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif

namespace runsc_bench {
namespace {

constexpr long kNotifAnswer = 42;

std::string ErrnoText(const char* what, int err) { return std::string(what) + ": " + strerror(err); }

// The one listener (the kernel allows one per filter chain) and who answers it now.
enum class Responder { kNone, kThread, kProcess };
int g_listener = -1;
std::string g_error;  // why there is no listener, or no responder
Responder g_responder = Responder::kNone;
std::atomic<bool> g_retire_thread{false};
// getppid's (ignored) first argument on the call that retires the thread responder.
constexpr unsigned long kRetireCall = 0x52455449;  // "RETI"

// A listener for getppid on the calling (main) thread only (no TSYNC): responders started
// before it are never trapped themselves.
bool InstallFilter() {
  static bool tried = false;
  if (tried) return g_listener >= 0;
  tried = true;
  struct sock_filter code[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog prog = {static_cast<unsigned short>(sizeof(code) / sizeof(code[0])), code};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
    g_error = ErrnoText("PR_SET_NO_NEW_PRIVS", errno);
    return false;
  }
  g_listener = static_cast<int>(syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog));
  if (g_listener < 0) g_error = ErrnoText("seccomp(NEW_LISTENER) (inside runsc the sentry holds the listener)", errno);
  return g_listener >= 0;
}

// What the responder process does with a notification, set by the main process in shared
// memory: answer 42, or have the "gofer" process rename in the rootfs/tmpfs scratch directory.
// kPolling: both wait for the other with up to kPollTries non-blocking recv(2)s before blocking.
// kPaths: the least a safe broker must add: the responder copies the two paths from the caller
// (args 0 and 1: one process_vm_readv), reads its credentials (pread of a kept /proc/<tid>/status
// fd) and checks the call is still live (ID_VALID); the gofer resolves each parent inside its
// root (openat2 RESOLVE_IN_ROOT), renames relative to them and closes them.
// kBackwards: this op renames floor-b to floor-a (the main process alternates).
enum Mode : int { kAnswer = 0, kRenameRootfs = 1, kRenameTmpfs = 2, kPolling = 4, kPaths = 8, kBackwards = 16 };
constexpr int kPollTries = 50;
constexpr size_t kPathMax = 256;

struct Request {
  int mode;
  char from[kPathMax];  // kPaths: absolute paths, as the caller gave them
  char to[kPathMax];
};

// One message of `size` bytes from `sock`, first trying `tries` non-blocking receives: a peer that
// answers within that time is never put to sleep and woken (a cross-CPU wake-up is the dear part
// on this VM).
ssize_t Receive(int sock, void* out, size_t size, int tries) {
  ssize_t got = -1;
  for (int i = 0; i < tries && got < 0; i++) got = recv(sock, out, size, MSG_DONTWAIT);
  return got >= 0 ? got : read(sock, out, size);
}
std::atomic<int>* g_mode = nullptr;  // MAP_SHARED, inherited by the forked processes

// rename(from, to) with each parent resolved inside `root` (kPaths), or 0/errno of rename(2).
int RenameInRoot(int root, const char* from, const char* to) {
  struct open_how how = {};
  how.flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  int dirs[2] = {-1, -1};
  const char* bases[2] = {nullptr, nullptr};
  const char* paths[2] = {from, to};
  int result = 0;
  for (int i = 0; i < 2 && result == 0; i++) {
    const char* slash = strrchr(paths[i], '/');
    std::string parent = slash == nullptr ? "." : std::string(paths[i], slash - paths[i] + 1);
    bases[i] = slash == nullptr ? paths[i] : slash + 1;
    dirs[i] = static_cast<int>(syscall(SYS_openat2, root, parent.c_str(), &how, sizeof(how)));
    if (dirs[i] < 0) result = errno;
  }
  if (result == 0 && renameat(dirs[0], bases[0], dirs[1], bases[1]) != 0) result = errno;
  for (int fd : dirs) {
    if (fd >= 0) close(fd);
  }
  return result;
}

// The "gofer": for each request renames floor-a to floor-b in that directory or back (or, kPaths,
// the paths it was given) and replies with 0 or the errno.
[[noreturn]] void GoferLoop(int sock, const std::string (&dirs)[2]) {
  std::string a[2], b[2];
  for (int i = 0; i < 2; i++) a[i] = dirs[i] + "/floor-a", b[i] = dirs[i] + "/floor-b";
  const int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  Request req{};
  while (Receive(sock, &req, sizeof(req), (req.mode & kPolling) ? kPollTries : 0) == sizeof(req)) {
    const int i = (req.mode & kRenameTmpfs) ? 1 : 0;  // the scratch directory of the row
    int result;
    if (req.mode & kPaths) {
      req.from[kPathMax - 1] = req.to[kPathMax - 1] = '\0';
      result = RenameInRoot(root, req.from, req.to);
    } else {
      const std::string& from = (req.mode & kBackwards) ? b[i] : a[i];
      const std::string& to = (req.mode & kBackwards) ? a[i] : b[i];
      result = dirs[i].empty() ? ENOENT : (rename(from.c_str(), to.c_str()) == 0 ? 0 : errno);
    }
    if (write(sock, &result, sizeof(result)) != sizeof(result)) break;
  }
  _exit(0);
}

// kPaths: copies the caller's two paths and credentials, then checks the call is live; false if
// anything failed (the answer is then EFAULT).
bool CopyCallersPaths(int listener, const seccomp_notif& call, Request& req, int& status_fd) {
  iovec local[2] = {{req.from, kPathMax}, {req.to, kPathMax}};
  iovec remote[2] = {{reinterpret_cast<void*>(call.data.args[0]), kPathMax},
                     {reinterpret_cast<void*>(call.data.args[1]), kPathMax}};
  if (process_vm_readv(static_cast<pid_t>(call.pid), local, 2, remote, 2, 0) != 2 * static_cast<ssize_t>(kPathMax)) {
    return false;
  }
  if (status_fd < 0) status_fd = open(("/proc/" + std::to_string(call.pid) + "/status").c_str(), O_RDONLY | O_CLOEXEC);
  char status[2048];
  if (status_fd < 0 || pread(status_fd, status, sizeof(status), 0) <= 0) return false;
  uint64_t id = call.id;
  return ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;
}

// The responder (the thread, or the "sentry" process): RECV, then answer 42 or ask the gofer
// (`gofer`, kPaths/kRename* modes; only the process has one) and answer its result, SEND; until
// the listener is gone, or `retire` is set after an answer.
void Serve(int fd, int gofer, const std::atomic<bool>* retire) {
  struct seccomp_notif call;
  struct seccomp_notif_resp resp;
  Request req{};
  int status_fd = -1;
  for (;;) {
    memset(&call, 0, sizeof(call));
    if (ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, &call) < 0) {
      if (errno == EINTR || errno == ENOENT) continue;
      return;
    }
    memset(&resp, 0, sizeof(resp));
    resp.id = call.id;
    resp.val = kNotifAnswer;
    req.mode = g_mode != nullptr ? g_mode->load() : kAnswer;
    if (req.mode != kAnswer) {
      int result = EIO;
      if ((req.mode & kPaths) && !CopyCallersPaths(fd, call, req, status_fd)) {
        result = EFAULT;
      } else if (write(gofer, &req, sizeof(req)) == sizeof(req)) {
        if (Receive(gofer, &result, sizeof(result), (req.mode & kPolling) ? kPollTries : 0) != sizeof(result)) {
          result = EIO;
        }
      }
      resp.val = 0;
      resp.error = result == 0 ? 0 : -result;
    }
    ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, &resp);
    // Only after answering the retiring call itself: the flag alone, seen right after the
    // answer to the last timed call, left that call unanswered (the main thread hung in it).
    if (retire != nullptr && retire->load() && call.data.args[0] == kRetireCall) return;
  }
}

// Forks the gofer and the responder processes (both die with us; forked after the filter, they
// inherit it and must not call getppid). The scratch directories' floor-a files are made first.
bool StartProcessResponder() {
  void* shared = mmap(nullptr, sizeof(std::atomic<int>), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (shared == MAP_FAILED) {
    g_error = ErrnoText("mmap", errno);
    return false;
  }
  g_mode = new (shared) std::atomic<int>(kAnswer);
  std::string dirs[2], ignored;
  for (int i = 0; i < 2; i++) {
    dirs[i] = FsScratchDir(i == 1, ignored);
    if (dirs[i].empty()) continue;
    unlink((dirs[i] + "/floor-b").c_str());
    int fd = open((dirs[i] + "/floor-a").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) dirs[i].clear();
    close(fd);
  }
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
    g_error = ErrnoText("socketpair", errno);
    return false;
  }
  for (int role = 0; role < 2; role++) {
    pid_t child = fork();
    if (child < 0) {
      g_error = ErrnoText("fork", errno);
      return false;
    }
    if (child == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (role == 0) GoferLoop(sv[1], dirs);
      ioctl(g_listener, SECCOMP_IOCTL_NOTIF_SET_FLAGS, SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP);  // as the sentry
      Serve(g_listener, sv[0], nullptr);
      _exit(0);
    }
  }
  close(sv[0]);
  close(sv[1]);
  return true;
}

// Makes `wanted` the one answering the listener: a thread responder retires after answering a
// last call, so two never wait on the listener at once.
bool UseResponder(Responder wanted) {
  if (!InstallFilter()) return false;
  if (g_responder == wanted) return true;
  if (g_responder == Responder::kProcess) {
    g_error = "the process responder cannot be retired";  // rows run thread first
    return false;
  }
  if (g_responder == Responder::kThread) {
    g_retire_thread = true;
    syscall(SYS_getppid, kRetireCall);  // its last answer
  }
  if (wanted == Responder::kThread) {
    std::thread([fd = g_listener] { Serve(fd, -1, &g_retire_thread); }).detach();
  } else if (!StartProcessResponder()) {
    return false;
  }
  g_responder = wanted;
  return true;
}

void RunFloor(benchmark::State& state, Responder responder) {
  if (!UseResponder(responder)) {
    state.SkipWithError(g_error.c_str());
    return;
  }
  if (g_mode != nullptr) g_mode->store(kAnswer);
  for (auto _ : state) {
    if (syscall(SYS_getppid) != kNotifAnswer) {
      state.SkipWithError("the trapped call was not answered by the listener");
      break;
    }
  }
}

// The trapped call answered with a rename the gofer made: the design's floor for a brokered call.
void RunBrokerFloor(benchmark::State& state, bool tmpfs, int extra_mode) {
  std::string error;
  const std::string dir = FsScratchDir(tmpfs, error);
  if (dir.empty()) {
    state.SkipWithError(error.c_str());
    return;
  }
  if (!UseResponder(Responder::kProcess)) {
    state.SkipWithError(g_error.c_str());
    return;
  }
  // kPaths: the paths travel as arguments 0 and 1 of the trapped getppid (the kernel ignores
  // them; the responder reads them), in buffers of kPathMax so one read of each is in bounds.
  static char paths[2][kPathMax];
  snprintf(paths[0], kPathMax, "%s/floor-a", dir.c_str());
  snprintf(paths[1], kPathMax, "%s/floor-b", dir.c_str());
  int from = 0;
  const int mode = (tmpfs ? kRenameTmpfs : kRenameRootfs) | extra_mode;
  for (auto _ : state) {
    g_mode->store(mode | (from == 1 ? kBackwards : 0));
    if (long rc = syscall(SYS_getppid, paths[from], paths[1 - from]); rc != 0) {
      state.SkipWithError(ErrnoText("the gofer's rename", rc < 0 ? errno : EPROTO).c_str());
      break;
    }
    from = 1 - from;
  }
  g_mode->store(kAnswer);
  if (from == 1) rename(paths[1], paths[0]);  // back to floor-a for the next row
}

void BM_NotifRoundTrip(benchmark::State& state) { RunFloor(state, Responder::kThread); }
void BM_NotifRoundTripProcess(benchmark::State& state) { RunFloor(state, Responder::kProcess); }
void BM_BrokerFloorRename(benchmark::State& state, bool tmpfs, int extra_mode) {
  RunBrokerFloor(state, tmpfs, extra_mode);
}

}  // namespace

void RegisterNotifFloors() {
  benchmark::RegisterBenchmark("BM_NotifRoundTrip", BM_NotifRoundTrip);
  benchmark::RegisterBenchmark("BM_NotifRoundTripProcess", BM_NotifRoundTripProcess);
  for (bool tmpfs : {false, true}) {
    for (auto [suffix, extra_mode] : {std::pair<const char*, int>{"", 0}, {"/polling", kPolling},
                                      {"/polling/paths", kPolling | kPaths}}) {
      std::string name = std::string("BM_BrokerFloorRename/") + (tmpfs ? "tmpfs" : "rootfs") + suffix;
      benchmark::RegisterBenchmark(name.c_str(), BM_BrokerFloorRename, tmpfs, extra_mode)->UseRealTime();
    }
  }
}

}  // namespace runsc_bench
