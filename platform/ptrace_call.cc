#include "platform/ptrace_call.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <signal.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "fmt/format.h"
#include "platform/errors.h"
#include "platform/status_macros.h"
#include "platform/unique_fd.h"
#include "spdlog/spdlog.h"

namespace platform {
namespace {

constexpr int kSyscallStop = SIGTRAP | 0x80;  // PTRACE_O_TRACESYSGOOD

absl::Status SetRegs(pid_t tid, const user_regs_struct& regs) {
  if (ptrace(PTRACE_SETREGS, tid, nullptr, &regs) != 0)
    return LastError(fmt::format("PTRACE_SETREGS {}", tid));
  return absl::OkStatus();
}

absl::StatusOr<user_regs_struct> GetRegs(pid_t tid) {
  user_regs_struct regs{};
  if (ptrace(PTRACE_GETREGS, tid, nullptr, &regs) != 0)
    return LastError(fmt::format("PTRACE_GETREGS {}", tid));
  return regs;
}

absl::Status Resume(int request, pid_t tid) {
  if (ptrace(static_cast<__ptrace_request>(request), tid, nullptr, nullptr) !=
      0) {
    return LastError(fmt::format("resuming {}", tid));
  }
  return absl::OkStatus();
}

absl::StatusOr<pid_t> ThreadGroupOf(pid_t tid) {
  std::ifstream status(fmt::format("/proc/{}/status", tid));
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("Tgid:", 0) == 0)
      return static_cast<pid_t>(std::stol(line.substr(5)));
  }
  return absl::NotFoundError(fmt::format("no Tgid in /proc/{}/status", tid));
}

absl::Status WriteRemote(pid_t tid, uint64_t addr, const void* data,
                         size_t len) {
  iovec local{const_cast<void*>(data), len};
  iovec remote{reinterpret_cast<void*>(addr), len};
  if (process_vm_writev(tid, &local, 1, &remote, 1, 0) !=
      static_cast<ssize_t>(len)) {
    return LastError(
        fmt::format("writing {} bytes at {:#x} in {}", len, addr, tid));
  }
  return absl::OkStatus();
}

absl::Status ReadRemote(pid_t tid, uint64_t addr, void* out, size_t len) {
  iovec local{out, len};
  iovec remote{reinterpret_cast<void*>(addr), len};
  if (process_vm_readv(tid, &local, 1, &remote, 1, 0) !=
      static_cast<ssize_t>(len)) {
    return LastError(
        fmt::format("reading {} bytes at {:#x} in {}", len, addr, tid));
  }
  return absl::OkStatus();
}

// Runs system calls in a thread stopped at a trapped call, then answers it.
// The thread executes them itself (its fd table, its credentials), from the
// seccomp stop and then from each call's syscall-exit stop by stepping back
// onto its `syscall` instruction. A signal arriving meanwhile is held and
// sent again once the thread is answered.
class Injector {
 public:
  Injector(pid_t tid, const user_regs_struct& saved)
      : tid_(tid), saved_(saved) {}

  // The raw return value (-errno on failure) of syscall `nr`.
  absl::StatusOr<long> Call(long nr, uint64_t a0, uint64_t a1 = 0,
                            uint64_t a2 = 0, uint64_t a3 = 0) {
    user_regs_struct regs = saved_;
    regs.orig_rax = regs.rax = static_cast<uint64_t>(nr);
    regs.rdi = a0, regs.rsi = a1, regs.rdx = a2, regs.r10 = a3;
    if (at_exit_) regs.rip = saved_.rip - 2;  // back onto `syscall` (0f 05)
    RETURN_IF_ERROR(SetRegs(tid_, regs));
    if (at_exit_) {
      RETURN_IF_ERROR(Resume(PTRACE_SYSCALL, tid_));
      RETURN_IF_ERROR(WaitSyscallStop());  // entry
    }
    RETURN_IF_ERROR(Resume(PTRACE_SYSCALL, tid_));
    RETURN_IF_ERROR(WaitSyscallStop());  // exit
    at_exit_ = true;
    ASSIGN_OR_RETURN(user_regs_struct after, GetRegs(tid_));
    return static_cast<long>(after.rax);
  }

