#include "platform/seccomp_notify.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <mutex>
#include <system_error>
#include <utility>

#include "fmt/format.h"
#include "platform/errors.h"
#include "platform/remote_memory.h"
#include "platform/status_macros.h"
#include "spdlog/spdlog.h"

namespace platform {
namespace {

// Interrupts a receiving thread blocked in RECV (its handler does nothing;
// installed without SA_RESTART, so the ioctl fails with EINTR).
constexpr int kWakeSignal = SIGURG;

long Seccomp(unsigned op, unsigned flags, void* arg) { return syscall(SYS_seccomp, op, flags, arg); }

void InstallWakeHandler() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction action {};
    action.sa_handler = [](int) {};
    sigemptyset(&action.sa_mask);
    if (sigaction(kWakeSignal, &action, nullptr) != 0) {
      spdlog::error("seccomp-notify: installing the SIGURG handler: {}", strerror(errno));
    }
  });
}

// Since Linux 6.11 ("seccomp: interrupt SECCOMP_IOCTL_NOTIF_RECV when all
// users have exited") a RECV blocked on a listener whose processes are all
// gone returns ENOENT; before, it sleeps until a signal. Nothing short of
// blocking tells them apart, hence the version.
bool RecvReleasedOnHangUp() {
  utsname name{};
  int major = 0;
  int minor = 0;
  if (uname(&name) != 0 || sscanf(name.release, "%d.%d", &major, &minor) != 2) return false;
  return major > 6 || (major == 6 && minor >= 11);
}

// True when `fd` reports POLLHUP and nothing to read.
bool HungUp(int fd) {
  pollfd pfd{fd, POLLIN, 0};
  return poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLIN) == 0 &&
         (pfd.revents & (POLLHUP | POLLERR | POLLNVAL)) != 0;
}

// WAIT_KILLABLE_RECV, probed with one syscall: the kernel validates the flags
// before it reads the program, so a known flag set fails with EFAULT on a
// null program and an unknown one with EINVAL. Async-signal-safe.
bool WaitKillableRecvSupported() {
  long rc = Seccomp(SECCOMP_SET_MODE_FILTER,
                    SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV,
                    nullptr);
  return rc < 0 && errno == EFAULT;
}

// A listener to probe ioctls on: an allow-all filter loaded by a helper
// thread that exits at once (filters and no_new_privs are per thread, so
// nothing else in this process is filtered).
absl::StatusOr<UniqueFd> ProbeListener() {
  long rc = -1;
  int err = 0;
  std::thread([&] {
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
      err = errno;
      return;
    }
    sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    sock_fprog prog{1, &allow};
    rc = Seccomp(SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
    err = errno;
  }).join();
  if (rc < 0) return ErrnoError(err, "loading a probe filter with a listener");
  return UniqueFd(static_cast<int>(rc));
}

absl::StatusOr<NotifyFeatures> ProbeNotifyFeatures() {
  uint32_t action = SECCOMP_RET_USER_NOTIF;
  if (Seccomp(SECCOMP_GET_ACTION_AVAIL, 0, &action) != 0) {
    return absl::FailedPreconditionError(fmt::format(
        "this kernel lacks seccomp user notification (SECCOMP_RET_USER_NOTIF, Linux >= 5.0): {}",
        strerror(errno)));
  }
  NotifyFeatures features;
  features.wait_killable_recv = WaitKillableRecvSupported();
  ASSIGN_OR_RETURN(UniqueFd listener, Annotate(ProbeListener(), "probing seccomp user notification"));
  // Flags are validated before the source fd: EBADF means SEND is known.
  seccomp_notif_addfd addfd{};
  addfd.flags = SECCOMP_ADDFD_FLAG_SEND;
  addfd.srcfd = static_cast<uint32_t>(-1);
  features.addfd_send = RealNotifyIoctls().AddFd(listener.get(), &addfd) < 0 && errno == EBADF;
  if (!features.addfd_send) {
    return absl::FailedPreconditionError(fmt::format(
        "this kernel lacks SECCOMP_ADDFD_FLAG_SEND (Linux >= 5.14): ADDFD probe: {}", strerror(errno)));
  }
  features.sync_wake_up =
      RealNotifyIoctls().SetFlags(listener.get(), SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP) == 0;
  return features;
}

}  // namespace

absl::StatusOr<NotifyFeatures> DetectNotifyFeatures() {
  static const absl::StatusOr<NotifyFeatures>* const features =
      new absl::StatusOr<NotifyFeatures>(ProbeNotifyFeatures());
  return *features;
}

