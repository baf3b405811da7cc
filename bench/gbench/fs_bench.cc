// fs_bench: the calls runsc brokers to the gofer, and the native-path calls beside them, in a
// scratch directory made under --dir (the rootfs: host-backed, so under runsc every mutation
// traps to the sentry, which has the gofer do it) and under --tmpfs-dir (a tmpfs mount of the
// bundle; natively a tmpfs that gbench.sh mounts in the chroot). Rows, each /rootfs and /tmpfs:
//   BM_CreateWrite4k  open(O_CREAT|O_EXCL|O_WRONLY) of a new file + write 4 KiB + close. The
//                     files are unlinked in batches of kBatch with the timer paused.
//   BM_MkdirRmdir     mkdir + rmdir of one directory: one op is the PAIR (two brokered calls).
//   BM_Rename         rename a -> b, then b -> a on the next iteration: one op is ONE rename.
//   BM_Unlink         unlink of an empty file; the files are made in batches of kBatch with the
//                     timer paused.
//   BM_FsStat         stat of a file in the scratch directory (native path under runsc).
//   BM_OpenRdonly     open(O_RDONLY) + close of that file (native path: the filter's argument
//                     check on the flags lets it through).
// Every row uses real time to size its iterations: a trapped call is mostly spent outside the
// calling thread, so its CPU time would make Google Benchmark run it for far too long.
#include "fs_bench.h"

#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

namespace runsc_bench {
namespace {

enum class Where { kRootfs, kTmpfs };

constexpr int kBatch = 256;       // files made or removed per paused stretch
constexpr size_t kWriteSize = 4096;

std::string g_parent[2];   // --dir, --tmpfs-dir
std::string g_scratch[2];  // made lazily under g_parent
std::string g_error[2];    // why the scratch directory could not be made

std::string ErrnoText(const std::string& what, int err) { return what + ": " + strerror(err); }

// The scratch directory under `where`'s parent (made once), or "" with the cause in g_error.
const std::string& Scratch(Where where) {
  const int i = static_cast<int>(where);
  if (!g_scratch[i].empty() || !g_error[i].empty()) return g_scratch[i];
  if (g_parent[i].empty()) {
    g_error[i] = where == Where::kTmpfs ? "no --tmpfs-dir given" : "no --dir given";
    return g_scratch[i];
  }
  std::string dir = g_parent[i] + "/runsc-gbench-fs." + std::to_string(getpid());
  if (mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
    g_error[i] = ErrnoText("mkdir " + dir, errno);
  } else {
    g_scratch[i] = std::move(dir);
  }
  return g_scratch[i];
}

// `dir`/`prefix``n` in `buf`.
void Name(char (&buf)[PATH_MAX], const std::string& dir, const char* prefix, int n) {
  snprintf(buf, sizeof(buf), "%s/%s%d", dir.c_str(), prefix, n);
}

// Creates empty files prefix0..prefix(count-1); returns 0 or an errno.
int MakeFiles(const std::string& dir, const char* prefix, int count) {
  char path[PATH_MAX];
  for (int n = 0; n < count; n++) {
    Name(path, dir, prefix, n);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return errno;
    close(fd);
  }
  return 0;
}

// Unlinks prefix`from`..prefix(to-1), ignoring errors (best effort).
void RemoveFiles(const std::string& dir, const char* prefix, int from, int to) {
  char path[PATH_MAX];
  for (int n = from; n < to; n++) {
    Name(path, dir, prefix, n);
    unlink(path);
  }
}

// The scratch directory, or "" after reporting why on `state`.
const std::string& ScratchOrSkip(benchmark::State& state, Where where) {
  const std::string& dir = Scratch(where);
  if (dir.empty()) state.SkipWithError(g_error[static_cast<int>(where)].c_str());
  return dir;
}

void BM_CreateWrite4k(benchmark::State& state, Where where) {
  const std::string& dir = ScratchOrSkip(state, where);
  if (dir.empty()) return;
  RemoveFiles(dir, "c", 0, kBatch);  // a previous repetition's, if it stopped early
  std::vector<char> block(kWriteSize, 'w');
  char path[PATH_MAX];
  int n = 0;
  for (auto _ : state) {
    Name(path, dir, "c", n);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) {
      state.SkipWithError(ErrnoText("open(O_CREAT)", errno).c_str());
      break;
    }
    ssize_t written = write(fd, block.data(), block.size());
    close(fd);
    if (written != static_cast<ssize_t>(block.size())) {
      state.SkipWithError(ErrnoText("write", errno).c_str());
      break;
    }
    if (++n == kBatch) {
      state.PauseTiming();
      RemoveFiles(dir, "c", 0, n);
      n = 0;
      state.ResumeTiming();
    }
  }
  RemoveFiles(dir, "c", 0, kBatch);
}

void BM_MkdirRmdir(benchmark::State& state, Where where) {
  const std::string& dir = ScratchOrSkip(state, where);
  if (dir.empty()) return;
  const std::string path = dir + "/d";
  rmdir(path.c_str());
  for (auto _ : state) {
    if (mkdir(path.c_str(), 0755) != 0) {
      state.SkipWithError(ErrnoText("mkdir", errno).c_str());
      break;
    }
    if (rmdir(path.c_str()) != 0) {
      state.SkipWithError(ErrnoText("rmdir", errno).c_str());
      break;
    }
  }
}

void BM_Rename(benchmark::State& state, Where where) {
  const std::string& dir = ScratchOrSkip(state, where);
  if (dir.empty()) return;
  std::string from = dir + "/a", to = dir + "/b";
  unlink(to.c_str());
  int fd = open(from.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    state.SkipWithError(ErrnoText("create the file", errno).c_str());
    return;
  }
  close(fd);
  for (auto _ : state) {
    if (rename(from.c_str(), to.c_str()) != 0) {
      state.SkipWithError(ErrnoText("rename", errno).c_str());
      break;
    }
    std::swap(from, to);
  }
  unlink(from.c_str());
}

void BM_Unlink(benchmark::State& state, Where where) {
  const std::string& dir = ScratchOrSkip(state, where);
  if (dir.empty()) return;
  if (int err = MakeFiles(dir, "u", kBatch); err != 0) {
    state.SkipWithError(ErrnoText("create the files", err).c_str());
    return;
  }
  char path[PATH_MAX];
  int n = 0;
  for (auto _ : state) {
    if (n == kBatch) {
      state.PauseTiming();
      int err = MakeFiles(dir, "u", kBatch);
      n = 0;
      state.ResumeTiming();
      if (err != 0) {
        state.SkipWithError(ErrnoText("create the files", err).c_str());
        break;
      }
    }
    Name(path, dir, "u", n++);
    if (unlink(path) != 0) {
      state.SkipWithError(ErrnoText("unlink", errno).c_str());
      break;
    }
  }
  RemoveFiles(dir, "u", n, kBatch);
}

// The file the stat and open rows use (made once, outside the timing), or "" after skipping.
std::string StatFileOrSkip(benchmark::State& state, Where where) {
  const std::string& dir = ScratchOrSkip(state, where);
  if (dir.empty()) return "";
  std::string path = dir + "/s";
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    state.SkipWithError(ErrnoText("create the file", errno).c_str());
    return "";
  }
  close(fd);
  return path;
}

