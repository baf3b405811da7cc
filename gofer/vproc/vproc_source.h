// Where the vproc files' inputs come from at read time: the container's
// cgroup (v1 or v2; each controller dir is probed for its files) and a
// procfs of the host, both held as directory fds opened up front, so the
// source keeps working after the gofer pivot_roots into the container.
//
// Invariant: every file is opened with openat2(RESOLVE_BENEATH |
// RESOLVE_NO_XDEV | RESOLVE_NO_SYMLINKS) below those fds, so a read can never
// cross into a mount, in particular never into our own FUSE files bind-mounted
// over a /proc (which would deadlock the serving thread).
#ifndef RUNSC_GOFER_VPROC_VPROC_SOURCE_H_
#define RUNSC_GOFER_VPROC_VPROC_SOURCE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "gofer/vproc/vproc_files.h"
#include "platform/cgroups.h"
#include "platform/unique_fd.h"

namespace gofer::vproc {

// The container's controller dirs ("" when the host lacks the controller);
// on pure v2 they are all the one cgroup dir.
struct CgroupDirs {
  std::string memory, cpu, cpuacct, cpuset, pids;
};
// The dirs of `cgroup` (platform::Cgroup::ControllerDir).
CgroupDirs DirsOf(const platform::Cgroup& cgroup);

struct SourceOptions {
  // A procfs of the host, in the pid namespace of the serving process (the
  // cgroup's task lists are in that namespace). Not the container's /proc.
  std::string host_proc = "/proc";
  CgroupDirs cgroup;
  // When the container's init started, seconds after boot (CLOCK_BOOTTIME):
  // platform::ProcessStat::start_time / sysconf(_SC_CLK_TCK).
  double init_start_seconds = 0;
};

// Reads MachineInputs snapshots. Thread-compatible; Read is const and may
// run concurrently.
class MachineSource {
 public:
  // Opens the directory fds (call before pivot_root / entering the container).
  // A missing cgroup dir is skipped (no limit of that kind); a missing procfs
  // is an error.
  static absl::StatusOr<std::unique_ptr<MachineSource>> Open(const SourceOptions& options);

  // One snapshot with what `file` needs (other fields left default).
  absl::StatusOr<MachineInputs> Read(VFile file) const;

 private:
  MachineSource() = default;
  void ReadMemory(MachineInputs& in) const;
  void ReadCpu(MachineInputs& in) const;
  void ReadTasks(MachineInputs& in) const;

  platform::UniqueFd proc_, memory_, cpu_, cpuacct_, cpuset_, pids_;
  double init_start_seconds_ = 0;
  std::string boot_id_;  // drawn once in Open (vproc_files.h: boot_id)
};

// Reads a small file below `dir_fd` (see the invariant above); nullopt if
// it cannot be opened or read. At most 4 MiB.
std::optional<std::string> ReadBelow(int dir_fd, const std::string& name);

}  // namespace gofer::vproc

#endif  // RUNSC_GOFER_VPROC_VPROC_SOURCE_H_
