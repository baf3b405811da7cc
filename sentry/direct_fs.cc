#include "sentry/direct_fs.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include <optional>

#include "gofer/server/handlers.h"
#include "platform/errors.h"
#include "platform/status_macros.h"
#include "spdlog/spdlog.h"

namespace sentry {
namespace {

namespace protocol = gofer::protocol;

// A thread's directfs state: its own fs struct, and its credentials.
struct DirectThread {
  bool own_fs = false;
  std::optional<gofer::ThreadCreds> creds;
};

thread_local DirectThread this_thread;

// Gives the calling thread its own fs struct and captures its credentials,
// once per thread. The sentry's threads share one fs struct otherwise: a
// chroot on one would move them all.
absl::StatusOr<DirectThread*> PrepareThisThread() {
  if (!this_thread.own_fs) {
    if (unshare(CLONE_FS) != 0)
      return platform::LastError("directfs: unshare(CLONE_FS)");
    this_thread.own_fs = true;
  }
  if (!this_thread.creds.has_value()) {
    ASSIGN_OR_RETURN(gofer::ThreadCreds creds, gofer::ThreadCreds::Capture());
    this_thread.creds = std::move(creds);
  }
  return &this_thread;
}

absl::StatusOr<std::vector<platform::UniqueFd>> DupAll(
    absl::Span<const int> fds) {
  std::vector<platform::UniqueFd> dups;
  for (int fd : fds) {
    platform::UniqueFd dup(fcntl(fd, F_DUPFD_CLOEXEC, 0));
    if (!dup.valid())
      return platform::LastError("directfs: dup of a request fd");
    dups.push_back(std::move(dup));
  }
  return dups;
}

}  // namespace

bool LeftToGofer(const protocol::Request& request) {
  const auto* mknod = std::get_if<protocol::Mknodat>(&request.body);
  return mknod != nullptr && (S_ISCHR(mknod->mode) || S_ISBLK(mknod->mode));
}

absl::StatusOr<std::unique_ptr<DirectFs>> DirectFs::Create(
    platform::UniqueFd root, FileCalls* gofer, FailureCallback on_failure) {
  if (!root.valid())
    return absl::InvalidArgumentError("directfs: no donated root");
  platform::UniqueFd own_root(open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!own_root.valid())
    return platform::LastError("directfs: opening the sentry's root");
  platform::UniqueFd own_cwd(open(".", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!own_cwd.valid())
    return platform::LastError("directfs: opening the sentry's cwd");
  return std::unique_ptr<DirectFs>(
      new DirectFs(std::move(root), std::move(own_root), std::move(own_cwd),
                   gofer, std::move(on_failure)));
}

DirectFs::DirectFs(platform::UniqueFd root, platform::UniqueFd own_root,
                   platform::UniqueFd own_cwd, FileCalls* gofer,
                   FailureCallback on_failure)
    : root_(std::move(root)),
      own_root_(std::move(own_root)),
      own_cwd_(std::move(own_cwd)),
      gofer_(gofer),
      on_failure_(std::move(on_failure)) {}

absl::Status DirectFs::EnterRoot() {
  if (fchdir(root_.get()) != 0)
    return platform::LastError("directfs: fchdir to the donated root");
  if (chroot(".") != 0) {
    absl::Status status =
        platform::LastError("directfs: chroot into the donated root");
    if (fchdir(own_cwd_.get()) != 0)
      on_failure_(
          platform::LastError("directfs: fchdir back to the sentry's cwd"));
    return status;
  }
  return absl::OkStatus();
}

absl::Status DirectFs::LeaveRoot(gofer::ThreadCreds& creds) {
  RETURN_IF_ERROR(
      creds.Reset());  // first: its full capabilities allow the rest
  if (fchdir(own_root_.get()) != 0)
    return platform::LastError("directfs: fchdir to the sentry's root");
  if (chroot(".") != 0)
    return platform::LastError("directfs: chroot back into the sentry's root");
  if (fchdir(own_cwd_.get()) != 0)
    return platform::LastError("directfs: fchdir to the sentry's cwd");
  return absl::OkStatus();
}

absl::StatusOr<protocol::Incoming<protocol::Reply>> DirectFs::Call(
    const protocol::Request& request, absl::Span<const int> fds) {
  if (LeftToGofer(request)) return gofer_->Call(request, fds);
  ASSIGN_OR_RETURN(DirectThread * thread, PrepareThisThread());
  protocol::Incoming<protocol::Request> incoming{request, {}};
  ASSIGN_OR_RETURN(incoming.fds, DupAll(fds));
  RETURN_IF_ERROR(EnterRoot());
  gofer::Outcome outcome =
      gofer::Perform(options_, root_.get(), *thread->creds, incoming);
  absl::Status left = LeaveRoot(*thread->creds);
  if (!left.ok() || !outcome.status.ok()) {
    // Fail closed (the class invariant): this thread must not go on.
    on_failure_(left.ok() ? outcome.status : left);
    return absl::UnavailableError(
        "directfs: the thread lost its own root or credentials");
  }
  if (spdlog::should_log(spdlog::level::trace)) {
    spdlog::trace("directfs: {}",
                  gofer::AuditLine(request, outcome.answer.value));
  }
  protocol::Incoming<protocol::Reply> reply;
  const bool with_fd = outcome.answer.fd.valid();
  reply.message = protocol::Reply{
      request.tag, protocol::Result{outcome.answer.value,
                                    static_cast<uint8_t>(with_fd ? 1 : 0)}};
  if (with_fd) reply.fds.push_back(std::move(outcome.answer.fd));
  return reply;
}

}  // namespace sentry