void BM_FsStat(benchmark::State& state, Where where) {
  const std::string path = StatFileOrSkip(state, where);
  if (path.empty()) return;
  struct stat st;
  for (auto _ : state) {
    if (stat(path.c_str(), &st) != 0) {
      state.SkipWithError(ErrnoText("stat", errno).c_str());
      break;
    }
    benchmark::ClobberMemory();
  }
}

void BM_OpenRdonly(benchmark::State& state, Where where) {
  const std::string path = StatFileOrSkip(state, where);
  if (path.empty()) return;
  for (auto _ : state) {
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      state.SkipWithError(ErrnoText("open(O_RDONLY)", errno).c_str());
      break;
    }
    close(fd);
  }
}

#define RUNSC_FS_BENCH(fn)                                    \
  BENCHMARK_CAPTURE(fn, rootfs, Where::kRootfs)->UseRealTime(); \
  BENCHMARK_CAPTURE(fn, tmpfs, Where::kTmpfs)->UseRealTime()

RUNSC_FS_BENCH(BM_CreateWrite4k);
RUNSC_FS_BENCH(BM_MkdirRmdir);
RUNSC_FS_BENCH(BM_Rename);
RUNSC_FS_BENCH(BM_Unlink);
RUNSC_FS_BENCH(BM_FsStat);
RUNSC_FS_BENCH(BM_OpenRdonly);

}  // namespace

void SetFsDirs(std::string rootfs_dir, std::string tmpfs_dir) {
  g_parent[0] = std::move(rootfs_dir);
  g_parent[1] = std::move(tmpfs_dir);
}

std::string FsScratchDir(bool tmpfs, std::string& error) {
  const Where where = tmpfs ? Where::kTmpfs : Where::kRootfs;
  const std::string& dir = Scratch(where);
  if (dir.empty()) error = g_error[static_cast<int>(where)];
  return dir;
}

void CleanUpFsDirs() {
  for (const std::string& dir : g_scratch) {
    if (dir.empty()) continue;
    for (const char* name : {"/s", "/floor-a", "/floor-b"}) unlink((dir + name).c_str());
    rmdir(dir.c_str());
  }
}

}  // namespace runsc_bench
