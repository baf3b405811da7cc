// The seccomp-notify platform: trapped calls arrive on seccomp listeners
// (SECCOMP_RET_USER_NOTIF) and are answered with SECCOMP_IOCTL_NOTIF_SEND or
// SECCOMP_IOCTL_NOTIF_ADDFD + SECCOMP_ADDFD_FLAG_SEND.
//
// Threading (platform/notify_pool.h): each listener has one receiving thread
// at a time (listeners are few: the container init's and one per `runsc
// exec`), which waits for a call on its listener alone, blocked in RECV (Stop
// interrupts it with a signal) or, on kernels before 6.11, in poll(2) with a
// stop eventfd; receives it (EINTR: retry; ENOENT: the caller died before we
// read it, skipped) and answers it itself. A call the handler says may block
// (CallHandler::MayBlock: every brokered call) is run by the thread that
// received it too, after it handed the receiving role to a standby thread
// (woken, or started on demand up to `blocking_workers`), so a slow call
// never delays the listener's others and no call waits for a worker's
// wake-up. A listener that reports POLLHUP (all its processes are gone) is
// dropped. Listeners are shared with the threads answering on them, so a fd
// is never closed (and its number reused) under one.
#ifndef RUNSC_PLATFORM_SECCOMP_NOTIFY_H_
#define RUNSC_PLATFORM_SECCOMP_NOTIFY_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "platform/notify_ioctls.h"
#include "platform/notify_pool.h"
#include "platform/platform.h"
#include "platform/unique_fd.h"

namespace platform {

// Settings of a SeccompNotifyPlatform.
struct SeccompNotifyOptions {
  NotifyIoctls* ioctls = nullptr;  // nullptr: the kernel's (RealNotifyIoctls)
  // At most this many threads beyond one per listener: the ones running
  // calls that may block, and standbys. A call that may block and finds no
  // thread to take the receiving role, none startable, waits for one running
  // a call (the container's pids.max counts our threads); with none such it
  // is answered EAGAIN. A thread idle for 5 s ends.
  int blocking_workers = 8;
  // How a receiving thread waits: blocked in SECCOMP_IOCTL_NOTIF_RECV (true)
  // or in poll(2) then RECV (false). Unset: blocked in RECV where the kernel
  // releases such a RECV when the listener's processes are all gone (Linux
  // >= 6.11); see seccomp_notify.cc.
  std::optional<bool> blocking_recv = std::nullopt;
  // Whether the targets' filters have WAIT_KILLABLE_RECV (unset: where the
  // kernel has it, as LoadFilterWithListener then sets it). With it, an
  // injected fd is installed, the sentry's copy closed, and only then the
  // call answered, so the caller's own close(2) is the file's last
  // (inotify's IN_CLOSE_* come from it, as on Linux).
  std::optional<bool> killable_targets = std::nullopt;
};

class SeccompNotifyPlatform final : public Platform, private ListenerServer {
 public:
  // Queries the notification struct sizes and makes the stop eventfd.
  static absl::StatusOr<std::unique_ptr<SeccompNotifyPlatform>> Create(
      SeccompNotifyOptions options = {});
  ~SeccompNotifyPlatform() override;

  std::string Name() const override { return "seccomp-notify"; }
  absl::Status Start(CallHandler* handler) override;
  // Attach: `handover` is the process's listener (AddListener).
  absl::Status Attach(UniqueFd handover) override { return AddListener(std::move(handover)); }
  size_t AttachedCount() const override { return ListenerCount(); }
  // Adds one seccomp listener. Also sets SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
  // on it where the kernel has it (tried on the first listener; EINVAL means
  // it has not). Once started, serves it at once (ResourceExhausted when no
  // thread can receive on it).
  absl::Status AddListener(UniqueFd listener);
  // The number of live listeners; a listener whose processes are all gone is
  // dropped shortly after the kernel reports it (POLLHUP).
  size_t ListenerCount() const;
  // Wakes and joins every thread; closes the listeners. Idempotent.
  void Stop() override;

 private:
  // What a receiving thread found on its listener.
  enum class Wait { kCall, kHangUp, kStop, kRetry, kFailed };

  SeccompNotifyPlatform(NotifyIoctls& ioctls, NotifSizes sizes, int blocking_workers,
                        bool blocking_recv, UniqueFd stop);

  // ListenerServer, for the pool's threads.
  Received ReceiveCall(const std::shared_ptr<NotifyListener>& listener, NotifyWork& work) override;
  bool MayBlock(const NotifyWork& work) override { return handler_->MayBlock(work.call); }
  // Runs the handler on `work` and answers the kernel.
  void Answer(NotifyWork& work) override;
  void Refuse(const NotifyWork& work, int err) override { Reply(work, CallResult::Error(err)); }

  // Blocks until `listener` has a call, hangs up, or Stop (poll mode only).
  Wait WaitForCall(const NotifyListener& listener);
  // Receives one notification from `listener` into `work`.
  Received ReceiveOne(const std::shared_ptr<NotifyListener>& listener, NotifyWork& work);
  // Forgets `key` (its receiver returns).
  void DropListener(uint64_t key, const char* why);
  void Reply(const NotifyWork& work, CallResult result);
  void InjectFd(const NotifyWork& work, CallResult result);
  // SECCOMP_IOCTL_NOTIF_SEND; answers ENOSYS when the kernel refuses `resp`
  // for another reason than the call being gone, so no caller hangs.
  void Send(const NotifyWork& work, int64_t val, int error, uint32_t flags);
  void SetSyncWakeUp(int fd);

  NotifyIoctls& ioctls_;
  const NotifSizes sizes_;
  const bool blocking_recv_;
  bool killable_targets_ = false;  // set by Create, before any thread starts
  // eventfd: Stop() makes it readable once and for all, which every
  // receiving thread's poll(2) sees.
  const UniqueFd stop_;
  CallHandler* handler_ = nullptr;
  std::atomic<bool> stopping_{false};
  std::atomic<int> sync_wake_up_{-1};  // -1 unknown, 0 unsupported, 1 supported

  // Lock order: state_mutex_, then listeners_mutex_, then the pool's.
  std::mutex state_mutex_;  // serialises Start/Stop
  bool started_ = false;
  bool stopped_ = false;

  mutable std::mutex listeners_mutex_;
  uint64_t next_key_ = 1;
  std::map<uint64_t, std::shared_ptr<NotifyListener>> listeners_;
  bool serving_ = false;  // after Start: AddListener serves at once
  bool closed_ = false;   // after Stop: AddListener refuses

  NotifyPool pool_;  // last: its threads use the members above
};

}  // namespace platform

#endif  // RUNSC_PLATFORM_SECCOMP_NOTIFY_H_
