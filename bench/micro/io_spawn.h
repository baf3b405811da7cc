// io_spawn: the macro helpers run inside containers: file throughput and timed child commands.
#ifndef RUNSC_BENCH_MICRO_IO_SPAWN_H_
#define RUNSC_BENCH_MICRO_IO_SPAWN_H_

// Writes `mib` MiB to `path` (1 MiB writes, then fsync) and reads it back (page cache warm),
// then removes it. Prints "io\t<label>_write\t<MiB/s>" and the same for _read. Returns 0 or 1.
int RunIo(const char* label, const char* path, int mib);

// Runs argv `count` times (fork, execvp, wait; stdio inherited) and prints
// "spawn\t<label>\t<ms>" per run. Returns 0, or 1 when a run fails.
int RunSpawn(const char* label, int count, char* const argv[]);

#endif  // RUNSC_BENCH_MICRO_IO_SPAWN_H_
