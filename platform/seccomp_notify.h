// The seccomp-notify platform: trapped calls arrive on seccomp listeners
// (SECCOMP_RET_USER_NOTIF) and are answered with SECCOMP_IOCTL_NOTIF_SEND or
// SECCOMP_IOCTL_NOTIF_ADDFD + SECCOMP_ADDFD_FLAG_SEND.
//
// Threading: one event thread epolls every listener plus an eventfd (wakeup,
// stop), receives each notification (EINTR: retry; ENOENT: the caller died
// before we read it, skipped) and queues it; a pool of workers takes calls
// from the queue, runs the handler and answers. With no workers configured
// the event thread answers calls itself, except those the handler says may
// block (CallHandler::MayBlock): they go to workers started on demand, up
// to `blocking_workers`, so a slow call never delays the others. A listener that reports
// POLLHUP (all its processes are gone) is dropped. Listeners are shared with
// the workers answering on them, so a fd is never closed (and its number
// reused) under a worker.
#ifndef RUNSC_PLATFORM_SECCOMP_NOTIFY_H_
#define RUNSC_PLATFORM_SECCOMP_NOTIFY_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "platform/notify_ioctls.h"
#include "platform/platform.h"
#include "platform/unique_fd.h"

namespace platform {

// Settings of a SeccompNotifyPlatform.
struct SeccompNotifyOptions {
  NotifyIoctls* ioctls = nullptr;  // nullptr: the kernel's (RealNotifyIoctls)
  // Handler threads; 0 answers every call on the event thread itself (no
  // hand-off, no extra wake-up: one round trip), for handlers that never block.
  int workers = 3;
  // With workers == 0: at most this many threads run the calls that may
  // block, started when a blocking call finds none idle. A call beyond them
  // waits in the queue (only behind other blocking calls).
  int blocking_workers = 8;
};

class SeccompNotifyPlatform final : public Platform {
 public:
  // Queries the notification struct sizes and sets up epoll and the eventfd.
  static absl::StatusOr<std::unique_ptr<SeccompNotifyPlatform>> Create(
      SeccompNotifyOptions options = {});
  ~SeccompNotifyPlatform() override;

  std::string Name() const override { return "seccomp-notify"; }
  absl::Status Start(CallHandler* handler) override;
  // Also sets SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP on `listener` where the
  // kernel has it (tried on the first listener; EINVAL means it has not).
  absl::Status AddListener(UniqueFd listener) override;
  size_t ListenerCount() const override;
  void Stop() override;

 private:
  struct Listener {
    uint64_t key;
    UniqueFd fd;
  };
  struct Work {
    std::shared_ptr<Listener> listener;
    TrappedCall call;
  };

  SeccompNotifyPlatform(NotifyIoctls& ioctls, NotifSizes sizes, int workers, int blocking_workers,
                        UniqueFd epoll, UniqueFd wake);

  // The event thread.
  void EventLoop();
  // Receives one notification from `listener` and queues it.
  void ReceiveOne(const std::shared_ptr<Listener>& listener, std::vector<uint64_t>& buffer);
  std::shared_ptr<Listener> FindListener(uint64_t key) const;
  void DropListener(uint64_t key, const char* why);
  // Queues `work` for the workers; with workers_ == 0, starts a blocking
  // worker when none is idle (up to blocking_worker_limit_).
  void Enqueue(Work work);
  // A worker thread.
  void WorkerLoop();
  // Runs the handler on `work` and answers the kernel.
  void Answer(Work& work);
  void Reply(const Work& work, CallResult result);
  void InjectFd(const Work& work, CallResult result);
  // SECCOMP_IOCTL_NOTIF_SEND; answers ENOSYS when the kernel refuses `resp`
  // for another reason than the call being gone, so no caller hangs.
  void Send(const Work& work, int64_t val, int error, uint32_t flags);
  void SetSyncWakeUp(int fd);

  NotifyIoctls& ioctls_;
  const NotifSizes sizes_;
  const int worker_count_;
  const int blocking_worker_limit_;
  const UniqueFd epoll_;
  const UniqueFd wake_;  // eventfd: Stop() wakes the event thread with it
  CallHandler* handler_ = nullptr;
  std::atomic<bool> stopping_{false};
  std::atomic<int> sync_wake_up_{-1};  // -1 unknown, 0 unsupported, 1 supported

  // Lock order: state_mutex_, then listeners_mutex_, then queue_mutex_.
  std::mutex state_mutex_;  // serialises Start/Stop
  bool started_ = false;
  bool stopped_ = false;
  std::thread event_thread_;
  std::vector<std::thread> workers_;

  mutable std::mutex listeners_mutex_;
  uint64_t next_key_ = 1;
  std::map<uint64_t, std::shared_ptr<Listener>> listeners_;
  bool closed_ = false;  // after Stop: AddListener refuses

  std::mutex queue_mutex_;
  std::condition_variable queue_cv_;
  std::deque<Work> queue_;
  bool queue_closed_ = false;
  int idle_workers_ = 0;
  // Started on demand by the event thread (workers_ == 0 only); joined by
  // Stop after the event thread.
  std::vector<std::thread> blocking_workers_;
};

}  // namespace platform

#endif  // RUNSC_PLATFORM_SECCOMP_NOTIFY_H_
