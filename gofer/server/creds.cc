#include "gofer/server/creds.h"

#include <errno.h>
#include <linux/capability.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "platform/errors.h"

namespace gofer {
namespace {

struct CapSets {
  uint64_t effective = 0, permitted = 0, inheritable = 0;
};

uint64_t Join(uint32_t low, uint32_t high) { return static_cast<uint64_t>(high) << 32 | low; }

// capget/capset for the calling thread only (pid 0), version 3 (64 bits).
int GetCaps(CapSets& sets) {
  __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  if (syscall(SYS_capget, &header, data) != 0) return errno;
  sets.effective = Join(data[0].effective, data[1].effective);
  sets.permitted = Join(data[0].permitted, data[1].permitted);
  sets.inheritable = Join(data[0].inheritable, data[1].inheritable);
  return 0;
}

int SetCaps(const CapSets& sets) {
  __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  data[0] = {static_cast<uint32_t>(sets.effective), static_cast<uint32_t>(sets.permitted),
             static_cast<uint32_t>(sets.inheritable)};
  data[1] = {static_cast<uint32_t>(sets.effective >> 32), static_cast<uint32_t>(sets.permitted >> 32),
             static_cast<uint32_t>(sets.inheritable >> 32)};
  return syscall(SYS_capset, &header, data) == 0 ? 0 : errno;
}

// setfsuid/setfsgid report no error; the new value is read back (-1 is
// never a valid id, so passing it only queries).
int SetFsId(long number, uint32_t id) {
  syscall(number, id);
  return static_cast<uint32_t>(syscall(number, -1)) == id ? 0 : EPERM;
}

int SetGroups(const std::vector<uint32_t>& groups) {
  static_assert(sizeof(gid_t) == sizeof(uint32_t));
  const void* list = groups.empty() ? nullptr : groups.data();
  return syscall(SYS_setgroups, groups.size(), list) == 0 ? 0 : errno;
}

}  // namespace

std::optional<uint32_t> IdInNamespace(const std::vector<platform::IdMapping>& map, uint32_t id) {
  if (map.empty()) return id;
  for (const platform::IdMapping& mapping : map) {
    uint64_t first = mapping.host_id;
    if (id >= first && id < first + mapping.size) return mapping.container_id + (id - mapping.host_id);
  }
  return std::nullopt;
}

std::optional<protocol::Creds> MapCreds(const protocol::Creds& wire, const IdMaps& maps) {
  protocol::Creds mapped = wire;
  std::optional<uint32_t> fsuid = IdInNamespace(maps.uid_map, wire.fsuid);
  std::optional<uint32_t> fsgid = IdInNamespace(maps.gid_map, wire.fsgid);
  if (!fsuid || !fsgid) return std::nullopt;
  mapped.fsuid = *fsuid;
  mapped.fsgid = *fsgid;
  for (uint32_t& group : mapped.groups) {
    std::optional<uint32_t> in_namespace = IdInNamespace(maps.gid_map, group);
    if (!in_namespace) return std::nullopt;
    group = *in_namespace;
  }
  return mapped;
}

absl::StatusOr<ThreadCreds> ThreadCreds::Capture() {
  ThreadCreds creds;
  CapSets sets;
  if (int err = GetCaps(sets); err != 0) return platform::ErrnoError(err, "capget");
  creds.permitted_ = sets.permitted;
  creds.inheritable_ = sets.inheritable;
  creds.fsuid_ = static_cast<uint32_t>(syscall(SYS_setfsuid, -1));
  creds.fsgid_ = static_cast<uint32_t>(syscall(SYS_setfsgid, -1));
  return creds;
}

namespace {

// Same ids, groups and caps (the umask is set apart: it changes alone).
bool SameIds(const protocol::Creds& a, const protocol::Creds& b) {
  return a.fsuid == b.fsuid && a.fsgid == b.fsgid && a.cap_effective == b.cap_effective && a.groups == b.groups;
}

}  // namespace

int ThreadCreds::Take(const protocol::Creds& caller) {
  if (taken_.has_value() && SameIds(*taken_, caller)) {
    SetUmask(caller.umask & 0777);
    return 0;
  }
  if (taken_.has_value()) {
    // Another caller's: its effective caps may lack CAP_SETUID/CAP_SETGID.
    taken_.reset();
    if (int err = SetCaps({permitted_, permitted_, inheritable_}); err != 0) return err;
  }
  if (int err = Switch(caller); err != 0) return err;
  taken_ = caller;
  SetUmask(caller.umask & 0777);
  return 0;
}

int ThreadCreds::Switch(const protocol::Creds& caller) {
  // Order matters: groups and ids need CAP_SETGID/CAP_SETUID, which the
  // caller's effective set may lack, so the caps are lowered last. The
  // effective set can never exceed the thread's permitted set: a client
  // cannot ask for more than the gofer holds.
  if (int err = SetGroups(caller.groups); err != 0) return err;
  if (int err = SetFsId(SYS_setfsgid, caller.fsgid); err != 0) return err;
  if (int err = SetFsId(SYS_setfsuid, caller.fsuid); err != 0) return err;
  return SetCaps({caller.cap_effective & permitted_, permitted_, inheritable_});
}

void ThreadCreds::SetUmask(uint32_t mask) {
  if (mask == umask_) return;
  umask(mask);
  umask_ = mask;
}

absl::Status ThreadCreds::Reset() {
  taken_.reset();
  if (int err = SetCaps({permitted_, permitted_, inheritable_}); err != 0) {
    return platform::ErrnoError(err, "restoring the serving thread's capabilities");
  }
  if (SetFsId(SYS_setfsuid, fsuid_) != 0) return absl::InternalError("restoring the fsuid");
  if (SetFsId(SYS_setfsgid, fsgid_) != 0) return absl::InternalError("restoring the fsgid");
  if (int err = SetGroups({}); err != 0) return platform::ErrnoError(err, "clearing the groups");
  umask(0);
  umask_ = 0;
  return absl::OkStatus();
}

}  // namespace gofer
