// The gofer process, as a checklist of one call per kernel concern.
#include "gofer/gofer.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <malloc.h>
#include <sched.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <thread>

#include "fmt/format.h"
#include "gofer/server/server.h"
#include "gofer/virtual_proc.h"
#include "platform/errors.h"
#include "platform/process_attrs.h"
#include "platform/status_macros.h"
#include "platform/sync_channel.h"
#include "platform/unique_fd.h"
#include "spdlog/spdlog.h"

namespace gofer {
namespace {

// The init's pid, from the "Pid:" line of our pidfd's fdinfo.
absl::StatusOr<pid_t> PidOfPidfd(int pidfd) {
  std::string path = fmt::format("/proc/self/fdinfo/{}", pidfd);
  std::ifstream in(path);
  if (!in) return platform::LastError(fmt::format("reading {}", path));
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("Pid:", 0) == 0) {
      pid_t pid = static_cast<pid_t>(std::stol(line.substr(4)));
      if (pid <= 0) return absl::FailedPreconditionError("the container's init has exited");
      return pid;
    }
  }
  return absl::InvalidArgumentError(fmt::format("{}: no Pid line (not a pidfd?)", path));
}

absl::StatusOr<ino_t> UserNamespaceOf(const std::string& proc_dir) {
  struct stat st = {};
  std::string path = proc_dir + "/ns/user";
  if (stat(path.c_str(), &st) != 0) return platform::LastError(fmt::format("stat {}", path));
  return st.st_ino;
}

// (a) The init's id maps when it has its own user namespace (read while
// /proc still exists); empty maps when it shares ours.
absl::StatusOr<IdMaps> ContainerIdMaps(pid_t pid) {
  std::string proc_dir = fmt::format("/proc/{}", pid);
  ASSIGN_OR_RETURN(ino_t theirs, UserNamespaceOf(proc_dir));
  ASSIGN_OR_RETURN(ino_t ours, UserNamespaceOf("/proc/self"));
  if (theirs == ours) return IdMaps{};
  IdMaps maps;
  ASSIGN_OR_RETURN(maps.uid_map, platform::ReadIdMappings(proc_dir + "/uid_map"));
  ASSIGN_OR_RETURN(maps.gid_map, platform::ReadIdMappings(proc_dir + "/gid_map"));
  if (maps.uid_map.empty() || maps.gid_map.empty()) {
    return absl::FailedPreconditionError("the container's user namespace has no id maps yet");
  }
  return maps;
}

// (a) + (b): the init's user namespace (when it has its own) and mount
// namespace, in ONE setns call: the kernel checks our access to the init
// once, with our original credentials (joining the user namespace first
// would lose the capabilities the check needs when the init is not
// dumpable), installs the user namespace, then the mount namespace with
// the capabilities it gives. Root and cwd become the container root (the
// init has pivot_root'ed).
absl::Status JoinContainer(int pidfd, bool join_user_namespace) {
  int flags = CLONE_NEWNS | (join_user_namespace ? CLONE_NEWUSER : 0);
  if (setns(pidfd, flags) != 0) return platform::LastError("joining the container's namespaces");
  return absl::OkStatus();
}

// Becomes the root of the joined user namespace: a mapped uid, so that the
// serving threads can set their fsuid back to it. Single-threaded here, so
// glibc's broadcasting set*id are fine.
absl::Status BecomeNamespaceRoot() {
  if (setresgid(0, 0, 0) != 0) return platform::LastError("becoming the container's root group");
  if (setresuid(0, 0, 0) != 0) return platform::LastError("becoming the container's root user");
  return absl::OkStatus();
}

