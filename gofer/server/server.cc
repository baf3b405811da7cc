#include "gofer/server/server.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <system_error>
#include <thread>

#include "gofer/protocol/transport.h"
#include "gofer/server/handlers.h"
#include "platform/errors.h"
#include "platform/status_macros.h"
#include "platform/unique_fd.h"
#include "spdlog/spdlog.h"

namespace gofer {
namespace {

using protocol::Incoming;
using protocol::Request;

// A serving thread's own fs struct (umask, cwd, root): its cwd is used by
// BindUnix and the xattr calls, its umask is the caller's per request, and
// in tests its root is the server's root.
absl::StatusOr<ThreadCreds> SetUpServingThread(int root_fd, bool chroot_into_root) {
  if (unshare(CLONE_FS) != 0) return platform::LastError("unshare(CLONE_FS)");
  if (fchdir(root_fd) != 0) return platform::LastError("fchdir to the root");
  if (chroot_into_root && chroot(".") != 0) return platform::LastError("chroot into the root");
  umask(0);
  return ThreadCreds::Capture();
}

// True when `root_fd` is not the process's root, so serving threads must
// chroot into it for `..` and absolute symlinks to stop there.
absl::StatusOr<bool> NeedsChroot(int root_fd) {
  struct stat root = {}, mine = {};
  if (fstat(root_fd, &root) != 0) return platform::LastError("fstat of the root");
  if (stat("/", &mine) != 0) return platform::LastError("stat of /");
  return root.st_dev != mine.st_dev || root.st_ino != mine.st_ino;
}

// The state of one Serve call.
//
// Threading (leader/follower in the kernel): after the handshake every
// serving thread blocks in recvmsg(2) on the socket itself. A SEQPACKET
// socket wakes one exclusive waiter per datagram, so each request wakes
// exactly one idle thread, which decodes it, performs it and replies: no
// queue and no hand-off between threads on a request's path (each costs a
// context switch, expensive on a small VM). A request that blocks (a FIFO's
// open, a slow disk) holds only its own thread; the others keep reading.
// Requests not yet read wait in the socket, whose buffer bounds them (the
// client's sendmsg blocks), so at most `threads` messages are in memory.
//
// One serving thread starts with the connection; a thread that takes a
// request while no other is left reading asks for one more, up to
// `threads`. Invariant: only the thread that called Serve starts serving
// threads, so each starts from the gofer's own credentials (a serving
// thread keeps its last caller's between requests, and a new thread would
// inherit them as its own). Invariant (docs/design.md, "Cgroups"): our
// threads count in the container's pids.max, so the workload can make a
// start fail (EAGAIN); then the request behind waits for a thread that
// exists, and the gofer goes on serving.
class Connection {
 public:
  Connection(const ServerOptions& options, int socket, int root_fd)
      : options_(options), socket_(socket), root_fd_(root_fd) {}
  ~Connection() { Join(); }

  absl::Status Run(bool chroot_threads) {
    absl::Status status = StartServingThreads(chroot_threads);
    if (status.ok()) status = Greet();
    {
      std::lock_guard lock(mutex_);
      if (status.ok()) {
        serving_ = true;
      } else {
        closing_.store(true);
      }
      changed_.notify_all();
    }
    StartThreadsWhenAsked();
    Join();
    std::lock_guard lock(mutex_);
    return outcome_.ok() ? status : outcome_;
  }

 private:
  absl::Status StartServingThreads(bool chroot_threads) {
    chroot_threads_ = chroot_threads;
    std::unique_lock lock(mutex_);
    if (!StartThread()) return absl::ResourceExhaustedError("starting a serving thread");
    changed_.wait(lock, [&] { return started_ == 1; });
    return outcome_;
  }

  // Starts one more serving thread; false if the thread cannot start.
  // Requires mutex_.
  bool StartThread() {
    try {
      threads_.emplace_back([this] { ServeThenFinish(); });
    } catch (const std::system_error& error) {
      spdlog::debug("gofer: no serving thread started: {}", error.what());
      return false;
    }
    thread_count_.fetch_add(1);
    return true;
  }

  // Called by a serving thread that took a request, leaving none to read
  // the next: asks the Serve caller for one more.
  void Grow() {
    if (thread_count_.load() >= std::max(1, options_.threads)) return;
    std::lock_guard lock(mutex_);
    more_wanted_ = true;
    changed_.notify_all();
  }

  // On the Serve caller: starts the threads Grow asks for until every
  // serving thread has returned.
  void StartThreadsWhenAsked() {
    std::unique_lock lock(mutex_);
    while (true) {
      changed_.wait(lock, [&] { return more_wanted_ || finished_ == thread_count_.load(); });
      if (!more_wanted_) return;
      more_wanted_ = false;
      if (!closing_.load() && thread_count_.load() < std::max(1, options_.threads)) StartThread();
    }
  }

  // A serving thread: Serves, then counts itself finished.
  void ServeThenFinish() {
    Serve();
    std::lock_guard lock(mutex_);
    ++finished_;
    changed_.notify_all();
  }

