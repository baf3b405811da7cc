#include "gofer/virtual_proc.h"

#include <errno.h>
#include <fcntl.h>
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

void ServeVirtualProc(const VirtualProc& vproc) {
  for (const vproc::FileMount& mount : vproc.mounts) {
    vproc::Options options;
    options.root_file = mount.file;
    options.uid = vproc.uid;
    options.gid = vproc.gid;
    options.generate = vproc::GenerateFrom(*vproc.source);
    std::thread([fd = mount.fuse.get(), options = std::move(options)] {
      absl::Status served = vproc::Serve(fd, options);
      if (!served.ok()) spdlog::error("virtual /proc: {}", served.ToString());
    }).detach();
  }
}

}  // namespace gofer
