#include "sentry/broker.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>

#include <set>
#include <utility>

#include "fmt/format.h"
#include "platform/status_macros.h"
#include "sentry/broker_fd.h"
#include "sentry/broker_paths.h"
#include "sentry/broker_view.h"
#include "spdlog/spdlog.h"

namespace sentry {
namespace {

namespace protocol = gofer::protocol;
using platform::CallResult;

// The answer to a failed step: nothing useful when the call is gone (the
// platform drops it), else the workload's errno.
CallResult Failed(const std::string& name, pid_t tid, const absl::Status& status) {
  if (platform::IsCallGone(status)) return CallResult::Error(EINTR);
  const int err = AnswerErrno(status);
  if (err == EIO || err == EPERM) spdlog::warn("broker: {} from tid {}: {}", name, tid, std::string(status.message()));
  return CallResult::Error(err);
}

DirRef RefOf(int dirfd) {
  if (dirfd == AT_FDCWD) return DirRef{DirRef::Kind::kCwd, -1};
  return DirRef{DirRef::Kind::kFd, dirfd};
}

DirRef RefOf(const MagicLink& link) {
  switch (link.kind) {
    case MagicLink::Kind::kCwd:
      return DirRef{DirRef::Kind::kCwd, -1};
    case MagicLink::Kind::kRoot:
      return DirRef{DirRef::Kind::kRoot, -1};
    case MagicLink::Kind::kFd:
      break;
  }
  return DirRef{DirRef::Kind::kFd, link.fd};
}

bool IsNotDirectory(const absl::Status& status) {
  return !status.ok() && !platform::IsCallGone(status) && AnswerErrno(status) == ENOTDIR;
}

// Invariant (broker.h): the workload is never given a handle through which
// a path resolves on the gofer's read-write mounts.
absl::Status CheckInjectable(int fd) {
  struct stat st;
  if (fstat(fd, &st) != 0) return absl::InternalError("fstat of the gofer's fd failed");
  if (S_ISDIR(st.st_mode)) return absl::InternalError("the gofer returned a directory fd");
  // The gofer never opens FIFOs or devices for the workload (PROTOCOL.md).
  if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) || S_ISFIFO(st.st_mode)) {
    return absl::InternalError("the gofer returned a device or FIFO fd");
  }
  const int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || (flags & O_PATH)) return absl::InternalError("the gofer returned an O_PATH fd");
  return absl::OkStatus();
}

// Whether call `name` may follow a symlink named by its last component
// (open, chmod, truncate ...); the calls below act on the link itself.
bool FollowsLastSymlink(const std::string& name) {
  static const auto* const on_the_link = new std::set<std::string>{
      "unlink", "unlinkat", "rmdir",   "rename",    "renameat", "renameat2",
      "mkdir",  "mkdirat",  "mknod",   "mknodat",   "symlink",  "symlinkat"};
  return on_the_link->count(name) == 0;
}

bool PidfdAlive(int pidfd) {
  if (pidfd < 0) return true;
  pollfd poller{pidfd, POLLIN, 0};
  return poll(&poller, 1, 0) == 0;  // readable once the process exited
}

}  // namespace

CallResult ResultToAnswer(const protocol::Result& result, std::vector<platform::UniqueFd> fds, bool is_open,
                          bool cloexec) {
  if (result.value < 0) {
    const int64_t err = -result.value;
    if (err >= 1 && err <= 4095) return CallResult::Error(static_cast<int>(err));
    spdlog::error("broker: the gofer answered {}, not an errno", result.value);
    return CallResult::Error(EIO);
  }
  if (!is_open) {
    if (fds.empty()) return CallResult::Value(result.value);
    spdlog::error("broker: the gofer sent an fd with a result that has none; refused");
    return CallResult::Error(EIO);
  }
  if (fds.size() != 1) {
    spdlog::error("broker: the gofer answered an open with no fd");
    return CallResult::Error(EIO);
  }
  if (absl::Status injectable = CheckInjectable(fds[0].get()); !injectable.ok()) {
    spdlog::error("broker: {}; refused", std::string(injectable.message()));
    return CallResult::Error(EIO);
  }
  return CallResult::InjectFd(std::move(fds[0]), cloexec);
}

