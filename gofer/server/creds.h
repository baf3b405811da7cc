// Per-request credentials of a serving thread (PROTOCOL.md rule 5, DESIGN.md
// rule 2): the caller's fsuid/fsgid, groups, effective capabilities and umask,
// switched with RAW system calls so that only the calling thread changes
// (glibc's set*id wrappers would broadcast to every thread of the gofer).
#ifndef RUNSC_GOFER_SERVER_CREDS_H_
#define RUNSC_GOFER_SERVER_CREDS_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gofer/protocol/wire.h"
#include "platform/userns.h"

namespace gofer {

// The gofer's own uid_map/gid_map (read before it loses /proc). Empty maps
// mean identity: the gofer runs in the user namespace whose ids the wire
// carries (the initial one).
struct IdMaps {
  std::vector<platform::IdMapping> uid_map, gid_map;
};

// An id as seen from the parent namespace (the wire's view) converted into
// the gofer's namespace through `map`; nullopt when unmapped. Empty map:
// identity.
std::optional<uint32_t> IdInNamespace(const std::vector<platform::IdMapping>& map, uint32_t id);

// The wire credentials converted into the gofer's namespace (fsuid, fsgid
// and every group); nullopt when any id is unmapped (the caller gets EPERM:
// dropping a group could grant access).
std::optional<protocol::Creds> MapCreds(const protocol::Creds& wire, const IdMaps& maps);

// A serving thread's own credentials, captured once at its start.
// Not thread-safe: each serving thread owns one and uses it from that
// thread only.
class ThreadCreds {
 public:
  // Captures the calling thread's fsuid, fsgid and capability sets.
  static absl::StatusOr<ThreadCreds> Capture();

  // Takes `caller` (already in this namespace): groups, fsgid, fsuid, then
  // effective caps = caller's ∩ this thread's permitted, then the umask.
  // Returns 0 or the errno of the step that failed (the thread may then be
  // half-switched: call Reset in every case).
  int Switch(const protocol::Creds& caller);

  // Back to the thread's own credentials: full effective caps first (they
  // are what allows the rest), fsuid, fsgid, no groups, umask 0. An error
  // means the thread's credentials are unknown: it must stop serving.
  absl::Status Reset();

  // The permitted set (low and high 32 bits), for tests.
  uint64_t permitted() const { return permitted_; }

 private:
  ThreadCreds() = default;

  uint32_t fsuid_ = 0, fsgid_ = 0;
  uint64_t permitted_ = 0, inheritable_ = 0;
};

// Switches a thread to a caller's credentials for one scope and resets
// them on the way out, even on error (a failed Reset is recorded in
// `reset_status`, which the owner must check).
class CredsScope {
 public:
  CredsScope(ThreadCreds& thread, const protocol::Creds& caller, absl::Status& reset_status)
      : thread_(thread), reset_status_(reset_status), error_(thread.Switch(caller)) {}
  ~CredsScope() { reset_status_ = thread_.Reset(); }
  CredsScope(const CredsScope&) = delete;
  CredsScope& operator=(const CredsScope&) = delete;

  // 0 when the switch succeeded, else its errno.
  int error() const { return error_; }

 private:
  ThreadCreds& thread_;
  absl::Status& reset_status_;
  int error_;
};

}  // namespace gofer

#endif  // RUNSC_GOFER_SERVER_CREDS_H_
