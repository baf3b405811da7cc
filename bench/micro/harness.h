// harness: a tiny self-contained timing harness for the static in-container micro benchmarks.
//
// Google Benchmark ships no static library on Debian 12 (only libbenchmark.so), and the
// benchmark binary must run inside a busybox rootfs, so this harness reports what Google
// Benchmark would: per repetition the ns/op of a calibrated batch; the driver (scripts/bench)
// pools repetitions over rounds and prints the median and the spread.
#ifndef RUNSC_BENCH_MICRO_HARNESS_H_
#define RUNSC_BENCH_MICRO_HARNESS_H_

#include <stdint.h>

// Shared, read-only state of one benchmark run.
struct BenchContext {
  const char* dir;        // writable scratch directory (host-backed storage)
  const char* true_path;  // the program fork+exec runs (a static `true`)
};

// Runs `iters` operations and returns the nanoseconds they took (setup and cleanup excluded),
// or a negative errno when the operation is not possible here.
typedef int64_t (*BenchFn)(const struct BenchContext* ctx, uint64_t iters);

// One row of the micro table.
struct Benchmark {
  const char* name;  // short stable name, used as the row key by scripts/bench
  BenchFn fn;
};

// Timing parameters of a run.
struct HarnessOptions {
  int repetitions;      // timed batches per benchmark
  int64_t target_ns;    // wall time one batch should take
  uint64_t max_iters;   // cap on the batch size (1 makes a smoke run)
};

// Monotonic clock in nanoseconds.
int64_t NowNs(void);

// Calibrates and runs `bench`; prints "micro\t<name>\t<ns/op>" per repetition, or
// "skip\t<name>\t<errno name>" when it cannot run. Returns 0, or 1 on skip.
int RunBenchmark(const struct Benchmark* bench, const struct BenchContext* ctx,
                 const struct HarnessOptions* options);

// The benchmarks of syscall_benches.c, process_benches.c and notif_bench.c; each list ends
// with a {NULL, NULL} entry.
extern const struct Benchmark kSyscallBenchmarks[];
extern const struct Benchmark kProcessBenchmarks[];
extern const struct Benchmark kNotifBenchmarks[];

#endif  // RUNSC_BENCH_MICRO_HARNESS_H_
