// The emulated calls (DESIGN.md's "emulate" row): answers that show the
// container, not the host.
#ifndef RUNSC_SENTRY_EMULATION_H_
#define RUNSC_SENTRY_EMULATION_H_

#include <sys/sysinfo.h>
#include <sys/utsname.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "platform/cgroups.h"
#include "platform/platform.h"
#include "sentry/config.h"
#include "sentry/mount_view.h"

namespace sentry {

class Emulator;

// How the sentry answers one emulate row: a method of the Emulator.
struct EmulateHandler {
  std::string_view name;
  platform::CallResult (Emulator::*handle)(const platform::TrappedCall& call, platform::RemoteMemory& memory) const;
};

// The handler of emulated syscall `name`, or nullptr when the sentry has none
// (the table's rows carry it: SyscallEntry::emulate).
const EmulateHandler* FindEmulateHandler(std::string_view name);

// Computes emulated answers. Thread-safe (handlers run on worker threads).
class Emulator {
 public:
  // `cgroup` is the container's (for sysinfo); the sentry must already be in
  // the container's uts namespace (uname reads it live, so a sethostname in
  // the container shows).
  Emulator(const SandboxConfig& config, const ContainerView& view, std::optional<platform::Cgroup> cgroup);

  // uname(2): the kernel's answer in the container's uts namespace, with the
  // configured release. (Handle lets the kernel answer when none is set.)
  struct utsname Uname() const;
  // sysinfo(2): memory from the cgroup's limit and usage, procs from its
  // process count, uptime since the container's init started; with the
  // virtual /proc, the loads scaled to the visible CPUs as /proc/loadavg
  // shows them; the rest (swap, high memory) is the host's.
  struct sysinfo Sysinfo() const;
  // The host CPUs the container is shown (platform/cpu_view.h); empty
  // without a cgroup.
  std::vector<uint64_t> VisibleCpus() const;

  // Answers one trapped call of an emulate row with the row's handler.
  platform::CallResult Handle(const EmulateHandler& handler, const platform::TrappedCall& call,
                              platform::RemoteMemory& memory) const;

  // The handlers (EmulateHandler::handle), one per emulated syscall.
  platform::CallResult HandleUname(const platform::TrappedCall& call, platform::RemoteMemory& memory) const;
  platform::CallResult HandleSysinfo(const platform::TrappedCall& call, platform::RemoteMemory& memory) const;
  platform::CallResult HandleSchedGetaffinity(const platform::TrappedCall& call, platform::RemoteMemory& memory) const;
  // sethostname and setdomainname.
  platform::CallResult HandleSetName(const platform::TrappedCall& call, platform::RemoteMemory& memory) const;
  // statfs and fstatfs: the kernel's answer, without ST_RDONLY on a mount
  // the container may write (emulation_statfs.cc).
  platform::CallResult HandleStatfs(const platform::TrappedCall& call, platform::RemoteMemory& memory) const;
  platform::CallResult HandleFstatfs(const platform::TrappedCall& call, platform::RemoteMemory& memory) const;

 private:
  platform::CallResult SchedGetaffinity(const platform::TrappedCall& call, platform::RemoteMemory& memory) const;
  platform::CallResult WriteResult(platform::RemoteMemory& memory, uint64_t addr, const void* data,
                                   size_t size) const;
  SandboxConfig config_;
  ContainerView view_;
  std::optional<platform::Cgroup> cgroup_;
  double init_started_ = 0;  // seconds after boot the container's init started
  // The host's online CPUs, read once: not on every sysinfo/sched_getaffinity
  // (CPU hotplug while a container runs is not followed, as with the cpuset).
  std::vector<uint64_t> host_cpus_;
  // The container's writable mounts of the workload's view (statfs).
  std::shared_ptr<WritableMounts> writable_;
};

}  // namespace sentry

#endif  // RUNSC_SENTRY_EMULATION_H_