absl::StatusOr<UniqueFd> LoadFilterWithListener(const std::vector<sock_filter>& program,
                                                unsigned extra_flags) {
  unsigned flags = SECCOMP_FILTER_FLAG_NEW_LISTENER | extra_flags;
  if (flags & SECCOMP_FILTER_FLAG_TSYNC) flags |= SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
  if (WaitKillableRecvSupported()) flags |= SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
  sock_fprog prog{static_cast<unsigned short>(program.size()), const_cast<sock_filter*>(program.data())};
  long rc = Seccomp(SECCOMP_SET_MODE_FILTER, flags, &prog);
  if (rc < 0) return LastError("seccomp: loading the filter with a listener");
  return UniqueFd(static_cast<int>(rc));
}

absl::StatusOr<std::unique_ptr<SeccompNotifyPlatform>> SeccompNotifyPlatform::Create(
    SeccompNotifyOptions options) {
  ASSIGN_OR_RETURN(NotifSizes sizes, GetNotifSizes());
  UniqueFd stop(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!stop.valid()) return LastError("eventfd");
  NotifyIoctls& ioctls = options.ioctls != nullptr ? *options.ioctls : RealNotifyIoctls();
  const bool blocking_recv = options.blocking_recv.value_or(RecvReleasedOnHangUp());
  if (blocking_recv) InstallWakeHandler();
  std::unique_ptr<SeccompNotifyPlatform> platform(new SeccompNotifyPlatform(
      ioctls, sizes, std::max(1, options.blocking_workers), blocking_recv, std::move(stop)));
  platform->killable_targets_ = options.killable_targets.value_or(WaitKillableRecvSupported());
  return platform;
}

SeccompNotifyPlatform::SeccompNotifyPlatform(NotifyIoctls& ioctls, NotifSizes sizes,
                                             int blocking_workers, bool blocking_recv,
                                             UniqueFd stop)
    : ioctls_(ioctls),
      sizes_(sizes),
      blocking_recv_(blocking_recv),
      stop_(std::move(stop)),
      pool_(*this, blocking_workers, blocking_recv ? kWakeSignal : 0) {}

SeccompNotifyPlatform::~SeccompNotifyPlatform() { Stop(); }

absl::Status SeccompNotifyPlatform::Start(CallHandler* handler) {
  if (handler == nullptr) return absl::InvalidArgumentError("seccomp-notify: no call handler");
  std::lock_guard<std::mutex> state(state_mutex_);
  if (started_ || stopped_) {
    return absl::FailedPreconditionError("seccomp-notify: already started or stopped");
  }
  handler_ = handler;
  started_ = true;
  std::lock_guard<std::mutex> lock(listeners_mutex_);
  serving_ = true;
  for (const auto& [key, listener] : listeners_) RETURN_IF_ERROR(pool_.Serve(listener));
  return absl::OkStatus();
}

void SeccompNotifyPlatform::SetSyncWakeUp(int fd) {
  if (sync_wake_up_.load() == 0) return;
  if (ioctls_.SetFlags(fd, SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP) == 0) {
    sync_wake_up_ = 1;
  } else if (errno == EINVAL || errno == ENOTTY) {
    spdlog::debug("seccomp-notify: no SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP on this kernel");
    sync_wake_up_ = 0;
  } else {
    spdlog::warn("seccomp-notify: setting SYNC_WAKE_UP on listener {}: {}", fd, strerror(errno));
  }
}

absl::Status SeccompNotifyPlatform::AddListener(UniqueFd listener) {
  if (!listener.valid()) return absl::InvalidArgumentError("seccomp-notify: no listener fd");
  SetSyncWakeUp(listener.get());
  std::lock_guard<std::mutex> lock(listeners_mutex_);
  if (closed_) return absl::FailedPreconditionError("seccomp-notify: stopped");
  uint64_t key = next_key_++;
  spdlog::debug("seccomp-notify: listener {} added (key {})", listener.get(), key);
  auto added = std::make_shared<NotifyListener>(NotifyListener{key, std::move(listener)});
  listeners_[key] = added;
  absl::Status served = serving_ ? pool_.Serve(added) : absl::OkStatus();
  if (!served.ok()) listeners_.erase(key);
  return served;
}

size_t SeccompNotifyPlatform::ListenerCount() const {
  std::lock_guard<std::mutex> lock(listeners_mutex_);
  return listeners_.size();
}

void SeccompNotifyPlatform::DropListener(uint64_t key, const char* why) {
  std::lock_guard<std::mutex> lock(listeners_mutex_);
  auto it = listeners_.find(key);
  if (it == listeners_.end()) return;
  spdlog::debug("seccomp-notify: listener {} dropped: {}", it->second->fd.get(), why);
  // The fd closes when the last thread answering on it lets go.
  listeners_.erase(it);
}

