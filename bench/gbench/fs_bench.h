// fs_bench: Google Benchmark rows for the calls runsc brokers to the gofer (create, mkdir,
// rename, unlink) and the native-path calls beside them (stat, open read-only), in a directory
// on the container's rootfs and, optionally, on a tmpfs mount. See fs_bench.cc.
#ifndef RUNSC_BENCH_GBENCH_FS_BENCH_H_
#define RUNSC_BENCH_GBENCH_FS_BENCH_H_

#include <string>

namespace runsc_bench {

// Sets the parent directories of the rows' scratch directories: `rootfs_dir` (on the rootfs,
// host-backed) and `tmpfs_dir` (on a tmpfs mount; empty: the tmpfs rows report an error).
// Call before benchmark::RunSpecifiedBenchmarks.
void SetFsDirs(std::string rootfs_dir, std::string tmpfs_dir);

// The scratch directory of the /rootfs (tmpfs=false) or /tmpfs rows, made on first use; "" with
// the cause in `error` when it cannot be.
std::string FsScratchDir(bool tmpfs, std::string& error);

// Removes the scratch directories the rows made (best effort).
void CleanUpFsDirs();

}  // namespace runsc_bench

#endif  // RUNSC_BENCH_GBENCH_FS_BENCH_H_