// (c) Our own copy of the container's mount tree, without /proc and /sys
// (nothing of the host or of another process is reachable from it).
//
// Invariants (DESIGN.md: the broker is never wider than runc):
// - writable in our copy are exactly the mounts the init made read-only
//   for the workload (`made_readonly`: each one mount, never a subtree), so
//   a mount that is read-only in the spec, in readonlyPaths, or on the
//   host stays read-only here too;
// - the whole copy is nodev: the gofer is not in the container's device
//   cgroup, so it must not be able to open a device node at all (opens of
//   devices and FIFOs are left to the kernel in the caller's own view:
//   handlers_open.cc).
absl::Status MakeOwnMountTree(const std::vector<platform::MountTarget>& made_readonly) {
  if (unshare(CLONE_NEWNS) != 0) return platform::LastError("unshare(CLONE_NEWNS)");
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    return platform::LastError("making the gofer's mounts private");
  }
  for (const char* path : {"/proc", "/sys"}) {
    if (umount2(path, MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT) {
      return platform::LastError(fmt::format("detaching {}", path));
    }
  }
  if (chdir("/") != 0) return platform::LastError("chdir /");
  platform::UniqueFd root(open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root.valid()) return platform::LastError("opening /");
  RETURN_IF_ERROR(platform::ChangeMountAttrs(root.get(), {{"/", true}}, {MOUNT_ATTR_NODEV, 0}));
  for (const platform::MountTarget& mount : made_readonly) {
    if (mount.recursive) return absl::InvalidArgumentError(fmt::format("writable mount {}: must not be recursive", mount.destination));
  }
  return platform::ChangeMountAttrs(root.get(), made_readonly, {0, MOUNT_ATTR_RDONLY});
}

// (d) No network.
absl::Status LeaveNetwork() {
  if (unshare(CLONE_NEWNET) != 0) return platform::LastError("unshare(CLONE_NEWNET)");
  return absl::OkStatus();
}

// (f) + (g): the fewest capabilities, no_new_privs, not dumpable, and the
// allowlist, before any thread exists.
absl::Status Confine() {
  const std::vector<int>& keep = GoferCapabilities();
  RETURN_IF_ERROR_CTX(platform::LimitBoundingSet(keep), "gofer capabilities");
  RETURN_IF_ERROR_CTX(platform::ApplyCapabilities({keep, keep, {}, keep, {}}).status(), "gofer capabilities");
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return platform::LastError("no_new_privs");
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) return platform::LastError("PR_SET_DUMPABLE");
  return InstallGoferFilter();
}

// (h) The virtual /proc files are prepared in the host's namespaces and
// attached in the container's, before we take our own copy of its tree.
absl::StatusOr<IdMaps> SetUp(const GoferOptions& options, VirtualProc& vproc) {
  ASSIGN_OR_RETURN(pid_t pid, PidOfPidfd(options.init_pidfd));
  ASSIGN_OR_RETURN(IdMaps maps, ContainerIdMaps(pid));
  if (!options.virtual_proc_cgroup.empty()) {
    ASSIGN_OR_RETURN(vproc, PrepareVirtualProc(options.virtual_proc_cgroup, pid, maps));
  }
  bool own_user_namespace = !maps.uid_map.empty();
  RETURN_IF_ERROR(JoinContainer(options.init_pidfd, own_user_namespace));
  if (own_user_namespace) RETURN_IF_ERROR(BecomeNamespaceRoot());
  RETURN_IF_ERROR(AttachVirtualProc(vproc));
  RETURN_IF_ERROR(MakeOwnMountTree(options.writable_mounts));
  RETURN_IF_ERROR(LeaveNetwork());
  RETURN_IF_ERROR(Confine());
  return maps;
}

// (e) Ready (or the error) to runsc create. Sent after confinement, so a
// failure to confine reaches the user as create's error too.
void Report(int ready_fd, const absl::Status& status) {
  nlohmann::json message = status.ok() ? nlohmann::json{{"ok", true}}
                                        : nlohmann::json{{"error", std::string(status.message())}};
  absl::Status sent = platform::SendMessage(ready_fd, message);
  if (!sent.ok()) spdlog::warn("gofer: reporting to runsc create: {}", sent.ToString());
}