ListenerServer::Received SeccompNotifyPlatform::ReceiveCall(
    const std::shared_ptr<NotifyListener>& listener, NotifyWork& work) {
  if (stopping_) return Received::kStopping;
  switch (blocking_recv_ ? Wait::kCall : WaitForCall(*listener)) {
    case Wait::kCall:
      return ReceiveOne(listener, work);
    case Wait::kRetry:
      return Received::kNothing;
    case Wait::kStop:
      return Received::kStopping;
    case Wait::kHangUp:
      DropListener(listener->key, "all its processes are gone");
      return Received::kDropped;
    case Wait::kFailed:
      // Fail closed: without a receiver nobody answers the listener, so
      // drop it (closing it once no thread holds it: the kernel answers
      // ENOSYS).
      spdlog::error("seccomp-notify: waiting on listener {}: {}; dropping it",
                    listener->fd.get(), strerror(errno));
      DropListener(listener->key, "waiting failed");
      return Received::kDropped;
  }
  return Received::kNothing;
}

// How a receiving thread waits. Either way it is the listener's only waiter,
// and with SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP the trapping thread wakes it
// with WF_CURRENT_CPU: a thread blocked in RECV (recv_wake_function) or in
// poll(2) (pollwake) is woken on the trapping CPU, and the SEND's
// complete_on_current_cpu does the same back. The epoll thread this replaced
// lost that flag in ep_poll_callback (at best WF_SYNC) and served every
// listener from one thread.
// Blocked in RECV (Linux >= 6.11) is the default: one syscall fewer per call
// than poll + RECV. Measured in one interleaved run (bench/results/
// 2026-11-29-gbench-notify.md): uname 38.6 us (RECV) / 38.4 (poll) / 39.3
// (epoll), denied 18.0 / 19.4 / 19.7: within the noise for uname, where the
// handler's own syscalls dominate. Older kernels never release a RECV blocked
// on an orphaned listener, so they poll {listener, stop eventfd} first.
SeccompNotifyPlatform::Wait SeccompNotifyPlatform::WaitForCall(const NotifyListener& listener) {
  if (stopping_) return Wait::kStop;
  pollfd fds[2] = {{listener.fd.get(), POLLIN, 0}, {stop_.get(), POLLIN, 0}};
  if (poll(fds, 2, -1) < 0) return errno == EINTR ? Wait::kRetry : Wait::kFailed;
  if (fds[1].revents != 0) return Wait::kStop;
  if (fds[0].revents & POLLIN) return Wait::kCall;
  if (fds[0].revents & (POLLHUP | POLLERR | POLLNVAL)) return Wait::kHangUp;
  return Wait::kRetry;
}

ListenerServer::Received SeccompNotifyPlatform::ReceiveOne(
    const std::shared_ptr<NotifyListener>& listener, NotifyWork& work) {
  // The kernel wants a zeroed buffer, at least as large as its own struct.
  thread_local std::vector<uint64_t> buffer;
  buffer.assign((sizes_.notif + sizeof(uint64_t) - 1) / sizeof(uint64_t), 0);
  auto* notif = reinterpret_cast<seccomp_notif*>(buffer.data());
  while (ioctls_.Recv(listener->fd.get(), notif) != 0) {
    int err = errno;
    if (err == EINTR) {
      if (stopping_) return Received::kStopping;
      continue;
    }
    if (err == ENOENT && blocking_recv_ && HungUp(listener->fd.get())) {
      DropListener(listener->key, "all its processes are gone");
      return Received::kDropped;
    }
    if (err == ENOENT) {
      spdlog::debug("seccomp-notify: a trapped thread died before we read its call");
      return Received::kNothing;
    }
    spdlog::error("seccomp-notify: receiving on listener {}: {}; dropping it", listener->fd.get(),
                  strerror(err));
    DropListener(listener->key, "receive failed");
    return Received::kDropped;
  }
  work.listener = listener;
  TrappedCall& call = work.call;
  call.id = notif->id;
  call.tid = static_cast<pid_t>(notif->pid);
  call.arch = notif->data.arch;
  call.nr = notif->data.nr;
  for (size_t i = 0; i < call.args.size(); ++i) call.args[i] = notif->data.args[i];
  call.instruction_pointer = notif->data.instruction_pointer;
  spdlog::trace("seccomp-notify: call {:#x}: thread {} syscall {}", call.id, call.tid, call.nr);
  return Received::kCall;
}