Broker::Broker(FileCalls* files, BrokerOptions options) : gofer_(files), options_(options) {}

void Broker::CaptureContainerRoot() { ContainerRoot(); }

std::optional<DirIdentity> Broker::ContainerRoot() {
  std::lock_guard<std::mutex> lock(root_mutex_);
  if (root_.has_value()) return root_;
  absl::StatusOr<DirIdentity> root = RootIdentity(options_.init_pid);
  platform::UniqueFd fd(open(fmt::format("/proc/{}/root", options_.init_pid).c_str(),
                             O_PATH | O_DIRECTORY | O_CLOEXEC));
  struct stat st;
  const bool same = fd.valid() && fstat(fd.get(), &st) == 0 && root.ok() &&
                    DirIdentity{st.st_dev, st.st_ino} == *root;
  // The pidfd check after the reads: init_pid was the init's, not a reuse.
  if (same && PidfdAlive(options_.init_pidfd)) {
    root_ = *root;
    root_fd_ = std::move(fd);
  } else {
    spdlog::error("broker: cannot find the container root from the init (pid {})", options_.init_pid);
  }
  return root_;
}

absl::Status Broker::CheckCallerRoot(pid_t tid) {
  std::optional<DirIdentity> container = ContainerRoot();
  ASSIGN_OR_RETURN(DirIdentity caller, RootIdentity(tid));
  if (container.has_value() && caller == *container) return absl::OkStatus();
  // PROTOCOL.md: v1 does not broker for a caller chrooted inside the container.
  return WorkloadError(EPERM, "the caller is chrooted (its root is not the container root): not brokered");
}

CallResult Broker::Handle(const std::string& name, const platform::TrappedCall& call,
                          platform::RemoteMemory& memory) {
  const BrokerHandler* handler = FindBrokerHandler(name);
  if (handler == nullptr) return Failed(name, call.tid, absl::InternalError(fmt::format("no broker handler for {}", name)));
  return Handle(*handler, call, memory);
}

CallResult Broker::Handle(const BrokerHandler& handler, const platform::TrappedCall& call,
                          platform::RemoteMemory& memory) {
  const std::string name(handler.name);
  if (gofer_ == nullptr) {
    spdlog::error("broker: {} trapped, but the sentry has no gofer; answering EIO", name);
    return CallResult::Error(EIO);
  }
  absl::StatusOr<ParsedCall> parsed = handler.parse(call.args, memory);
  if (!parsed.ok()) return Failed(name, call.tid, parsed.status());
  if (auto* answer = std::get_if<CallResult>(&*parsed)) return std::move(*answer);
  return Send(name, call, std::get<BrokeredCall>(*parsed), memory);
}

