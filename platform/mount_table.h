// The mount table of a process (/proc/<pid>/mountinfo), parsed.
#ifndef RUNSC_PLATFORM_MOUNT_TABLE_H_
#define RUNSC_PLATFORM_MOUNT_TABLE_H_

#include <istream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace platform {

// One line of mountinfo, paths unescaped (\040 -> ' ').
struct MountEntry {
  std::string root;           // the mounted directory within its filesystem
  std::string mount_point;    // relative to the reader's root
  std::string mount_options;  // per-mount: "rw,nosuid,relatime"
  std::string fs_type;
  std::string super_options;  // per-superblock
  bool read_only() const;     // "ro" among mount_options
};

// Parses mountinfo text; malformed lines are skipped.
std::vector<MountEntry> ParseMountTable(std::istream& text);

// Reads "<dir>/mountinfo" beneath `proc_dir_fd` (e.g. "thread-self" of a
// /proc fd kept across pivot_root, or "self").
absl::StatusOr<std::vector<MountEntry>> ReadMountTable(int proc_fd, const std::string& dir);

// The mounts at `path` or beneath it, one per mount point: the last one
// mounted there (the one a walk reaches; a mount stacked on another hides
// it). In mount order.
std::vector<MountEntry> VisibleMountsUnder(const std::vector<MountEntry>& table, const std::string& path);

}  // namespace platform

#endif  // RUNSC_PLATFORM_MOUNT_TABLE_H_
