// What the workload reads about its mounts (DESIGN.md: "the read-only view is
// invisible"): the mounts the container may write are read-only in its view
// (the init made them so; ContainerView::writable_mounts), and statfs and
// the mount tables must show them as a writable mount shows. Every other
// flag, and every other mount, stays exactly the kernel's.
//
// Threading: the functions are pure; WritableMounts is thread-safe.
#ifndef RUNSC_SENTRY_MOUNT_VIEW_H_
#define RUNSC_SENTRY_MOUNT_VIEW_H_

#include <sys/types.h>

#include <cstdint>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "platform/platform.h"

namespace sentry {

// The ids (mountinfo's first field, statx's STATX_MNT_ID) of the mounts at
// `destinations` in `mountinfo` (the workload's table): for each, the last
// mount at that mount point whose per-mount options say "ro" (the init made
// exactly that one read-only: never a subtree).
std::set<uint64_t> WritableMountIds(
    std::string_view mountinfo, const std::vector<std::string>& destinations);

// `mountinfo` (the text of /proc/<pid>/mountinfo) with the per-mount "ro" of
// the mounts in `ids` shown as "rw"; every other byte as it was.
std::string ShowMountinfoWritable(std::string_view mountinfo,
                                  const std::set<uint64_t>& ids);

// `mounts` (the text of /proc/<pid>/mounts, read together with `mountinfo`
// of the same process: the kernel lists the same mounts in the same order)
// with the leading "ro" of the mounts in `ids` shown as "rw". A line whose
// mount point differs from mountinfo's line at the same index is left as
// it is (the tables were read at different times).
std::string ShowMountsWritable(std::string_view mounts,
                               std::string_view mountinfo,
                               const std::set<uint64_t>& ids);

// The container's writable mounts of the workload's view, by mount id.
// The workload cannot mount (the mount family is denied and it gets no new
// mount namespace), so its table is read once and kept.
class WritableMounts {
 public:
  explicit WritableMounts(std::vector<std::string> destinations)
      : destinations_(std::move(destinations)) {}

  // True when the container has none (nothing to show differently).
  bool empty() const { return destinations_.empty(); }

  // The ids, read from /proc/<tid>/mountinfo of a trapped caller the first
  // time. Invariant (rule 1 for caller state): kept only once
  // `memory.CheckLive()` has confirmed that `tid` was the caller's while it
  // was read (a reused tid would feed another process's table).
  absl::StatusOr<std::set<uint64_t>> Ids(pid_t tid,
                                         platform::RemoteMemory& memory);

 private:
  const std::vector<std::string> destinations_;
  std::mutex mutex_;
  std::optional<std::set<uint64_t>> ids_;  // guarded by mutex_
};

// The text of `path` (a /proc file: read until a read returns 0).
absl::StatusOr<std::string> ReadProcText(const std::string& path);

}  // namespace sentry

#endif  // RUNSC_SENTRY_MOUNT_VIEW_H_
