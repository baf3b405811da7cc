// The calls that create, remove or rename names: each resolves the parent
// of the last component (OpenParent) and acts on that component, so the
// kernel applies its own rules to it ("." / ".." / trailing slashes).
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gofer/server/handlers.h"
#include "gofer/server/policy.h"
#include "gofer/server/resolve.h"

namespace gofer {

Answer HandleMkdirat(Call& call, const protocol::Mkdirat& request) {
  Parent parent = OpenParent(call.starts[0].get(), request.path);
  if (parent.error != 0) return Errno(parent.error);
  return FromReturn(mkdirat(parent.dir.get(), parent.last.c_str(), request.mode));
}

// Device nodes only where the container's device rules allow mknod of them
// (checked before anything else); the caller still needs CAP_MKNOD.
Answer HandleMknodat(Call& call, const protocol::Mknodat& request) {
  if (!MknodAllowed(call.options.devices, request.mode, request.dev)) return Errno(EPERM);
  Parent parent = OpenParent(call.starts[0].get(), request.path);
  if (parent.error != 0) return Errno(parent.error);
  return FromReturn(mknodat(parent.dir.get(), parent.last.c_str(), request.mode, request.dev));
}

Answer HandleUnlinkat(Call& call, const protocol::Unlinkat& request) {
  Parent parent = OpenParent(call.starts[0].get(), request.path);
  if (parent.error != 0) return Errno(parent.error);
  return FromReturn(unlinkat(parent.dir.get(), parent.last.c_str(), static_cast<int>(request.flags)));
}

Answer HandleRenameat2(Call& call, const protocol::Renameat2& request) {
  Parent old_parent = OpenParent(call.starts[0].get(), request.old_path);
  if (old_parent.error != 0) return Errno(old_parent.error);
  Parent new_parent = OpenParent(call.starts[1].get(), request.new_path);
  if (new_parent.error != 0) return Errno(new_parent.error);
  return FromReturn(renameat2(old_parent.dir.get(), old_parent.last.c_str(), new_parent.dir.get(),
                              new_parent.last.c_str(), request.flags));
}

// With AT_EMPTY_PATH and an empty old path, the old file is the start fd
// itself (the gofer's own O_PATH fd, identity-checked against the client's).
// Invariant (never wider than Linux): Linux 6.10+ links such an fd for the
// task whose very credentials opened it, or for a caller with
// CAP_DAC_READ_SEARCH, else ENOENT (fs/namei.c, LOOKUP_LINKAT_EMPTY). The
// workload's open was native, so who opened it is unknown here (the gofer's
// own start would always pass the kernel's check): the capability is
// required, as Linux before 6.10 did. A directory cannot be linked (EPERM).
Answer HandleLinkat(Call& call, const protocol::Linkat& request) {
  Parent old_parent;
  if (request.old_path.empty() && (request.flags & AT_EMPTY_PATH)) {
    struct stat st = {};
    const bool directory = fstat(call.starts[0].get(), &st) == 0 && S_ISDIR(st.st_mode);
    if (!directory && !(request.creds.cap_effective & (uint64_t{1} << CAP_DAC_READ_SEARCH))) return Errno(ENOENT);
    old_parent.dir = call.starts[0].Take();
    if (!old_parent.dir.valid()) return Errno(errno);
  } else {
    old_parent = OpenParent(call.starts[0].get(), request.old_path);
    if (old_parent.error != 0) return Errno(old_parent.error);
  }
  Parent new_parent = OpenParent(call.starts[1].get(), request.new_path);
  if (new_parent.error != 0) return Errno(new_parent.error);
  return FromReturn(linkat(old_parent.dir.get(), old_parent.last.c_str(), new_parent.dir.get(),
                           new_parent.last.c_str(), static_cast<int>(request.flags)));
}

// The target is stored verbatim and never resolved by the gofer.
Answer HandleSymlinkat(Call& call, const protocol::Symlinkat& request) {
  Parent parent = OpenParent(call.starts[0].get(), request.path);
  if (parent.error != 0) return Errno(parent.error);
  return FromReturn(symlinkat(request.target.c_str(), parent.dir.get(), parent.last.c_str()));
}

}  // namespace gofer