  // Set up, wait for the handshake, then read and perform requests until
  // the connection ends.
  void Serve() {
    absl::StatusOr<ThreadCreds> creds = SetUpServingThread(root_fd_, chroot_threads_);
    {
      std::unique_lock lock(mutex_);
      ++started_;
      // The first thread's failure fails the connection; a later one's only
      // leaves the others serving.
      if (!creds.ok() && started_ == 1) outcome_ = platform::Annotate(creds.status(), "starting a serving thread");
      if (!creds.ok()) spdlog::warn("gofer: starting a serving thread: {}", creds.status().ToString());
      changed_.notify_all();
      if (!creds.ok()) return;
      changed_.wait(lock, [&] { return serving_ || closing_.load(); });
    }
    while (std::optional<Incoming<Request>> request = Next()) {
      if (!PerformAndReply(*creds, *request)) return;
    }
  }

  // False when the thread failed (after Fail): it must stop serving.
  bool PerformAndReply(ThreadCreds& creds, Incoming<Request>& request) {
    Outcome outcome = Perform(options_, root_fd_, creds, request);
    Reply(request, outcome.answer);
    // Our copy of an opened file goes at once, before the sentry can hand
    // the caller its own: the caller's close(2) must be the file's last, as
    // on Linux (inotify's IN_CLOSE_* come from the last).
    outcome.answer.fd.reset();
    absl::Status restored = outcome.status;
    // Invariant: no request runs on a cwd left over from another. Back to
    // the root with the thread's own credentials (the caller's may not
    // search it); the next request takes its caller's again.
    if (restored.ok() && outcome.moved_cwd) {
      restored = creds.Reset();
      if (restored.ok() && fchdir(root_fd_) != 0) restored = platform::LastError("fchdir back to the root");
    }
    Finish();
    if (!restored.ok()) Fail(restored);
    return restored.ok();
  }

  // The next request this thread performs, or nullopt when the connection
  // is over (EOF, a protocol error, or stopping). Counts it in flight.
  // No lock on this path: a contended mutex is a futex round trip.
  std::optional<Incoming<Request>> Next() {
    while (true) {
      if (closing_.load()) return std::nullopt;
      readers_.fetch_add(1);
      absl::StatusOr<protocol::Datagram> datagram = protocol::ReceiveDatagram(socket_);
      if (readers_.fetch_sub(1) == 1 && datagram.ok()) Grow();
      if (absl::IsUnavailable(datagram.status())) {
        closing_.store(true);  // EOF: the others stop after their current request
        return std::nullopt;
      }
      if (absl::IsInvalidArgument(datagram.status())) return ProtocolError(0, datagram.status());
      if (!datagram.ok()) {
        Fail(platform::Annotate(datagram.status(), "reading requests"));
        return std::nullopt;
      }
      uint32_t tag = protocol::PeekTag(datagram->bytes);
      absl::StatusOr<Incoming<Request>> request =
          protocol::DecodeIncomingRequest(datagram->bytes, std::move(datagram->fds));
      if (!request.ok()) return ProtocolError(tag, request.status());
      if (std::holds_alternative<protocol::Hello>(request->message.body)) {
        return ProtocolError(tag, absl::InvalidArgumentError("hello: sent twice"));
      }
      // Counted before closing_ is checked, and ProtocolError sets closing_
      // before it reads the count (both sequentially consistent): either it
      // waits for this request, or this request sees closing_ and is
      // dropped (its fds close here). Nothing is sent after the Error.
      in_flight_.fetch_add(1);
      if (closing_.load()) {
        Finish();
        return std::nullopt;
      }
      return *std::move(request);
    }
  }

  // A request was answered (or dropped).
  void Finish() {
    if (in_flight_.fetch_sub(1) == 1 && closing_.load()) {
      std::lock_guard lock(mutex_);
      changed_.notify_all();
    }
  }

  void Reply(const Incoming<Request>& request, const Answer& answer) {
    std::string line;
    if (options_.audit || spdlog::should_log(spdlog::level::trace)) {
      line = AuditLine(request.message, answer.value);
      spdlog::trace("gofer: {}", line);
    }
    if (options_.audit) options_.audit(line);
    protocol::Reply reply{request.message.tag, protocol::Result{answer.value, answer.fd.valid() ? uint8_t{1} : uint8_t{0}}};
    std::vector<int> fds;
    if (answer.fd.valid()) fds.push_back(answer.fd.get());
    Send(reply, fds);
  }

  // Concurrent senders need no lock: a SEQPACKET sendmsg is atomic.
  void Send(const protocol::Reply& reply, const std::vector<int>& fds) {
    absl::Status status = protocol::SendReply(socket_, reply, fds);
    if (!status.ok()) spdlog::debug("gofer: {}", status.ToString());  // a reader sees the EOF
  }

