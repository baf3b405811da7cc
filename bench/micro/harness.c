// harness: calibration and reporting (see harness.h).
#define _GNU_SOURCE
#include "harness.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

int64_t NowNs(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

// Prints a skip line for `name` with the errno name of `neg_errno`.
static int Skip(const char* name, int64_t neg_errno) {
  const char* err = strerrorname_np((int)-neg_errno);
  printf("skip\t%s\t%s\n", name, err ? err : "error");
  return 1;
}

// Grows the batch until it takes a tenth of the target, then scales it to the target.
static int64_t Calibrate(const struct Benchmark* bench, const struct BenchContext* ctx,
                         const struct HarnessOptions* options, uint64_t* iters) {
  uint64_t n = 1;
  for (;;) {
    int64_t ns = bench->fn(ctx, n);
    if (ns < 0) return ns;
    if (n >= options->max_iters || ns >= options->target_ns / 10) {
      double per_op = ns > 0 ? (double)ns / (double)n : 1.0;
      double want = (double)options->target_ns / per_op;
      *iters = want < 1 ? 1 : (uint64_t)want;
      if (*iters > options->max_iters) *iters = options->max_iters;
      return 0;
    }
    n *= 8;
  }
}

int RunBenchmark(const struct Benchmark* bench, const struct BenchContext* ctx,
                 const struct HarnessOptions* options) {
  uint64_t iters = 1;
  int64_t rc = Calibrate(bench, ctx, options, &iters);
  if (rc < 0) return Skip(bench->name, rc);
  for (int rep = 0; rep < options->repetitions; rep++) {
    int64_t ns = bench->fn(ctx, iters);
    if (ns < 0) return Skip(bench->name, ns);
    printf("micro\t%s\t%.1f\n", bench->name, (double)ns / (double)iters);
    fflush(stdout);
  }
  return 0;
}
