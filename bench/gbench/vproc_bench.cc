// vproc_bench: what reading a virtual /proc file costs, natively, under runc (procfs) and under
// runsc (the gofer's FUSE file, generated from the cgroup at each open; DESIGN.md and
// gofer/vproc): BM_ReadProcMeminfo opens /proc/meminfo, reads it to EOF in 4 KiB reads (as cat and
// free do) and closes it.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace {

void BM_ReadProcMeminfo(benchmark::State& state) {
  char buffer[4096];
  size_t bytes = 0;
  for (auto _ : state) {
    int fd = open("/proc/meminfo", O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      state.SkipWithError((std::string("open /proc/meminfo: ") + strerror(errno)).c_str());
      return;
    }
    for (ssize_t n; (n = read(fd, buffer, sizeof(buffer))) > 0;) bytes += static_cast<size_t>(n);
    close(fd);
  }
  benchmark::DoNotOptimize(bytes);
}
BENCHMARK(BM_ReadProcMeminfo);

}  // namespace
