// MountInRoot: the spec's mounts, created and mounted fd-relative beneath the
// rootfs (see the security invariant at the top of rootfs.cc: destinations
// are only resolved by MkdirAllInRoot/CreateFileInRoot/OpenInRoot, and
// mount(2) is given "/proc/self/fd/N" of the resolved O_PATH fd).
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "fmt/format.h"
#include "platform/copy_tree.h"
#include "platform/errors.h"
#include "platform/mount_attrs.h"
#include "platform/mount_table.h"
#include "platform/rootfs.h"
#include "platform/rootfs_internal.h"
#include "platform/status_macros.h"

namespace platform {
namespace {

using internal::ProcFdPath;

constexpr unsigned long kPropagationFlags = MS_SHARED | MS_SLAVE | MS_PRIVATE | MS_UNBINDABLE;

// Mounts `target_fd`'s mount (re-resolved: the fd names the covered dir) with
// the requested propagation, in a separate mount(2) call as the kernel needs.
absl::Status ApplyPropagation(int root_fd, const std::string& destination,
                              unsigned long propagation) {
  if (propagation == 0) return absl::OkStatus();
  ASSIGN_OR_RETURN(UniqueFd mounted, OpenInRoot(root_fd, destination, O_PATH));
  if (mount(nullptr, ProcFdPath(mounted.get()).c_str(), nullptr, propagation, nullptr) != 0) {
    return LastError("setting propagation");
  }
  return absl::OkStatus();
}

// Bind-remounts the freshly mounted `destination` with the per-mount flags of
// `flags` (ro, nosuid, ...), which a plain MS_BIND ignores.
absl::Status RemountWithFlags(int root_fd, const std::string& destination, unsigned long flags) {
  flags &= ~(MS_BIND | MS_REC | MS_REMOUNT | kPropagationFlags);
  if (flags == 0) return absl::OkStatus();
  ASSIGN_OR_RETURN(UniqueFd mounted, OpenInRoot(root_fd, destination, O_PATH));
  return internal::BindRemount(ProcFdPath(mounted.get()), flags);
}

absl::Status MountBind(int root_fd, const std::string& destination, const MountRequest& request) {
  UniqueFd source(open(request.source.c_str(), O_PATH | O_CLOEXEC));
  if (!source.valid()) return LastError(fmt::format("opening bind source {}", request.source));
  struct stat info {};
  if (fstat(source.get(), &info) != 0) return LastError("stat of the bind source");
  absl::StatusOr<UniqueFd> target = S_ISDIR(info.st_mode)
                                        ? MkdirAllInRoot(root_fd, destination, 0755)
                                        : CreateFileInRoot(root_fd, destination, 0644);
  if (!target.ok()) return target.status();
  if (mount(ProcFdPath(source.get()).c_str(), ProcFdPath(target->get()).c_str(), nullptr,
            MS_BIND | (request.flags & MS_REC), nullptr) != 0) {
    return LastError(fmt::format("bind mounting {}", request.source));
  }
  RETURN_IF_ERROR(RemountWithFlags(root_fd, destination, request.flags));
  return ApplyPropagation(root_fd, destination, request.propagation);
}

// tmpcopyup: what the covered directory `covered` held goes into the new
// mount at `destination`, which becomes read-only afterwards if asked.
absl::Status CopyUp(int root_fd, const std::string& destination, int covered, unsigned long flags) {
  ASSIGN_OR_RETURN(UniqueFd mounted, OpenInRoot(root_fd, destination, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  RETURN_IF_ERROR(Annotate(CopyTree(covered, mounted.get()), "tmpcopyup"));
  if (!(flags & MS_RDONLY)) return absl::OkStatus();
  return internal::BindRemount(ProcFdPath(mounted.get()), MS_RDONLY);
}

absl::Status MountFilesystem(int root_fd, const std::string& destination,
                             const MountRequest& request) {
  ASSIGN_OR_RETURN(UniqueFd target, MkdirAllInRoot(root_fd, destination, 0755));
  UniqueFd covered;
  if (request.copy_up) {
    covered.reset(openat(target.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!covered.valid()) return LastError("tmpcopyup: opening the covered directory");
  }
  unsigned long flags = request.flags & ~(MS_REMOUNT | MS_BIND | kPropagationFlags);
  if (request.copy_up) flags &= ~MS_RDONLY;  // read-only only once filled
  if (mount(request.source.c_str(), ProcFdPath(target.get()).c_str(), request.type.c_str(), flags,
            request.data.empty() ? nullptr : request.data.c_str()) != 0) {
    return LastError("mount");
  }
  if (request.copy_up) RETURN_IF_ERROR(CopyUp(root_fd, destination, covered.get(), request.flags));
  return ApplyPropagation(root_fd, destination, request.propagation);
}

// --- cgroup mounts ---------------------------------------------------------

// One line of /proc/self/cgroup: "4:memory:/a/b" or "0::/a/b".
struct CgroupLine {
  std::string controllers, path;
};

absl::StatusOr<std::vector<CgroupLine>> ReadOwnCgroups() {
  std::ifstream file("/proc/self/cgroup");
  if (!file) return absl::InternalError("reading /proc/self/cgroup");
  std::vector<CgroupLine> lines;
  for (std::string line; std::getline(file, line);) {
    size_t first = line.find(':');
    size_t second = line.find(':', first + 1);
    if (first == std::string::npos || second == std::string::npos) continue;
    lines.push_back({line.substr(first + 1, second - first - 1), line.substr(second + 1)});
  }
  return lines;
}

std::set<std::string> SplitCommas(const std::string& text) {
  std::set<std::string> items;
  std::istringstream in(text);
  for (std::string item; std::getline(in, item, ',');) items.insert(item);
  return items;
}

// The host directory of this process's cgroup in the hierarchy `mount`
// (cgroup v1, or the cgroup2 of a hybrid host); the mount point itself when
// the process's cgroup is not visible below it.
std::string OwnCgroupDir(const MountEntry& mount, const std::vector<CgroupLine>& cgroups) {
  std::set<std::string> options = SplitCommas(mount.super_options);
  for (const CgroupLine& line : cgroups) {
    bool match = mount.fs_type == "cgroup2" ? line.controllers.empty() : !line.controllers.empty();
    for (const std::string& controller : SplitCommas(line.controllers)) {
      match = match && options.count(controller) > 0;
    }
    if (!match) continue;
    std::string relative = line.path;
    if (mount.root != "/") {
      if (relative.rfind(mount.root, 0) != 0) return mount.mount_point;
      relative = relative.substr(mount.root.size());
    }
    return mount.mount_point + relative;
  }
  return mount.mount_point;
}

// For "cpu,cpuacct" adds the links cpu -> cpu,cpuacct and cpuacct -> cpu,cpuacct.
absl::Status LinkComountedControllers(int root_fd, const std::string& destination,
                                      const std::string& name) {
  if (name.find(',') == std::string::npos) return absl::OkStatus();
  ASSIGN_OR_RETURN(UniqueFd dir, OpenInRoot(root_fd, destination, O_PATH | O_DIRECTORY));
  for (const std::string& controller : SplitCommas(name)) {
    if (symlinkat(name.c_str(), dir.get(), controller.c_str()) != 0 && errno != EEXIST) {
      return LastError(fmt::format("linking {} to {}", controller, name));
    }
  }
  return absl::OkStatus();
}

// True when we are in a cgroup namespace rooted below this hierarchy's
// root: the kernel then shows the host mount's root as "/.." (relative to
// our namespace's root). (/proc/1/ns/cgroup, the obvious reference, may be
// unreadable when the host's init is guarded.)
bool InOwnCgroupNamespace(const MountEntry& mount) { return mount.root.rfind("/..", 0) == 0; }

// The mount data naming a v1 hierarchy's controllers ("pids", "cpu,cpuacct",
// "none,name=systemd"), from its super options.
std::string HierarchyData(const MountEntry& mount) {
  static const std::set<std::string> kNotControllers = {
      "rw", "ro", "clone_children", "noprefix", "xattr", "cpuset_v2_mode", "nsdelegate",
      "memory_recursiveprot", "memory_localevents", "favordynmods"};
  std::string data;
  for (const std::string& option : SplitCommas(mount.super_options)) {
    if (kNotControllers.count(option) || option.rfind("release_agent=", 0) == 0) continue;
    if (option.rfind("name=", 0) == 0 && data.empty()) data = "none";
    data += (data.empty() ? "" : ",") + option;
  }
  return data;
}

// One hierarchy inside the container's cgroup mount. In a cgroup namespace
// a fresh cgroup filesystem is mounted: its root is the namespace's root,
// the container's own cgroup, as with runc. Without one, the container's
// cgroup directory of the host is bound in.
absl::Status MountHierarchy(int root_fd, const std::string& target, const MountEntry& mount,
                            const std::vector<CgroupLine>& cgroups, unsigned long flags) {
  if (InOwnCgroupNamespace(mount)) {
    MountRequest fresh{"cgroup", mount.fs_type, MS_NOSUID | MS_NODEV | MS_NOEXEC | (flags & MS_RDONLY), 0,
                       mount.fs_type == "cgroup2" ? "" : HierarchyData(mount)};
    return Annotate(MountFilesystem(root_fd, target, fresh), fmt::format("mounting {}", mount.mount_point));
  }
  MountRequest bind{OwnCgroupDir(mount, cgroups), "bind", MS_BIND | MS_REC | flags, 0, ""};
  return Annotate(MountBind(root_fd, target, bind), fmt::format("binding {}", bind.source));
}

// Hybrid or v1 host: a tmpfs holding each hierarchy of the container.
absl::Status MountCgroupV1(int root_fd, const std::string& destination,
                           const MountRequest& request, const std::vector<MountEntry>& mounts) {
  MountRequest tmpfs{"tmpfs", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, 0, "mode=755"};
  RETURN_IF_ERROR(MountFilesystem(root_fd, destination, tmpfs));
  ASSIGN_OR_RETURN(std::vector<CgroupLine> cgroups, ReadOwnCgroups());
  for (const MountEntry& mount : mounts) {
    if (mount.fs_type != "cgroup" && mount.fs_type != "cgroup2") continue;
    if (mount.mount_point.rfind("/sys/fs/cgroup/", 0) != 0) continue;
    std::string name = mount.mount_point.substr(mount.mount_point.rfind('/') + 1);
    RETURN_IF_ERROR(MountHierarchy(root_fd, destination + "/" + name, mount, cgroups,
                                   request.flags & ~kPropagationFlags));
    RETURN_IF_ERROR(LinkComountedControllers(root_fd, destination, name));
  }
  if (request.flags & MS_RDONLY) RETURN_IF_ERROR(RemountWithFlags(root_fd, destination, MS_RDONLY));
  return ApplyPropagation(root_fd, destination, request.propagation);
}

absl::Status MountCgroup(int root_fd, const std::string& destination,
                         const MountRequest& request) {
  ASSIGN_OR_RETURN(std::vector<MountEntry> mounts, ReadMountTable(AT_FDCWD, "/proc/self"));
  bool unified = false;
  for (const MountEntry& mount : mounts) {
    if (mount.mount_point == "/sys/fs/cgroup") unified = mount.fs_type == "cgroup2";
  }
  if (!unified) return MountCgroupV1(root_fd, destination, request, mounts);
  MountRequest cgroup2 = request;
  cgroup2.source = "cgroup";
  cgroup2.type = "cgroup2";
  return MountFilesystem(root_fd, destination, cgroup2);
}

// The mount at `destination` as MountRequest says, before its recursive attributes.
absl::Status MountOne(int root_fd, const std::string& destination, const MountRequest& request) {
  if (request.type == "cgroup") return MountCgroup(root_fd, destination, request);
  if (request.flags & MS_BIND || request.type == "bind") return MountBind(root_fd, destination, request);
  return MountFilesystem(root_fd, destination, request);
}

}  // namespace

absl::Status MountInRoot(int root_fd, std::string_view destination, const MountRequest& request) {
  std::string dest(destination);
  std::string context = fmt::format("mounting {} on {}", request.type, dest);
  RETURN_IF_ERROR(Annotate(MountOne(root_fd, dest, request), context));
  if (request.recursive_set == 0 && request.recursive_clear == 0) return absl::OkStatus();
  // runc's rro, rnosuid, ...: the spec's own attributes for this mount and every mount beneath
  // it, applied before the read-only view is made (which then leaves an rro mount read-only for
  // the gofer too).
  return Annotate(ChangeMountAttrs(root_fd, {{dest, true}}, {request.recursive_set, request.recursive_clear}),
                  context);
}

}  // namespace platform