  // Restores the registers with `value` as the trapped call's return value
  // and resumes the thread.
  absl::Status Finish(long value) {
    user_regs_struct regs = saved_;
    regs.rax = static_cast<uint64_t>(value);
    if (!at_exit_) regs.orig_rax = static_cast<uint64_t>(-1);  // skip the call
    RETURN_IF_ERROR(SetRegs(tid_, regs));
    RETURN_IF_ERROR(Resume(PTRACE_CONT, tid_));
    if (held_signal_ != 0) {
      absl::StatusOr<pid_t> tgid = ThreadGroupOf(tid_);
      if (tgid.ok()) syscall(SYS_tgkill, *tgid, tid_, held_signal_);
    }
    return absl::OkStatus();
  }

 private:
  absl::Status WaitSyscallStop() {
    while (true) {
      int status = 0;
      if (waitpid(tid_, &status, __WALL) < 0) {
        if (errno == EINTR) continue;
        return LastError(fmt::format("waiting for {}", tid_));
      }
      if (!WIFSTOPPED(status)) {
        return absl::NotFoundError(
            fmt::format("thread {} ended during an injected call", tid_));
      }
      if (WSTOPSIG(status) == kSyscallStop) return absl::OkStatus();
      if ((status >> 16) != 0) {
        return absl::InternalError(fmt::format(
            "thread {}: event {} during an injected call", tid_, status >> 16));
      }
      held_signal_ = WSTOPSIG(status);  // a signal-delivery stop: hold it
      RETURN_IF_ERROR(Resume(PTRACE_SYSCALL, tid_));
    }
  }

  pid_t tid_;
  user_regs_struct saved_;
  bool at_exit_ = false;
  int held_signal_ = 0;
};

// The scratch area below the thread's red zone: the kernel itself builds
// signal frames there, so nothing of the thread's lives in it.
struct Scratch {
  static constexpr uint64_t kPair = 0, kIov = 16, kByte = 32, kMsg = 48,
                            kControl = 128, kSize = 256;
  uint64_t base;
  explicit Scratch(const user_regs_struct& regs)
      : base((regs.rsp - 128 - kSize) & ~uint64_t{15}) {}
};

// Our copy of the thread's socket `fd`.
absl::StatusOr<UniqueFd> TakeThreadFd(pid_t tid, int fd) {
  ASSIGN_OR_RETURN(pid_t tgid, ThreadGroupOf(tid));
  UniqueFd pidfd(static_cast<int>(syscall(SYS_pidfd_open, tgid, 0)));
  if (!pidfd.valid()) return LastError(fmt::format("pidfd_open {}", tgid));
  UniqueFd copy(static_cast<int>(syscall(SYS_pidfd_getfd, pidfd.get(), fd, 0)));
  if (!copy.valid())
    return LastError(fmt::format("pidfd_getfd {} of {}", fd, tgid));
  return copy;
}

absl::Status SendOneFd(int socket, int fd) {
  char byte = 0;
  iovec iov{&byte, 1};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &iov, msg.msg_iovlen = 1, msg.msg_control = control,
  msg.msg_controllen = sizeof(control);
  cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
  cmsg->cmsg_level = SOL_SOCKET, cmsg->cmsg_type = SCM_RIGHTS,
  cmsg->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
  if (sendmsg(socket, &msg, MSG_DONTWAIT | MSG_NOSIGNAL) != 1)
    return LastError("sending the fd to inject");
  return absl::OkStatus();
}

// Makes the thread receive `fd` on its end of a socketpair it creates.
absl::StatusOr<long> ReceiveInThread(Injector& injector, pid_t tid,
                                     const Scratch& s, const int pair[2],
                                     int fd) {
  ASSIGN_OR_RETURN(UniqueFd ours, TakeThreadFd(tid, pair[0]));
  RETURN_IF_ERROR(SendOneFd(ours.get(), fd));
  struct {
    iovec iov;
    msghdr msg;
  } layout{};
  layout.iov = {reinterpret_cast<void*>(s.base + Scratch::kByte), 1};
  layout.msg.msg_iov = reinterpret_cast<iovec*>(s.base + Scratch::kIov);
  layout.msg.msg_iovlen = 1;
  layout.msg.msg_control = reinterpret_cast<void*>(s.base + Scratch::kControl);
  layout.msg.msg_controllen = CMSG_SPACE(sizeof(int));
  RETURN_IF_ERROR(WriteRemote(tid, s.base + Scratch::kIov, &layout.iov,
                              sizeof(layout.iov)));
  RETURN_IF_ERROR(WriteRemote(tid, s.base + Scratch::kMsg, &layout.msg,
                              sizeof(layout.msg)));
  ASSIGN_OR_RETURN(long received,
                   injector.Call(SYS_recvmsg, pair[1], s.base + Scratch::kMsg,
                                 MSG_DONTWAIT | MSG_CMSG_CLOEXEC));
  if (received < 0) return received;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  RETURN_IF_ERROR(
      ReadRemote(tid, s.base + Scratch::kControl, control, sizeof(control)));
  const auto* cmsg = reinterpret_cast<const cmsghdr*>(control);
  if (cmsg->cmsg_type != SCM_RIGHTS || cmsg->cmsg_len != CMSG_LEN(sizeof(int)))
    return -EIO;
  int installed = -1;
  memcpy(&installed, CMSG_DATA(cmsg), sizeof(int));
  return installed;
}

