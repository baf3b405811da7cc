// syscall_bench: Google Benchmark programs for the cost of one system call per disposition of the
// sentry's syscall table, run natively, under runc and under runsc by bench/lib/gbench.sh:
//   BM_Getpid          passthrough (the filter allows it; the kernel answers)
//   BM_Uname           emulated (USER_NOTIF -> sentry; the kernel answers unless a release is set)
//   BM_Sysinfo         emulated, the answer written into the caller by the sentry
//   BM_DeniedKeyctl    denied (keyctl with an invalid operation; runsc: the sentry answers EPERM)
//   BM_Write1          passthrough: write of 1 byte to /dev/null
//   BM_Stat, BM_Read4k passthrough file calls (stat of a rootfs file, 4 KiB pread from page cache)
//   BM_NotifRoundTrip* the floor of every trapped call (notify_floor.cc): a call trapped by this
//                      program's own USER_NOTIF filter and answered by another of its threads or by
//                      another process. Inside runsc the sentry's filter already holds the task's
//                      listener and the kernel refuses a second one (EBUSY), so they report an error
//                      there and run natively/under runc.
// fs_bench.cc adds the brokered file calls (create, mkdir, rename, unlink) and the native-path
// ones beside them (stat, open read-only) on the rootfs and on a tmpfs.
// The BM_NotifRoundTrip rows must run last: their filters stay on the main thread for the rest of the
// process (one BPF program on every later call), so nothing may be measured after it. main()
// registers them after every static registration (those of fs_bench.cc included).
//
// Usage: runsc-gbench-syscall [--dir=DIR] [--tmpfs-dir=TDIR] [Google Benchmark flags]; DIR
// (default /tmp) holds the 1 MiB file the stat/read rows use (made before timing) and the
// scratch directory of fs_bench's /rootfs rows; TDIR (a tmpfs mount) that of its /tmpfs rows.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "fs_bench.h"
#include "notify_floor.h"

namespace {

std::string g_dir = "/tmp";  // --dir

constexpr size_t kFileSize = 1 << 20;
constexpr size_t kBlock = 4096;

std::string RoFilePath() { return g_dir + "/runsc-gbench-ro"; }

// Makes the 1 MiB file (idempotent) and returns an open read-only fd, or -errno.
int OpenRoFile() {
  const std::string path = RoFilePath();
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd >= 0) return fd;
  fd = open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return -errno;
  std::vector<char> block(kBlock, 'x');
  for (size_t off = 0; off < kFileSize; off += kBlock) {
    if (write(fd, block.data(), block.size()) != static_cast<ssize_t>(block.size())) {
      int err = errno;
      close(fd);
      return -err;
    }
  }
  close(fd);
  fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  return fd < 0 ? -errno : fd;
}

std::string ErrnoText(const char* what, int err) {
  return std::string(what) + ": " + strerror(err);
}

// Passthrough: the cheapest call there is, raw (glibc does not cache getpid any more, but the
// raw syscall makes that explicit).
void BM_Getpid(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(syscall(SYS_getpid));
  }
}
BENCHMARK(BM_Getpid);

// Trapped under runsc; without --kernel-release the sentry lets the kernel answer (CONTINUE: the
// kernel's answer in the container's uts namespace is the view), so this is the bare trap.
void BM_Uname(benchmark::State& state) {
  struct utsname u;
  if (uname(&u) != 0) {
    state.SkipWithError(ErrnoText("uname", errno).c_str());
    return;
  }
  for (auto _ : state) {
    benchmark::DoNotOptimize(uname(&u));
    benchmark::ClobberMemory();
  }
}
BENCHMARK(BM_Uname);

// Emulated under runsc, answer written into the caller: memory and process count from the
// container's cgroup, uptime from its init (the sentry opens /proc/<tid>/mem, checks, writes).
void BM_Sysinfo(benchmark::State& state) {
  struct sysinfo info;
  if (sysinfo(&info) != 0) {
    state.SkipWithError(ErrnoText("sysinfo", errno).c_str());
    return;
  }
  for (auto _ : state) {
    benchmark::DoNotOptimize(sysinfo(&info));
    benchmark::ClobberMemory();
  }
}
BENCHMARK(BM_Sysinfo)->UseRealTime();

// keyctl with an invalid operation: EOPNOTSUPP natively and under runc (no seccomp profile in
// the bench's config), EPERM from the sentry under runsc. Any success is an error.
void BM_DeniedKeyctl(benchmark::State& state) {
  errno = 0;
  if (syscall(SYS_keyctl, -1, 0, 0, 0, 0) != -1) {
    state.SkipWithError("keyctl(-1) succeeded");
    return;
  }
  state.SetLabel(strerrorname_np(errno) ? strerrorname_np(errno) : "?");
  for (auto _ : state) {
    benchmark::DoNotOptimize(syscall(SYS_keyctl, -1, 0, 0, 0, 0));
  }
}
BENCHMARK(BM_DeniedKeyctl);

// Passthrough: a 1-byte write to /dev/null (the fd-based call with the least work behind it).
void BM_Write1(benchmark::State& state) {
  int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    state.SkipWithError(ErrnoText("open /dev/null", errno).c_str());
    return;
  }
  const char byte = 'x';
  for (auto _ : state) {
    benchmark::DoNotOptimize(write(fd, &byte, 1));
  }
  close(fd);
}
BENCHMARK(BM_Write1);

void BM_Stat(benchmark::State& state) {
  int fd = OpenRoFile();
  if (fd < 0) {
    state.SkipWithError(ErrnoText("create the file", -fd).c_str());
    return;
  }
  close(fd);
  const std::string path = RoFilePath();
  struct stat st;
  for (auto _ : state) {
    benchmark::DoNotOptimize(stat(path.c_str(), &st));
    benchmark::ClobberMemory();
  }
}
BENCHMARK(BM_Stat);

// 4 KiB pread walking a 1 MiB file that is in the page cache (it was just written and read).
void BM_Read4k(benchmark::State& state) {
  int fd = OpenRoFile();
  if (fd < 0) {
    state.SkipWithError(ErrnoText("create the file", -fd).c_str());
    return;
  }
  std::vector<char> buf(kBlock);
  for (size_t off = 0; off < kFileSize; off += kBlock) {
    if (pread(fd, buf.data(), kBlock, static_cast<off_t>(off)) < 0) break;  // warm the cache
  }
  size_t i = 0;
  for (auto _ : state) {
    ssize_t n = pread(fd, buf.data(), kBlock, static_cast<off_t>((i++ % (kFileSize / kBlock)) * kBlock));
    if (n != static_cast<ssize_t>(kBlock)) {
      state.SkipWithError(ErrnoText("pread", errno).c_str());
      break;
    }
    benchmark::ClobberMemory();
  }
  close(fd);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * kBlock);
}
BENCHMARK(BM_Read4k);

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  std::string tmpfs_dir;
  for (int i = 1; i < argc; i++) {
    std::string arg = argv[i];
    if (arg.rfind("--dir=", 0) == 0) {
      g_dir = arg.substr(6);
    } else if (arg.rfind("--tmpfs-dir=", 0) == 0) {
      tmpfs_dir = arg.substr(12);
    } else {
      fprintf(stderr, "runsc-gbench-syscall: unknown argument %s\n", argv[i]);
      return 2;
    }
  }
  runsc_bench::SetFsDirs(g_dir, tmpfs_dir);
  runsc_bench::RegisterNotifFloors();  // last: see the top
  benchmark::RunSpecifiedBenchmarks();
  runsc_bench::CleanUpFsDirs();
  benchmark::Shutdown();
  return 0;
}
