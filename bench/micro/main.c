// runsc-bench-micro: the static benchmark program run natively and inside containers.
//
// Usage:
//   runsc-bench-micro micro [--dir D] [--true PATH] [--reps N] [--target-ms MS] [--smoke]
//                           [--filter SUBSTRING]
//   runsc-bench-micro io LABEL PATH MIB
//   runsc-bench-micro spawn LABEL COUNT ARGV...
// Output is tab-separated lines "<kind>\t<name>\t<value>" that scripts/bench collects.
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "io_spawn.h"

// Parsed arguments of the `micro` command.
struct MicroArgs {
  struct BenchContext ctx;
  struct HarnessOptions options;
  const char* filter;
};

// Parses `micro` flags; returns 0, or 2 on a usage error.
static int ParseMicroArgs(int argc, char** argv, struct MicroArgs* args) {
  *args = (struct MicroArgs){{"/tmp", "/bin/true"}, {3, 30 * 1000 * 1000, 1u << 30}, NULL};
  for (int i = 0; i < argc; i++) {
    const char* flag = argv[i];
    if (!strcmp(flag, "--smoke")) {
      args->options = (struct HarnessOptions){1, 1, 1};
      continue;
    }
    if (i + 1 >= argc) return 2;
    const char* value = argv[++i];
    if (!strcmp(flag, "--dir")) args->ctx.dir = value;
    else if (!strcmp(flag, "--true")) args->ctx.true_path = value;
    else if (!strcmp(flag, "--reps")) args->options.repetitions = atoi(value);
    else if (!strcmp(flag, "--target-ms")) args->options.target_ns = atoll(value) * 1000000;
    else if (!strcmp(flag, "--filter")) args->filter = value;
    else return 2;
  }
  return 0;
}

// Runs every benchmark whose name contains the filter; returns the number skipped (capped).
static int RunMicro(int argc, char** argv) {
  struct MicroArgs args;
  if (ParseMicroArgs(argc, argv, &args)) {
    fprintf(stderr, "micro: bad arguments\n");
    return 2;
  }
  const struct Benchmark* lists[] = {kSyscallBenchmarks, kProcessBenchmarks, kNotifBenchmarks};
  int skipped = 0;
  for (size_t l = 0; l < sizeof(lists) / sizeof(lists[0]); l++) {
    for (const struct Benchmark* b = lists[l]; b->name; b++) {
      if (args.filter && !strstr(b->name, args.filter)) continue;
      skipped += RunBenchmark(b, &args.ctx, &args.options);
    }
  }
  return skipped ? 1 : 0;
}

int main(int argc, char** argv) {
  if (argc >= 2 && !strcmp(argv[1], "micro")) return RunMicro(argc - 2, argv + 2);
  if (argc == 5 && !strcmp(argv[1], "io")) return RunIo(argv[2], argv[3], atoi(argv[4]));
  if (argc >= 5 && !strcmp(argv[1], "spawn")) return RunSpawn(argv[2], atoi(argv[3]), argv + 4);
  fprintf(stderr, "usage: %s micro [flags] | io LABEL PATH MIB | spawn LABEL COUNT ARGV...\n",
          argv[0]);
  return 2;
}
