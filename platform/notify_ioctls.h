// The kernel calls on a seccomp listener, behind a tiny virtual seam so tests
// can inject EINTR/ENOENT with gmock (as sandbox2's util/seccomp_unotify.h).
#ifndef RUNSC_PLATFORM_NOTIFY_IOCTLS_H_
#define RUNSC_PLATFORM_NOTIFY_IOCTLS_H_

#include <linux/seccomp.h>

#include <cstdint>

#include "absl/status/statusor.h"

// Newer than Debian 12's kernel headers (Linux 6.6).
#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif
#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

namespace platform {

// One method per listener ioctl. Each returns what ioctl(2) returns: -1 with
// errno set on failure. Implementations must be thread-safe.
class NotifyIoctls {
 public:
  virtual ~NotifyIoctls() = default;
  // SECCOMP_IOCTL_NOTIF_RECV. `notif` points at a zeroed buffer of at least
  // NotifSizes().notif bytes (the kernel's struct may outgrow the header's).
  virtual int Recv(int listener, seccomp_notif* notif) = 0;
  // SECCOMP_IOCTL_NOTIF_SEND; `resp` as large as NotifSizes().resp.
  virtual int Send(int listener, const seccomp_notif_resp* resp) = 0;
  // SECCOMP_IOCTL_NOTIF_ID_VALID: 0 while notification `id` is still live.
  virtual int IdValid(int listener, uint64_t id) = 0;
  // SECCOMP_IOCTL_NOTIF_ADDFD; returns the fd number in the target.
  virtual int AddFd(int listener, const seccomp_notif_addfd* addfd) = 0;
  // SECCOMP_IOCTL_NOTIF_SET_FLAGS (SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP).
  virtual int SetFlags(int listener, uint64_t flags) = 0;
};

// The real ioctls. A process-wide instance; never destroyed.
NotifyIoctls& RealNotifyIoctls();

// Buffer sizes for the notification structs: the kernel's sizes
// (SECCOMP_GET_NOTIF_SIZES), never less than this header's.
struct NotifSizes {
  size_t notif = 0;
  size_t resp = 0;
};

// Queries the kernel once; later calls return the cached answer.
absl::StatusOr<NotifSizes> GetNotifSizes();

}  // namespace platform

#endif  // RUNSC_PLATFORM_NOTIFY_IOCTLS_H_
