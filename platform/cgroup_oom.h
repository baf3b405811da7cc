// OOM notification for a container's cgroup: an eventfd registered on
// memory.oom_control (v1), or inotify on memory.events (v2).
#ifndef RUNSC_PLATFORM_CGROUP_OOM_H_
#define RUNSC_PLATFORM_CGROUP_OOM_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "platform/cgroups.h"
#include "platform/unique_fd.h"

namespace platform {

// Becomes readable (poll POLLIN on fd()) when the cgroup may have OOMed;
// Consume() then says how many OOM events happened.
class OomNotifier {
 public:
  // Registers with the cgroup's memory controller.
  static absl::StatusOr<OomNotifier> Open(const Cgroup& cgroup);
  // The fd to poll for POLLIN.
  int fd() const { return fd_.get(); }
  // Drains the fd; the number of new OOM events (0 for a spurious wakeup).
  uint64_t Consume();

 private:
  UniqueFd fd_;
  UniqueFd control_;         // v1: memory.oom_control, kept open
  std::string events_path_;  // v2: memory.events
  uint64_t last_count_ = 0;  // v2: oom count seen so far
};

// The "oom_kill"/"oom" count of a v2 memory.events text (max of the two).
uint64_t OomCountFromEvents(const std::string& text);

}  // namespace platform

#endif  // RUNSC_PLATFORM_CGROUP_OOM_H_
