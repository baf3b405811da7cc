// The threads that serve seccomp listeners, leader/follower style: each
// listener has exactly one receiving thread at a time; the thread that
// receives a call that may block hands the receiving role to a standby
// thread (woken, or started, off the call's critical path) and runs the
// call itself, so a brokered call costs no hand-off to a worker: the thread
// that the trap woke is the one that answers it.
//
// Invariants (NotifyPool's mutex guards them):
// - A served listener always has a receiver, or a vacancy that an idle
//   thread was woken for or a thread was started for, or it is being
//   dropped (its receiver returns and the pool forgets it).
// - A call is answered exactly once: by the thread that received it
//   (inline, or after handing the role off), by the one thread that takes
//   it from the queue, or refused (EAGAIN) by its receiver; never twice.
// - Threads are bounded: at most one per served listener plus
//   `extra_threads`. A thread that cannot start (the container's pids.max
//   counts ours) never kills the sentry or loses a call: the receiver keeps
//   its role and queues the call for a thread that is running one, or, with
//   none, answers it EAGAIN (what clone(2) answers at pids.max). A thread
//   idle for 5 s ends.
// - Each thread has its own fs struct (root, cwd), taken before the thread
//   that started it (perhaps a handler thread that chroots for its calls:
//   directfs) goes on (ThreadMain).
#ifndef RUNSC_PLATFORM_NOTIFY_POOL_H_
#define RUNSC_PLATFORM_NOTIFY_POOL_H_

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <future>
#include <list>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "platform/platform.h"
#include "platform/unique_fd.h"

namespace platform {

// A seccomp listener, shared by the threads serving it: its fd is never
// closed (and its number reused) under a thread answering on it.
struct NotifyListener {
  uint64_t key;
  UniqueFd fd;
};

// One received call and the listener to answer it on.
struct NotifyWork {
  std::shared_ptr<NotifyListener> listener;
  TrappedCall call;
};

// What the pool's threads do with a listener; SeccompNotifyPlatform.
class ListenerServer {
 public:
  // What a receiver found.
  enum class Received { kCall, kNothing, kDropped, kStopping };
  virtual ~ListenerServer() = default;
  // As `listener`'s only receiver: waits for one call and receives it into
  // `work` (kCall); kNothing: wait again; kDropped: the listener is gone.
  virtual Received ReceiveCall(const std::shared_ptr<NotifyListener>& listener,
                               NotifyWork& work) = 0;
  virtual bool MayBlock(const NotifyWork& work) = 0;
  // Runs the handler and answers the kernel.
  virtual void Answer(NotifyWork& work) = 0;
  // Answers `errno` without running the handler.
  virtual void Refuse(const NotifyWork& work, int err) = 0;
};

class NotifyPool {
 public:
  // `interrupt_signal`: sent to receivers by Stop (0: they wake by
  // themselves, e.g. from poll(2) on a stop eventfd).
  NotifyPool(ListenerServer& server, int extra_threads, int interrupt_signal);
  ~NotifyPool();

  // Gives `listener` a receiver: an idle thread, else a new one.
  // ResourceExhausted when no thread is idle and none can start.
  absl::Status Serve(std::shared_ptr<NotifyListener> listener);
  // Wakes every thread (signalling the receivers until they return), waits
  // for the running calls and joins all. The server's ReceiveCall must
  // answer kStopping from then on. Idempotent.
  void Stop();

 private:
  struct Thread {
    std::thread thread;
    bool receiving = false;  // interrupted by Stop's signal
    bool exited = false;
  };
  // What an idle thread does next.
  struct Task {
    std::shared_ptr<NotifyListener> listener;  // receive on it, or
    std::unique_ptr<NotifyWork> work;          // run it; neither: exit
  };

  // A new thread: takes its own fs struct, tells StartThread, serves.
  void ThreadMain(Thread* self, std::promise<bool> own_fs);
  void ThreadLoop(Thread* self);
  // Blocks idle until there is a vacancy, a queued call, Stop, or the idle
  // lifetime passed (then retires `self`). `ran_call`: `self` was busy.
  Task NextTask(Thread* self, bool ran_call);
  // Receives on `listener` until a call that may block was handed off
  // (returns it), the listener is dropped or Stop (returns null).
  std::unique_ptr<NotifyWork> Receive(
      Thread* self, const std::shared_ptr<NotifyListener>& listener);
  // A receiver's call that may block: true when the receiving role went to
  // another thread (the caller runs the call); false when the call was
  // queued or refused (the caller keeps receiving).
  bool HandOff(Thread* self, NotifyWork& work);
  // Vacancies and queued calls: what idle threads woken earlier will take
  // (idle_ beyond it are free). Requires mutex_.
  int Unclaimed() const;
  // Starts a thread for a vacancy; false if it cannot. Requires mutex_.
  bool StartThread();
  // Joins the threads that retired. Takes mutex_.
  void JoinRetired();

  ListenerServer& server_;
  const int extra_threads_;
  const int interrupt_signal_;

  std::mutex mutex_;
  std::condition_variable idle_cv_;
  bool stopping_ = false;
  int served_ = 0;  // listeners with a receiver or a vacancy
  int idle_ = 0;    // threads waiting in NextTask
  int busy_ = 0;    // threads running a call that may block
  std::deque<std::shared_ptr<NotifyListener>> vacancies_;
  std::deque<std::unique_ptr<NotifyWork>> queue_;
  std::list<Thread> threads_;
  std::vector<std::thread> retired_;
};

}  // namespace platform

#endif  // RUNSC_PLATFORM_NOTIFY_POOL_H_