CallResult Broker::Send(const std::string& name, const platform::TrappedCall& call, const BrokeredCall& brokered,
                        platform::RemoteMemory& memory) {
  // CONTINUE needs no liveness check: a call that is gone is dropped.
  if (TargetsOffHostStorage(name, brokered, call.tid)) return CallResult::Continue();
  absl::StatusOr<CallerInfo> caller = ReadCallerInfo(call.tid);
  if (!caller.ok()) return Failed(name, call.tid, caller.status());
  for (int attempt = 0;; ++attempt) {
    absl::StatusOr<Prepared> prepared = Prepare(call, brokered, *caller, memory);
    if (!prepared.ok()) return Failed(name, call.tid, prepared.status());
    if (prepared->continue_natively || OffHostStorage(name, *prepared)) return CallResult::Continue();
    protocol::Request request{0, brokered.make(caller->creds, prepared->operands)};
    if (auto* access = std::get_if<protocol::Faccessat>(&request.body)) {
      access->uid = caller->uid;  // the real-id check's credentials (PROTOCOL.md)
      access->gid = caller->gid;
      access->cap_permitted = caller->cap_permitted;
    }
    if (auto* truncate = std::get_if<protocol::Truncate>(&request.body)) truncate->fsize_limit = prepared->fsize_limit;
    std::vector<int> fds;
    for (const ResolvedOperand& operand : prepared->operands) {
      if (operand.fd.valid()) fds.push_back(operand.fd.get());
    }
    if (prepared->socket.valid()) fds.push_back(prepared->socket.get());
    absl::StatusOr<protocol::Incoming<protocol::Reply>> reply = gofer_->Call(request, fds);
    if (!reply.ok()) {
      spdlog::error("broker: {} from tid {}: {}", name, call.tid, std::string(reply.status().message()));
      return CallResult::Error(EIO);
    }
    const auto& result = std::get<protocol::Result>(reply->message.body);
    // A directory renamed between our look and the gofer's: look again once.
    // A directory the gofer still cannot find at its path is not in the
    // container's tree (a detached mount, a fd passed in from the host, as
    // the init's own /proc fd for the exec fifo): it is not the container's
    // storage, so the kernel decides. Safe: the container's own host-backed
    // mounts are read-only to the caller, so a renamed directory of theirs
    // gets EROFS natively, never a write.
    if (result.value == -ESTALE) {
      if (attempt == 0) continue;
      return CallResult::Continue();
    }
    if (IsFileSizeLimitError(request, result.value)) RaiseFileSizeSignal(caller->tgid, call.tid);
    const bool is_open = std::holds_alternative<protocol::Openat>(request.body);
    // A FIFO or device node (PROTOCOL.md): the caller's own open, checked
    // by its own device cgroup and read-only view, is runc's exactly.
    if (is_open && result.value == protocol::Result::kLeaveToKernel) return CallResult::Continue();
    return ResultToAnswer(result, std::move(reply->fds), is_open, brokered.cloexec);
  }
}

absl::StatusOr<Broker::Prepared> Broker::Prepare(const platform::TrappedCall& call, const BrokeredCall& brokered,
                                                 const CallerInfo& caller, platform::RemoteMemory& memory) {
  Prepared prepared;
  for (const PathOperand& operand : brokered.operands) {
    ASSIGN_OR_RETURN(std::optional<ResolvedOperand> resolved, Resolve(call.tid, operand, caller));
    if (!resolved.has_value()) {
      prepared.continue_natively = true;
      return prepared;
    }
    prepared.operands.push_back(*std::move(resolved));
  }
  RETURN_IF_ERROR(CheckCallerRoot(call.tid));
  if (brokered.socket_fd != -1) {
    ASSIGN_OR_RETURN(prepared.socket, TakeCallerSocket(call.tid, brokered.socket_fd));
  }
  if (brokered.needs_fsize_limit) {
    ASSIGN_OR_RETURN(prepared.fsize_limit, ReadFileSizeLimit(call.tid));
  }
  // Invariant: everything read about the caller above (its /proc files, its
  // directories, its socket) was read while the call was live, so it was
  // the caller's and not a process's that reused its tid.
  RETURN_IF_ERROR(memory.CheckLive());
  return prepared;
}

// Invariant (broker_view.h): a target on a mount the workload may write in
// its own view is not host storage, so the kernel may do the call; whatever
// the workload changes between this look and the kernel's own resolution
// can only lead the kernel to a read-only mount of that view (EROFS).
int Broker::RootFd() {
  std::lock_guard<std::mutex> lock(root_mutex_);
  return root_fd_.get();  // set once, never closed while the broker lives
}

bool Broker::OffHostStorage(const std::string& name, const Prepared& prepared) {
  if (!options_.writable_view_in_kernel) return false;
  const int root_fd = RootFd();
  if (root_fd < 0) return false;
  for (const ResolvedOperand& operand : prepared.operands) {
    if (operand.empty_path_added || operand.path.empty()) return false;
    // A directory's container path holds no symlink and no "..", so the
    // kernel's walk from that directory and ours from the root meet.
    const std::string path = operand.fd.valid() ? operand.dir.path + "/" + operand.path : operand.path;
    if (!OnWritableMountInView(root_fd, path, FollowsLastSymlink(name))) return false;
  }
  return !prepared.operands.empty();
}