void SeccompNotifyPlatform::Answer(NotifyWork& work) {
  TrappedCallMemory memory(ioctls_, work.listener->fd.get(), work.call.id, work.call.tid);
  CallResult result = handler_->Handle(work.call, memory);
  // Security rule 1: once a memory access found the call gone, whatever the
  // handler decided rests on nothing; in particular it must not CONTINUE.
  if (memory.call_gone()) {
    spdlog::debug("seccomp-notify: call {:#x} gone; answer {} dropped", work.call.id,
                  result.DebugString());
    return;
  }
  Reply(work, std::move(result));
}

void SeccompNotifyPlatform::Reply(const NotifyWork& work, CallResult result) {
  spdlog::trace("seccomp-notify: call {:#x}: {}", work.call.id, result.DebugString());
  switch (result.kind()) {
    case CallResult::Kind::kValue:
      return Send(work, result.value(), 0, 0);
    case CallResult::Kind::kError:
      if (result.error() < 1 || result.error() > 4095) {
        spdlog::error("seccomp-notify: call {:#x}: handler answered errno {}; answering ENOSYS",
                      work.call.id, result.error());
        return Send(work, 0, -ENOSYS, 0);
      }
      return Send(work, 0, -result.error(), 0);
    case CallResult::Kind::kContinue:
      return Send(work, 0, 0, SECCOMP_USER_NOTIF_FLAG_CONTINUE);
    case CallResult::Kind::kInjectFd:
      return InjectFd(work, std::move(result));
  }
}

void SeccompNotifyPlatform::InjectFd(const NotifyWork& work, CallResult result) {
  UniqueFd fd = result.TakeFd();
  // Invariant (security rule 4): the handler chose this fd for this call; its
  // copy reaches only the thread of notification `id`. Where the target
  // waits killably, it cannot leave the call between the ADDFD and the
  // answer except by dying, so the fd is installed first, our copy closed
  // (the kernel's own reference is dropped as the ioctl returns), and the
  // answer carries its number: the caller's close(2) is then the last, as
  // on Linux. Otherwise the fd goes atomically with the reply
  // (ADDFD_FLAG_SEND) and ours closes when `fd` goes out of scope.
  seccomp_notif_addfd addfd{};
  addfd.id = work.call.id;
  addfd.flags = killable_targets_ ? 0 : SECCOMP_ADDFD_FLAG_SEND;
  addfd.srcfd = static_cast<uint32_t>(fd.get());
  addfd.newfd_flags = result.cloexec() ? O_CLOEXEC : 0;
  const int installed = ioctls_.AddFd(work.listener->fd.get(), &addfd);
  if (installed >= 0 && !killable_targets_) return;
  if (installed >= 0) {
    fd.reset();
    return Send(work, installed, 0, 0);
  }
  int err = errno;
  if (err == ENOENT) {
    spdlog::debug("seccomp-notify: call {:#x} gone before its fd was injected", work.call.id);
    return;
  }
  // Not answered yet: the caller gets the error (EMFILE in the target, ...).
  spdlog::warn("seccomp-notify: call {:#x}: injecting fd {}: {}", work.call.id, fd.get(),
               strerror(err));
  Send(work, 0, -err, 0);
}

void SeccompNotifyPlatform::Send(const NotifyWork& work, int64_t val, int error, uint32_t flags) {
  std::vector<uint64_t> buffer((sizes_.resp + sizeof(uint64_t) - 1) / sizeof(uint64_t));
  auto* resp = reinterpret_cast<seccomp_notif_resp*>(buffer.data());
  resp->id = work.call.id;
  resp->val = val;
  resp->error = error;
  resp->flags = flags;
  if (ioctls_.Send(work.listener->fd.get(), resp) == 0) return;
  int err = errno;
  if (err == ENOENT) {  // killed, or interrupted by a signal: normal
    spdlog::debug("seccomp-notify: call {:#x} gone before its answer", work.call.id);
    return;
  }
  spdlog::error("seccomp-notify: call {:#x}: answering: {}", work.call.id, strerror(err));
  if (error == -ENOSYS && flags == 0) return;
  Send(work, 0, -ENOSYS, 0);  // never leave the caller waiting
}

void SeccompNotifyPlatform::Stop() {
  std::lock_guard<std::mutex> state(state_mutex_);
  if (stopped_) return;
  stopped_ = true;
  stopping_ = true;
  uint64_t one = 1;
  if (write(stop_.get(), &one, sizeof(one)) < 0) {
    spdlog::warn("seccomp-notify: waking the receiving threads: {}", strerror(errno));
  }
  {
    std::lock_guard<std::mutex> lock(listeners_mutex_);
    closed_ = true;  // no listener is served after this
  }
  pool_.Stop();
  std::lock_guard<std::mutex> lock(listeners_mutex_);
  // Closing the listeners makes the kernel answer ENOSYS to the calls left
  // unanswered and every later one (fail closed).
  listeners_.clear();
}

}  // namespace platform