// What the gofer kills the container with when the sentry is gone.
// Invariant: both are obtained before the gofer joins the container and
// confines itself, and are the only way it can signal anything: its filter
// allows pidfd_send_signal with SIGKILL only and no kill, tgkill of other
// processes' threads, pidfd_open or /proc (its mount tree has none), and
// runsc create opened cgroup.kill, whose write needs no capability. So the
// gofer can kill the container's processes and nothing else.
struct ContainerKiller {
  int init_pidfd = -1;      // the init: pid 1 of its pid namespace (or not)
  int cgroup_kill_fd = -1;  // the whole cgroup, with or without a pid namespace

  void Kill() const {
    if (cgroup_kill_fd >= 0 && write(cgroup_kill_fd, "1", 1) != 1) {
      spdlog::warn("gofer: writing cgroup.kill: {}", strerror(errno));
    }
    syscall(SYS_pidfd_send_signal, init_pidfd, SIGKILL, nullptr, 0);
  }
};

// Fail closed (DESIGN.md): the sentry holds the only other end of `socket`,
// which hangs up when it exits or dies, whatever a serving thread is blocked
// in; then the container, which has lost its supervisor (the kernel answers
// its trapped calls ENOSYS), is killed. Watched by the virtual /proc's
// thread (one poll loop for both), started after Confine, so it runs under
// the gofer's filter.
void ServeVirtualProcAndWatchSentry(const VirtualProc& vproc, int socket, ContainerKiller killer,
                                    const std::string& id) {
  ServeVirtualProc(vproc, socket, [killer, id] {
    spdlog::debug("gofer for container {}: the sentry is gone; stopping the container", id);
    killer.Kill();
  });
}

}  // namespace

const std::vector<int>& GoferCapabilities() {
  static const std::vector<int> kCaps = {CAP_CHOWN,  CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH,
                                         CAP_FOWNER, CAP_FSETID,       CAP_MKNOD,
                                         CAP_SETUID, CAP_SETGID,       CAP_SETFCAP};
  return kCaps;
}

int RunGofer(const GoferOptions& options) {
  platform::UniqueFd pidfd(options.init_pidfd), ready(options.ready_fd), socket(options.sentry_socket);
  platform::UniqueFd cgroup_kill(options.cgroup_kill_fd);
  // Also creates spdlog's default logger (its sink probes the terminal with
  // an ioctl) before the filter that has no ioctl.
  spdlog::debug("gofer for container {}: starting", options.container_id);
  VirtualProc vproc;
  absl::StatusOr<IdMaps> maps = SetUp(options, vproc);
  // The init's pidfd is kept for fail closed only (its filter has no setns).
  const ContainerKiller killer{pidfd.get(), cgroup_kill.get()};
  if (maps.ok()) ServeVirtualProcAndWatchSentry(vproc, socket.get(), killer, options.container_id);
  Report(ready.get(), maps.status());
  ready.reset();
  if (!maps.ok()) {
    spdlog::error("gofer for container {}: {}", options.container_id, std::string(maps.status().message()));
    return 1;
  }
  ServerOptions server_options;
  server_options.id_maps = *std::move(maps);
  server_options.devices = options.devices;
  server_options.donate_root = options.donate_root && server_options.id_maps.uid_map.empty();
  if (options.donate_root && !server_options.donate_root) {
    spdlog::info("gofer for container {}: directfs off: the container has its own user namespace",
                 options.container_id);
  }
  // Start-up's garbage (the parsed command line, the virtual /proc's
  // set-up) goes back to the kernel before the gofer waits for calls.
  malloc_trim(0);
  absl::Status status = Server(std::move(server_options)).Serve(socket.get());
  killer.Kill();  // the connection ended: the sentry is gone (or we failed)
  if (!status.ok()) {
    spdlog::error("gofer for container {}: {}", options.container_id, status.ToString());
    return 1;
  }
  spdlog::debug("gofer for container {}: the sentry closed the connection", options.container_id);
  return 0;
}

}  // namespace gofer
