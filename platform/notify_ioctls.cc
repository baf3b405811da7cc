#include "platform/notify_ioctls.h"

#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>

#include "platform/errors.h"

namespace platform {
namespace {

class KernelNotifyIoctls final : public NotifyIoctls {
 public:
  int Recv(int listener, seccomp_notif* notif) override {
    return ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, notif);
  }
  int Send(int listener, const seccomp_notif_resp* resp) override {
    return ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, resp);
  }
  int IdValid(int listener, uint64_t id) override {
    return ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id);
  }
  int AddFd(int listener, const seccomp_notif_addfd* addfd) override {
    return ioctl(listener, SECCOMP_IOCTL_NOTIF_ADDFD, addfd);
  }
  int SetFlags(int listener, uint64_t flags) override {
    return ioctl(listener, SECCOMP_IOCTL_NOTIF_SET_FLAGS, flags);
  }
};

absl::StatusOr<NotifSizes> QueryNotifSizes() {
  seccomp_notif_sizes sizes{};
  if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) != 0) {
    return LastError("seccomp(SECCOMP_GET_NOTIF_SIZES)");
  }
  return NotifSizes{std::max<size_t>(sizes.seccomp_notif, sizeof(seccomp_notif)),
                    std::max<size_t>(sizes.seccomp_notif_resp, sizeof(seccomp_notif_resp))};
}

}  // namespace

NotifyIoctls& RealNotifyIoctls() {
  static NotifyIoctls* const ioctls = new KernelNotifyIoctls();
  return *ioctls;
}

absl::StatusOr<NotifSizes> GetNotifSizes() {
  static const absl::StatusOr<NotifSizes>* const sizes =
      new absl::StatusOr<NotifSizes>(QueryNotifSizes());
  return *sizes;
}

}  // namespace platform
