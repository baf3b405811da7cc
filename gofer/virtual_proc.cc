#include "gofer/virtual_proc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include <thread>

#include "gofer/vproc/vproc_server.h"
#include "platform/cgroups.h"
#include "platform/errors.h"
#include "platform/procfs.h"
#include "platform/status_macros.h"
#include "spdlog/spdlog.h"

namespace gofer {
namespace {

// The host id that id 0 of the container maps to (0 without a map).
uint32_t HostIdOfRoot(const std::vector<platform::IdMapping>& map) {
  for (const platform::IdMapping& range : map) {
    if (range.container_id == 0 && range.size > 0) return range.host_id;
  }
  return 0;
}

bool NoFuseHere(const absl::Status& status) {
  return absl::IsNotFound(status) || absl::IsUnavailable(status) ||
         status.message().find("/dev/fuse") != std::string::npos;
}

}  // namespace

absl::StatusOr<VirtualProc> PrepareVirtualProc(const std::string& cgroup_json, pid_t init_pid, const IdMaps& maps) {
  VirtualProc vproc;
  nlohmann::json json = nlohmann::json::parse(cgroup_json, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return absl::InvalidArgumentError("--virtual-proc-cgroup: not JSON");
  ASSIGN_OR_RETURN(platform::Cgroup cgroup, platform::Cgroup::FromJson(json));
  ASSIGN_OR_RETURN(platform::ProcessStat init, platform::ReadProcessStat(init_pid));
  vproc::SourceOptions source_options;
  source_options.cgroup = vproc::DirsOf(cgroup);
  source_options.init_start_seconds = static_cast<double>(init.start_time) / sysconf(_SC_CLK_TCK);
  ASSIGN_OR_RETURN(vproc.source, vproc::MachineSource::Open(source_options));
  vproc.uid = HostIdOfRoot(maps.uid_map);
  vproc.gid = HostIdOfRoot(maps.gid_map);
  for (const vproc::VFileInfo& file : vproc::AllFiles()) {
    absl::StatusOr<vproc::FileMount> mount = vproc::CreateFileMount(file.file, vproc.uid, vproc.gid);
    if (!mount.ok() && NoFuseHere(mount.status())) {
      spdlog::warn("virtual /proc off: {} (the container sees the host's files)", std::string(mount.status().message()));
      return VirtualProc{};
    }
    if (!mount.ok()) return mount.status();
    vproc.mounts.push_back(*std::move(mount));
  }
  return vproc;
}

absl::Status AttachVirtualProc(VirtualProc& vproc) {
  platform::UniqueFd root(open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root.valid()) return platform::LastError("opening the container root");
  std::vector<vproc::FileMount> attached;
  for (vproc::FileMount& mount : vproc.mounts) {
    const char* target = vproc::AllFiles()[static_cast<size_t>(mount.file)].target;
    ASSIGN_OR_RETURN(bool done, vproc::AttachOver(root.get(), target, mount.mount.get()));
    if (!done) {
      spdlog::debug("virtual /proc: {} is not a procfs/sysfs file in the container, left alone", target);
      continue;
    }
    mount.mount.reset();  // the mount tree holds it now; an unmount must end the connection
    attached.push_back(std::move(mount));
  }
  vproc.mounts = std::move(attached);
  return absl::OkStatus();
}

namespace {

// The poll loop of ServeVirtualProc: pollfd 0 is the peer (no events asked:
// POLLHUP and POLLERR are always reported), then one per connection
// (a connection that ended is skipped from then on: fd -1).
void PollLoop(std::vector<struct pollfd> fds, std::vector<std::unique_ptr<vproc::Connection>> connections,
              const std::function<void()>& on_peer_gone) {
  for (;;) {
    if (poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      spdlog::error("gofer: poll: {}", strerror(errno));
      break;
    }
    if (fds[0].revents != 0) break;
    for (size_t i = 1; i < fds.size(); ++i) {
      if (fds[i].revents == 0) continue;
      absl::StatusOr<bool> open = connections[i - 1]->ServeReady();
      if (!open.ok()) spdlog::error("virtual /proc: {}", open.status().ToString());
      if (!open.ok() || !*open) fds[i].fd = -1;
    }
  }
  on_peer_gone();
}

}  // namespace

void ServeVirtualProc(const VirtualProc& vproc, int peer, std::function<void()> on_peer_gone) {
  std::vector<struct pollfd> fds = {{peer, 0, 0}};
  std::vector<std::unique_ptr<vproc::Connection>> connections;
  for (const vproc::FileMount& mount : vproc.mounts) {
    vproc::Options options;
    options.root_file = mount.file;
    options.uid = vproc.uid;
    options.gid = vproc.gid;
    options.generate = vproc::GenerateFrom(*vproc.source);
    int flags = fcntl(mount.fuse.get(), F_GETFL);
    if (flags < 0 || fcntl(mount.fuse.get(), F_SETFL, flags | O_NONBLOCK) != 0) {
      spdlog::error("virtual /proc: making /dev/fuse non-blocking: {}", strerror(errno));
      continue;  // its readers get ENOTCONN once the gofer is gone
    }
    fds.push_back({mount.fuse.get(), POLLIN, 0});
    connections.push_back(std::make_unique<vproc::Connection>(mount.fuse.get(), std::move(options)));
  }
  std::thread(PollLoop, std::move(fds), std::move(connections), std::move(on_peer_gone)).detach();
}

}  // namespace gofer
