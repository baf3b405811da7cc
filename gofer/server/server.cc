#include "gofer/server/server.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <condition_variable>
#include <deque>
#include <mutex>
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

// Requests waiting for a serving thread; past this the reader waits, so a
// client cannot make the gofer queue without bound.
constexpr size_t kMaxQueued = 256;

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
class Connection {
 public:
  Connection(const ServerOptions& options, int socket, int root_fd)
      : options_(options), socket_(socket), root_fd_(root_fd) {}
  ~Connection() { Stop(); }

  absl::Status Run(bool chroot_threads) {
    absl::Status status = StartServingThreads(chroot_threads);
    if (status.ok()) status = ReadRequests();
    Stop();
    std::lock_guard lock(mutex_);
    return failure_.ok() ? status : failure_;
  }

 private:
  absl::Status StartServingThreads(bool chroot_threads) {
    int count = std::max(1, options_.threads);
    for (int i = 0; i < count; ++i) threads_.emplace_back([this, chroot_threads] { Serve(chroot_threads); });
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return started_ == count; });
    return failure_;
  }

  // A serving thread: set up, then perform requests until Stop.
  void Serve(bool chroot_threads) {
    absl::StatusOr<ThreadCreds> creds = SetUpServingThread(root_fd_, chroot_threads);
    {
      std::lock_guard lock(mutex_);
      ++started_;
      if (!creds.ok()) failure_ = platform::Annotate(creds.status(), "starting a serving thread");
      changed_.notify_all();
      if (!creds.ok()) return;
    }
    while (std::optional<Incoming<Request>> request = Next()) {
      absl::Status reset = absl::OkStatus();
      Answer answer = Perform(options_, root_fd_, *creds, *request, reset);
      Reply(*request, answer);
      // Invariant: no request is performed on credentials or a cwd left
      // over from another; a thread that cannot restore them stops all.
      if (!reset.ok() || fchdir(root_fd_) != 0) {
        Fail(reset.ok() ? platform::LastError("fchdir back to the root") : reset);
        return;
      }
    }
  }

  // One waiter is woken per event (not every idle thread: on a small VM
  // each needless wake-up is a context switch on the request's path).
  std::optional<Incoming<Request>> Next() {
    std::unique_lock lock(mutex_);
    has_work_.wait(lock, [&] { return closing_ || !queue_.empty(); });
    if (closing_) return std::nullopt;
    Incoming<Request> request = std::move(queue_.front());
    queue_.pop_front();
    if (queue_.size() == kMaxQueued - 1) has_room_.notify_one();
    return request;
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

  void Send(const protocol::Reply& reply, const std::vector<int>& fds) {
    std::lock_guard lock(send_mutex_);
    absl::Status status = protocol::SendReply(socket_, reply, fds);
    if (!status.ok()) spdlog::debug("gofer: {}", status.ToString());  // the reader sees the EOF
  }

  // Reads until EOF or a protocol error; Hello is answered here.
  absl::Status ReadRequests() {
    bool greeted = false;
    while (true) {
      absl::StatusOr<protocol::Datagram> datagram = protocol::ReceiveDatagram(socket_);
      if (absl::IsUnavailable(datagram.status())) return absl::OkStatus();  // EOF
      if (absl::IsInvalidArgument(datagram.status())) return ProtocolError(0, datagram.status());
      RETURN_IF_ERROR(datagram.status());
      uint32_t tag = protocol::PeekTag(datagram->bytes);
      absl::StatusOr<Incoming<Request>> request =
          protocol::DecodeIncomingRequest(datagram->bytes, std::move(datagram->fds));
      if (!request.ok()) return ProtocolError(tag, request.status());
      if (const auto* hello = std::get_if<protocol::Hello>(&request->message.body)) {
        if (greeted) return ProtocolError(tag, absl::InvalidArgumentError("hello: sent twice"));
        RETURN_IF_ERROR(Greet(tag, *hello));
        greeted = true;
      } else if (!greeted) {
        return ProtocolError(tag, absl::FailedPreconditionError(
                                      fmt::format("{} before hello", protocol::MessageName(
                                                                         protocol::TypeOf(request->message.body)))));
      } else if (!Enqueue(*std::move(request))) {
        return absl::OkStatus();  // stopping: a serving thread failed
      }
    }
  }

  absl::Status Greet(uint32_t tag, const protocol::Hello& hello) {
    if (hello.min_version > protocol::kVersion || hello.max_version < protocol::kVersion) {
      return ProtocolError(tag, absl::FailedPreconditionError("no common protocol version"));
    }
    Send(protocol::Reply{tag, protocol::HelloReply{protocol::kVersion}}, {});
    return absl::OkStatus();
  }

  bool Enqueue(Incoming<Request> request) {
    std::unique_lock lock(mutex_);
    has_room_.wait(lock, [&] { return closing_ || queue_.size() < kMaxQueued; });
    if (closing_) return false;
    queue_.push_back(std::move(request));
    has_work_.notify_one();
    return true;
  }

  // Requests in flight are answered first, then the Error, then the
  // connection is shut down: nothing follows an Error.
  absl::Status ProtocolError(uint32_t tag, const absl::Status& status) {
    spdlog::warn("gofer: protocol error: {}", status.ToString());
    Stop();
    Send(protocol::ErrorReply(tag, status), {});
    shutdown(socket_, SHUT_RDWR);
    return status;
  }

  // Records a serving thread's failure and wakes the reader (EOF).
  void Fail(const absl::Status& status) {
    spdlog::error("gofer: {}", status.ToString());
    {
      std::lock_guard lock(mutex_);
      if (failure_.ok()) failure_ = absl::InternalError(status.ToString());
      closing_ = true;
      WakeAll();
    }
    shutdown(socket_, SHUT_RDWR);
  }

  // Drops queued requests (closing their fds) and joins the serving threads.
  void Stop() {
    {
      std::lock_guard lock(mutex_);
      closing_ = true;
      queue_.clear();
      WakeAll();
    }
    for (std::thread& thread : threads_) {
      if (thread.joinable() && thread.get_id() != std::this_thread::get_id()) thread.join();
    }
  }

  // Called with mutex_ held: every waiter rechecks closing_.
  void WakeAll() {
    changed_.notify_all();
    has_work_.notify_all();
    has_room_.notify_all();
  }

  const ServerOptions& options_;
  const int socket_;
  const int root_fd_;
  std::vector<std::thread> threads_;
  std::mutex send_mutex_;  // one sendmsg at a time (each is atomic anyway)
  std::mutex mutex_;       // guards everything below
  std::condition_variable changed_;   // a serving thread started
  std::condition_variable has_work_;  // queue_ not empty, or closing_
  std::condition_variable has_room_;  // queue_ below kMaxQueued, or closing_
  std::deque<Incoming<Request>> queue_;
  int started_ = 0;
  bool closing_ = false;
  absl::Status failure_;
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