// Invariant (rule 4): `fd` reaches only thread `tid`, stopped in the call
// it answers: through a socketpair the thread creates (so no fd of ours is
// ever in the workload), closed again before it runs; the fd it keeps is
// duplicated to the lowest free number, as the native call would return.
absl::StatusOr<long> DeliverFd(Injector& injector, pid_t tid,
                               const user_regs_struct& regs, int fd,
                               bool cloexec) {
  const Scratch scratch(regs);
  ASSIGN_OR_RETURN(
      long rc, injector.Call(SYS_socketpair, AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC,
                             0, scratch.base + Scratch::kPair));
  if (rc < 0) return rc;  // EMFILE and the like: the caller's answer
  int pair[2] = {-1, -1};
  RETURN_IF_ERROR(
      ReadRemote(tid, scratch.base + Scratch::kPair, pair, sizeof(pair)));
  absl::StatusOr<long> received =
      ReceiveInThread(injector, tid, scratch, pair, fd);
  for (int end : pair) RETURN_IF_ERROR(injector.Call(SYS_close, end).status());
  if (!received.ok() || *received < 0) return received;
  ASSIGN_OR_RETURN(long final_fd,
                   injector.Call(SYS_fcntl, *received,
                                 cloexec ? F_DUPFD_CLOEXEC : F_DUPFD, 0));
  RETURN_IF_ERROR(injector.Call(SYS_close, *received).status());
  return final_fd;
}

}  // namespace

PtraceCallMemory::PtraceCallMemory(pid_t tid, uint64_t id)
    : TrappedCallMemory(RealNotifyIoctls(), -1, id, tid), tid_(tid), id_(id) {}

absl::Status PtraceCallMemory::CheckLive() {
  errno = 0;
  ptrace(PTRACE_PEEKUSER, tid_, nullptr, nullptr);
  if (errno == 0) return absl::OkStatus();
  gone_ = true;
  return CallGoneError(id_);
}

void KillTracee(pid_t tid) {
  absl::StatusOr<pid_t> tgid = ThreadGroupOf(tid);
  syscall(SYS_tgkill, tgid.ok() ? *tgid : tid, tid, SIGKILL);
}

TrappedCall CallFromRegisters(const user_regs_struct& regs, pid_t tid,
                              uint64_t id) {
  TrappedCall call;
  call.id = id;
  call.tid = tid;
  call.arch = AUDIT_ARCH_X86_64;
  call.nr = static_cast<int>(regs.orig_rax);
  call.args = {regs.rdi, regs.rsi, regs.rdx, regs.r10, regs.r8, regs.r9};
  call.instruction_pointer = regs.rip;
  return call;
}

absl::Status AnswerTrappedCall(pid_t tid, const user_regs_struct& regs,
                               CallResult result) {
  Injector injector(tid, regs);
  switch (result.kind()) {
    case CallResult::Kind::kContinue:
      // The kernel checks the filter again and, our row being TRACE, runs it.
      return Resume(PTRACE_CONT, tid);
    case CallResult::Kind::kValue:
      return injector.Finish(result.value());
    case CallResult::Kind::kError: {
      const int err = result.error() >= 1 && result.error() <= 4095
                          ? result.error()
                          : ENOSYS;
      return injector.Finish(-err);
    }
    case CallResult::Kind::kInjectFd: {
      UniqueFd fd = result.TakeFd();
      ASSIGN_OR_RETURN(long installed, DeliverFd(injector, tid, regs, fd.get(),
                                                 result.cloexec()));
      return injector.Finish(installed);
    }
  }
  return injector.Finish(-ENOSYS);
}

}  // namespace platform