  // Reads the first message, which must be Hello, and answers it; runs
  // before any serving thread reads.
  absl::Status Greet() {
    absl::StatusOr<protocol::Datagram> datagram = protocol::ReceiveDatagram(socket_);
    if (absl::IsUnavailable(datagram.status())) return absl::OkStatus();  // EOF
    if (absl::IsInvalidArgument(datagram.status())) return SendError(0, datagram.status());
    RETURN_IF_ERROR(datagram.status());
    uint32_t tag = protocol::PeekTag(datagram->bytes);
    absl::StatusOr<Incoming<Request>> request =
        protocol::DecodeIncomingRequest(datagram->bytes, std::move(datagram->fds));
    if (!request.ok()) return SendError(tag, request.status());
    const auto* hello = std::get_if<protocol::Hello>(&request->message.body);
    if (hello == nullptr) {
      return SendError(tag, absl::FailedPreconditionError(fmt::format(
                                "{} before hello", protocol::MessageName(protocol::TypeOf(request->message.body)))));
    }
    if (hello->min_version > protocol::kVersion || hello->max_version < protocol::kVersion) {
      return SendError(tag, absl::FailedPreconditionError("no common protocol version"));
    }
    if (!options_.donate_root) {
      Send(protocol::Reply{tag, protocol::HelloReply{protocol::kVersion}}, {});
      return absl::OkStatus();
    }
    // Invariant: the donated fd is O_PATH on our root: it opens nothing by
    // itself, and a walk from it stays in our copy of the container's tree
    // (our mount namespace's root has no parent, so `..` stops there).
    platform::UniqueFd root(fcntl(root_fd_, F_DUPFD_CLOEXEC, 0));
    if (!root.valid()) return platform::LastError("opening the root to donate");
    Send(protocol::Reply{tag, protocol::HelloReply{protocol::kVersion, 1}}, {root.get()});
    return absl::OkStatus();
  }

  // A protocol error seen by a serving thread: no request starts any more,
  // the ones in flight are answered first, then the Error (once), then the
  // connection is shut down: nothing follows an Error.
  std::nullopt_t ProtocolError(uint32_t tag, const absl::Status& status) {
    const bool first = !closing_.exchange(true);
    std::unique_lock lock(mutex_);
    if (first && outcome_.ok()) outcome_ = status;
    changed_.wait(lock, [&] { return in_flight_.load() == 0; });
    lock.unlock();
    if (first) SendError(tag, status).IgnoreError();
    return std::nullopt;
  }

  // Sends the Error and shuts the connection down; returns `status`.
  absl::Status SendError(uint32_t tag, const absl::Status& status) {
    spdlog::warn("gofer: protocol error: {}", status.ToString());
    Send(protocol::ErrorReply(tag, status), {});
    shutdown(socket_, SHUT_RDWR);  // wakes every thread in recvmsg (EOF)
    return status;
  }

  // Records a serving thread's failure and wakes every reader (EOF).
  void Fail(const absl::Status& status) {
    spdlog::error("gofer: {}", status.ToString());
    {
      std::lock_guard lock(mutex_);
      if (outcome_.ok()) outcome_ = absl::InternalError(status.ToString());
      closing_.store(true);
      changed_.notify_all();
    }
    shutdown(socket_, SHUT_RDWR);
  }

  // Joins every serving thread, those started meanwhile too (a thread can
  // only be started by one that is still running). Not on a serving thread.
  void Join() {
    while (true) {
      std::thread thread;
      {
        std::lock_guard lock(mutex_);
        if (threads_.empty()) return;
        thread = std::move(threads_.front());
        threads_.pop_front();
      }
      if (thread.joinable()) thread.join();
    }
  }

  const ServerOptions& options_;
  const int socket_;
  const int root_fd_;
  bool chroot_threads_ = false;       // set before the first thread starts
  std::atomic<int> thread_count_{0};  // serving threads ever started
  std::atomic<int> readers_{0};       // threads in recvmsg now
  std::atomic<bool> closing_{false};  // no request starts any more
  std::atomic<int> in_flight_{0};     // requests counted in Next and not yet Finished
  std::mutex mutex_;                  // guards everything below
  std::deque<std::thread> threads_;   // not yet joined
  // A serving thread started; the handshake ended; in_flight_ reached 0
  // while closing_.
  std::condition_variable changed_;
  int started_ = 0;
  int finished_ = 0;          // serving threads that returned
  bool more_wanted_ = false;  // Grow asked for one more serving thread
  bool serving_ = false;  // the handshake succeeded: threads may read
  absl::Status outcome_;  // the first protocol error or thread failure
};

}  // namespace

absl::Status Server::Serve(int socket) {
  platform::UniqueFd own_root;
  int root_fd = options_.root_fd;
  if (root_fd < 0) {
    own_root.reset(open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!own_root.valid()) return platform::LastError("opening /");
    root_fd = own_root.get();
  }
  ASSIGN_OR_RETURN(bool chroot_threads, NeedsChroot(root_fd));
  Connection connection(options_, socket, root_fd);
  return connection.Run(chroot_threads);
}

}  // namespace gofer