// The same invariant as OffHostStorage. A name without a slash in the
// caller's cwd or dirfd is looked up in that very directory (opened through
// the caller's magic link, O_PATH), so no walk can differ from the kernel's.
// A tid reused by another process meanwhile only CONTINUEs a call that is
// gone (the kernel drops it).
bool Broker::TargetsOffHostStorage(const std::string& name, const BrokeredCall& brokered, pid_t tid) {
  if (!options_.writable_view_in_kernel || brokered.operands.empty()) return false;
  const int root_fd = RootFd();
  if (root_fd < 0) return false;
  const bool follows = FollowsLastSymlink(name);
  for (const PathOperand& operand : brokered.operands) {
    const std::string& path = operand.path;
    if (path.empty() || operand.empty_path) return false;
    if (path[0] == '/') {
      if (path.starts_with("/proc")) return false;  // the caller's magic links: the full path
      if (!OnWritableMountInView(root_fd, path, follows)) return false;
      continue;
    }
    if (path.find('/') != std::string::npos || (operand.dirfd < 0 && operand.dirfd != AT_FDCWD)) return false;
    const std::string dir = operand.dirfd == AT_FDCWD ? fmt::format("/proc/{}/cwd", tid)
                                                      : fmt::format("/proc/{}/fd/{}", tid, operand.dirfd);
    platform::UniqueFd fd(open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!fd.valid() || !OnWritableMountInView(fd.get(), path, follows)) return false;
  }
  return true;
}

absl::StatusOr<std::optional<ResolvedOperand>> Broker::Resolve(pid_t tid, const PathOperand& operand,
                                                               const CallerInfo& caller) {
  if (operand.path.empty()) {
    if (!operand.empty_path) return WorkloadError(ENOENT, "empty path");
    if (operand.fd_form) return ResolveCallerFd(tid, operand, options_.host_storage_under_dev);
    absl::StatusOr<std::optional<ResolvedOperand>> dir = ResolveInDir(tid, RefOf(operand.dirfd), "");
    // The fd form on a file: that file itself (broker_fd.h).
    if (IsNotDirectory(dir.status())) return ResolveCallerFd(tid, operand, options_.host_storage_under_dev);
    return dir;
  }
  if (operand.path[0] != '/') {
    if (operand.dirfd < 0 && operand.dirfd != AT_FDCWD) return WorkloadError(EBADF, "bad dirfd");
    return ResolveInDir(tid, RefOf(operand.dirfd), operand.path);
  }
  if (std::optional<MagicLink> link = ParseMagicLink(operand.path, caller.pids)) {
    if (!link->rest.empty()) return ResolveInDir(tid, RefOf(*link), link->rest);
    // The link itself: its directory with AT_EMPTY_PATH where the call has
    // that form; otherwise (or for a non-directory, a pipe or a tty) the
    // kernel acts on what the link names, in the workload's view.
    if (!operand.has_empty_path_form) return std::nullopt;
    absl::StatusOr<std::optional<ResolvedOperand>> dir = ResolveInDir(tid, RefOf(*link), "");
    if (IsNotDirectory(dir.status()) && link->kind == MagicLink::Kind::kFd) {
      PathOperand fd{link->fd, "", true, false};
      absl::StatusOr<std::optional<ResolvedOperand>> file = ResolveCallerFd(tid, fd, options_.host_storage_under_dev);
      if (file.ok() && file->has_value()) (*file)->empty_path_added = true;
      return file;
    }
    if (IsNotDirectory(dir.status())) return std::nullopt;
    if (dir.ok() && dir->has_value()) (*dir)->empty_path_added = true;
    return dir;
  }
  if (IsVirtualFileSystemPath(operand.path, options_.host_storage_under_dev)) return std::nullopt;
  ResolvedOperand resolved;
  resolved.path = operand.path;
  return resolved;
}

absl::StatusOr<std::optional<ResolvedOperand>> Broker::ResolveInDir(pid_t tid, DirRef ref, std::string path) {
  ASSIGN_OR_RETURN(CallerDir dir, OpenCallerDir(tid, ref));
  if (IsVirtualFileSystemPath(JoinLexically(dir.path, path), options_.host_storage_under_dev)) return std::nullopt;
  ResolvedOperand resolved;
  resolved.dir = protocol::Dir{protocol::Dir::Kind::kFd, dir.path};
  resolved.path = std::move(path);
  resolved.fd = std::move(dir.fd);
  return resolved;
}

}  // namespace sentry
