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

// A serving thread's credentials: its own (captured once at its start) or
// the last caller's it took. Not thread-safe: each serving thread owns one
// and uses it from that thread only.
//
// Invariant (DESIGN.md rule 2): a request is never performed with
// credentials other than its own. `taken_` is exactly what the thread holds
// (nullopt: its own); Take() returns 0 only once the thread holds every
// part of the caller's credentials (groups, fsgid, fsuid, effective caps,
// umask), either because the previous request's were the same or because it
// set them all; on any failure `taken_` is cleared and the caller must
// Reset() (or stop serving). Between requests a thread keeps the last
// caller's credentials: it then only reads the socket, decodes and replies,
// which check no file permission.
class ThreadCreds {
 public:
  // Captures the calling thread's fsuid, fsgid and capability sets.
  static absl::StatusOr<ThreadCreds> Capture();

  // Takes `caller` (already in this namespace). When the thread already
  // holds the same ids, groups and caps this costs at most a umask(2);
  // otherwise: full effective caps (needed to change ids), groups, fsgid,
  // fsuid, then effective caps = caller's ∩ this thread's permitted, then
  // the umask. Returns 0 or the errno of the step that failed (the thread
  // is then half-switched: Reset before anything else).
  int Take(const protocol::Creds& caller);

  // Back to the thread's own credentials: full effective caps first (they
  // are what allows the rest), fsuid, fsgid, no groups, umask 0. An error
  // means the thread's credentials are unknown: it must stop serving.
  absl::Status Reset();

  // True while the thread holds its own credentials (no caller's).
  bool own() const { return !taken_.has_value() && umask_ == 0; }

  // The permitted set (low and high 32 bits), for tests.
  uint64_t permitted() const { return permitted_; }

 private:
  ThreadCreds() = default;
  int Switch(const protocol::Creds& caller);
  void SetUmask(uint32_t mask);

  uint32_t fsuid_ = 0, fsgid_ = 0;
  uint64_t permitted_ = 0, inheritable_ = 0;
  // The caller's credentials the thread holds (umask aside); nullopt: its own.
  std::optional<protocol::Creds> taken_;
  uint32_t umask_ = 0;  // the thread's umask now (its fs struct is its own)
};

}  // namespace gofer

#endif  // RUNSC_GOFER_SERVER_CREDS_H_
