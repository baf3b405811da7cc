// The seccomp-notify platform: trapped calls arrive on seccomp listeners
// (SECCOMP_RET_USER_NOTIF) and are answered with SECCOMP_IOCTL_NOTIF_SEND or
// SECCOMP_IOCTL_NOTIF_ADDFD + SECCOMP_ADDFD_FLAG_SEND.
//
// Threading: each listener has its own receiving thread (listeners are few:
// the container init's and one per `runsc exec`), which waits for a call on
// its listener alone, blocked in RECV (Stop interrupts it with a signal) or,
// on kernels before 6.11, in poll(2) with a stop eventfd; receives it (EINTR:
// retry; ENOENT: the caller died before we read it, skipped) and queues it;
// a pool of workers takes calls from the queue, runs the handler and
// answers. With no workers configured
// the receiving thread answers calls itself, except those the handler says
// may block (CallHandler::MayBlock): they go to workers started on demand, up
// to `blocking_workers`, so a slow call never delays the others. A listener
// that reports POLLHUP (all its processes are gone) is dropped with its
// thread. Listeners are shared with the workers answering on them, so a fd is
// never closed (and its number reused) under a worker.
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
  // Handler threads; 0 answers every call on its listener's receiving thread
  // (no hand-off, no extra wake-up: one round trip), for handlers that never
  // block.
  int workers = 3;
  // With workers == 0: at most this many threads run the calls that may
  // block, started when a blocking call finds none idle. A call beyond them
  // waits in the queue (only behind other blocking calls); one that finds
  // no worker at all and cannot start one (the container's pids.max counts
  // our threads) is answered EAGAIN. A worker idle for 5 s ends.
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

class SeccompNotifyPlatform final : public Platform {
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
  // it has not). Once started, serves it on a thread of its own at once.
  absl::Status AddListener(UniqueFd listener);
  // The number of live listeners; a listener whose processes are all gone is
  // dropped shortly after the kernel reports it (POLLHUP).
  size_t ListenerCount() const;
  // Wakes and joins every thread; closes the listeners. Idempotent.
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
  // What a receiving thread found on its listener.
  enum class Wait { kCall, kHangUp, kStop, kRetry, kFailed };
  struct Receiver {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> exited;  // set by the thread as it returns
  };

  SeccompNotifyPlatform(NotifyIoctls& ioctls, NotifSizes sizes, int workers, int blocking_workers,
                        bool blocking_recv, UniqueFd stop);

  // Starts the receiving thread of `listener`; ResourceExhausted if the
  // thread cannot start. Requires listeners_mutex_.
  absl::Status StartReceiver(const std::shared_ptr<Listener>& listener);
  // A receiving thread: serves `listener` until it hangs up or Stop.
  void ReceiveLoop(std::shared_ptr<Listener> listener, std::shared_ptr<std::atomic<bool>> exited);
  // Blocks until `listener` has a call, hangs up, or Stop (poll mode only).
  Wait WaitForCall(const Listener& listener);
  // Wakes `receiver` (a signal interrupts a blocked RECV) and joins it.
  void StopReceiver(Receiver& receiver);
  // Receives one notification from `listener` and answers or queues it;
  // false when the listener failed and was dropped.
  bool ReceiveOne(const std::shared_ptr<Listener>& listener, std::vector<uint64_t>& buffer);
  // Forgets `key`; its receiving thread, the caller, is joined later.
  void DropListener(uint64_t key, const char* why);
  // Joins the threads of dropped listeners (they have returned or are about to).
  void JoinFinishedReceivers();
  // Queues `work` for the workers; with workers_ == 0, starts a blocking
  // worker when none is idle (up to blocking_worker_limit_).
  void Enqueue(Work work);
  // Starts one more blocking worker; false if the thread cannot start.
  // Requires queue_mutex_.
  bool StartBlockingWorker();
  // On a blocking worker that was idle for long: hands its thread to
  // retired_workers_ (it returns next). Requires queue_mutex_.
  void RetireBlockingWorker();
  // Joins the retired workers (they have returned or are about to). Takes
  // queue_mutex_.
  void JoinRetiredWorkers();
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
  const bool blocking_recv_;
  bool killable_targets_ = false;  // set by Create, before any thread starts
  // eventfd: Stop() makes it readable once and for all, which every
  // receiving thread's poll(2) sees.
  const UniqueFd stop_;
  CallHandler* handler_ = nullptr;
  std::atomic<bool> stopping_{false};
  std::atomic<int> sync_wake_up_{-1};  // -1 unknown, 0 unsupported, 1 supported

  // Lock order: state_mutex_, then listeners_mutex_, then queue_mutex_.
  std::mutex state_mutex_;  // serialises Start/Stop
  bool started_ = false;
  bool stopped_ = false;
  std::vector<std::thread> workers_;

  mutable std::mutex listeners_mutex_;
  uint64_t next_key_ = 1;
  std::map<uint64_t, std::shared_ptr<Listener>> listeners_;
  bool serving_ = false;  // after Start: AddListener starts a receiver
  bool closed_ = false;   // after Stop: AddListener refuses
  std::map<uint64_t, Receiver> receivers_;  // by listener key
  // Receivers whose listener was dropped: exited or about to; joined by the
  // next AddListener or Stop.
  std::vector<Receiver> finished_receivers_;

  std::mutex queue_mutex_;
  std::condition_variable queue_cv_;
  std::deque<Work> queue_;
  bool queue_closed_ = false;
  int idle_workers_ = 0;
  // Started on demand by the receiving threads (workers_ == 0 only); joined
  // by Stop after them.
  std::vector<std::thread> blocking_workers_;
  // Blocking workers that ended idle; joined by the next Enqueue or Stop.
  std::vector<std::thread> retired_workers_;
};

}  // namespace platform

#endif  // RUNSC_PLATFORM_SECCOMP_NOTIFY_H_
