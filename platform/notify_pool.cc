#include "platform/notify_pool.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <string.h>

#include <algorithm>
#include <chrono>
#include <future>
#include <system_error>
#include <utility>

#include "fmt/format.h"
#include "spdlog/spdlog.h"

namespace platform {
namespace {

// A thread idle this long ends (docs/design.md, "Cgroups"): its task goes
// back to the container's pids.max, which counts it.
constexpr std::chrono::seconds kIdleLifetime(5);

}  // namespace

NotifyPool::NotifyPool(ListenerServer& server, int extra_threads,
                       int interrupt_signal)
    : server_(server),
      extra_threads_(extra_threads),
      interrupt_signal_(interrupt_signal) {}

NotifyPool::~NotifyPool() { Stop(); }

absl::Status NotifyPool::Serve(std::shared_ptr<NotifyListener> listener) {
  JoinRetired();
  const int fd = listener->fd.get();
  std::unique_lock<std::mutex> lock(mutex_);
  if (stopping_)
    return absl::FailedPreconditionError("seccomp-notify: stopped");
  const bool idle_one = idle_ > Unclaimed();
  ++served_;
  vacancies_.push_back(std::move(listener));
  if (idle_one) {
    lock.unlock();
    idle_cv_.notify_one();
    return absl::OkStatus();
  }
  if (StartThread()) return absl::OkStatus();
  // A full pids cgroup (the container's) refuses the thread: the listener
  // is then refused too, and its process's trapped calls fail closed.
  vacancies_.pop_back();
  --served_;
  return absl::ResourceExhaustedError(fmt::format(
      "seccomp-notify: starting the receiving thread of listener {}", fd));
}

int NotifyPool::Unclaimed() const {
  return static_cast<int>(vacancies_.size() + queue_.size());
}

bool NotifyPool::StartThread() {
  if (stopping_ ||
      static_cast<int>(threads_.size()) >= served_ + extra_threads_)
    return false;
  Thread& thread = threads_.emplace_back();
  std::promise<bool> own_fs;
  std::future<bool> has_own_fs = own_fs.get_future();
  try {
    thread.thread =
        std::thread(&NotifyPool::ThreadMain, this, &thread, std::move(own_fs));
  } catch (const std::system_error& error) {
    threads_.pop_back();
    spdlog::debug("seccomp-notify: no serving thread started: {}",
                  error.what());
    return false;
  }
  if (has_own_fs.get()) return true;
  thread.thread.join();
  threads_.pop_back();
  return false;
}

void NotifyPool::ThreadMain(Thread* self, std::promise<bool> own_fs) {
  // Invariant: a serving thread never shares its fs struct (root, cwd,
  // umask) with the thread that started it. That one may be a handler
  // thread that changes its own (directfs chroots into the container's root
  // for each call), which would otherwise move this one's "/proc/<tid>/..."
  // and every other path under it. The starter waits for this (it holds
  // mutex_, which is not taken before), so it is between calls meanwhile.
  const bool unshared = unshare(CLONE_FS) == 0;
  if (!unshared)
    spdlog::error("seccomp-notify: a serving thread's unshare(CLONE_FS): {}",
                  strerror(errno));
  own_fs.set_value(unshared);
  if (unshared) ThreadLoop(self);
}

void NotifyPool::ThreadLoop(Thread* self) {
  bool ran_call = false;
  while (true) {
    JoinRetired();
    Task task = NextTask(self, ran_call);
    if (task.listener != nullptr) {
      task.work = Receive(self, task.listener);
    } else if (task.work == nullptr) {
      return;  // stopping or retired
    }
    ran_call = task.work != nullptr;
    if (ran_call) server_.Answer(*task.work);
  }
}

NotifyPool::Task NotifyPool::NextTask(Thread* self, bool ran_call) {
  std::unique_lock<std::mutex> lock(mutex_);
  // Busy to idle at once: a receiver must never see neither (it would
  // refuse a call that this thread is about to be free for).
  if (ran_call) --busy_;
  ++idle_;
  const bool woken = idle_cv_.wait_for(lock, kIdleLifetime, [this] {
    return stopping_ || !vacancies_.empty() || !queue_.empty();
  });
  --idle_;
  Task task;
  if (stopping_) {
    self->exited = true;
  } else if (!vacancies_.empty()) {
    task.listener = std::move(vacancies_.front());
    vacancies_.pop_front();
    self->receiving = true;
  } else if (!queue_.empty()) {
    task.work = std::move(queue_.front());
    queue_.pop_front();
    ++busy_;
  } else if (!woken) {
    // Retire: whoever joins next finds the thread returned or returning.
    retired_.push_back(std::move(self->thread));
    threads_.remove_if(
        [self](const Thread& thread) { return &thread == self; });
  }
  return task;
}

std::unique_ptr<NotifyWork> NotifyPool::Receive(
    Thread* self, const std::shared_ptr<NotifyListener>& listener) {
  auto work = std::make_unique<NotifyWork>();
  while (true) {
    switch (server_.ReceiveCall(listener, *work)) {
      case ListenerServer::Received::kNothing:
        continue;
      case ListenerServer::Received::kDropped:
      case ListenerServer::Received::kStopping: {
        std::lock_guard<std::mutex> lock(mutex_);
        self->receiving = false;
        --served_;
        return nullptr;
      }
      case ListenerServer::Received::kCall:
        break;
    }
    if (!server_.MayBlock(*work)) {
      server_.Answer(*work);
    } else if (HandOff(self, *work)) {
      return work;
    }
  }
}

bool NotifyPool::HandOff(Thread* self, NotifyWork& work) {
  std::unique_lock<std::mutex> lock(mutex_);
  // Stopping: nobody would take the role; run the call, then leave.
  const bool stopping = stopping_;
  const bool woke_one = !stopping && idle_ > Unclaimed();
  if (stopping || woke_one || StartThread()) {
    if (!stopping) vacancies_.push_back(work.listener);
    self->receiving = false;
    if (stopping) --served_;
    ++busy_;
    lock.unlock();
    if (woke_one) idle_cv_.notify_one();
    return true;
  }
  // No thread for the role: keep it. A thread running a call takes this
  // one when done; with none, nobody would.
  if (busy_ > 0) {
    queue_.push_back(std::make_unique<NotifyWork>(std::move(work)));
    return false;
  }
  lock.unlock();
  server_.Refuse(work, EAGAIN);
  return false;
}

void NotifyPool::JoinRetired() {
  std::vector<std::thread> retired;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    retired.swap(retired_);
  }
  for (std::thread& thread : retired) thread.join();
}

void NotifyPool::Stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  idle_cv_.notify_all();
  // A signal sent just before a receiver enters RECV is lost: send until
  // every thread has returned. Threads running a call finish it first.
  while (true) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      const bool all_exited =
          std::all_of(threads_.begin(), threads_.end(),
                      [](const Thread& thread) { return thread.exited; });
      if (all_exited) break;
      for (Thread& thread : threads_) {
        if (thread.receiving && interrupt_signal_ != 0) {
          pthread_kill(thread.thread.native_handle(), interrupt_signal_);
        }
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  // No thread starts or retires once stopping: the list is final.
  for (Thread& thread : threads_) thread.thread.join();
  threads_.clear();
  JoinRetired();
  queue_.clear();  // unanswered: the kernel answers ENOSYS once the listeners
                   // close
}

}  // namespace platform
