// Per-process attributes of the container's first process: credentials,
// capabilities, rlimits, no_new_privs, sysctls. Called in the container init,
// in order, after the filesystem is set up and before execve.
#ifndef RUNSC_PLATFORM_PROCESS_ATTRS_H_
#define RUNSC_PLATFORM_PROCESS_ATTRS_H_

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace platform {

// The five capability sets, as CAP_* numbers.
struct CapabilitySets {
  std::vector<int> bounding, effective, inheritable, permitted, ambient;
};

// Resolves "CAP_SYS_ADMIN" (case-insensitive, "CAP_" optional) to its number;
// error names the unknown capability. Works for every cap the kernel knows.
absl::StatusOr<int> CapabilityFromName(std::string_view name);

// Drops every capability not in `bounding` from the bounding set (prctl
// PR_CAPBSET_DROP). Call before ChangeUser.
absl::Status LimitBoundingSet(const std::vector<int>& bounding);

// Switches to uid/gid with `additional_gids` as supplementary groups,
// keeping permitted capabilities across the uid change (PR_SET_KEEPCAPS)
// so ApplyCapabilities can still set them.
absl::Status ChangeUser(uint32_t uid, uint32_t gid, const std::vector<uint32_t>& additional_gids);

// Sets effective, permitted and inheritable sets (libcap), then the ambient
// set. Call after ChangeUser. Returns warnings for ambient capabilities that
// could not be raised (runc warns and goes on).
absl::StatusOr<std::vector<std::string>> ApplyCapabilities(const CapabilitySets& caps);

// setrlimit; error names the rlimit ("RLIMIT_NOFILE: raising the hard limit
// above ... needs CAP_SYS_RESOURCE").
absl::Status ApplyRlimit(const std::string& name, int resource, uint64_t soft, uint64_t hard);

// prctl(PR_SET_NO_NEW_PRIVS, 1).
absl::Status SetNoNewPrivileges();

// Writes /proc/self/oom_score_adj.
absl::Status SetOomScoreAdj(int value);

// Writes `value` to /proc/sys/<key with dots as slashes>; the key is
// validated (no "..", no "/" segments escaping /proc/sys).
absl::Status WriteSysctl(const std::string& key, const std::string& value);

// Sets the loopback interface of the current network namespace up (as runc
// does for a new one: without it 127.0.0.1 is unreachable).
absl::Status BringUpLoopback();

// sethostname / setdomainname.
absl::Status SetHostname(const std::string& name);
absl::Status SetDomainname(const std::string& name);

// Finds `file` the way execvp would in the current root ("/" after
// pivot_root), searching `path_env` (the container's PATH). Error when not
// found or not executable: `exec: "foo": executable file not found in $PATH`.
absl::StatusOr<std::string> LookPath(const std::string& file, const std::string& path_env);

}  // namespace platform

#endif  // RUNSC_PLATFORM_PROCESS_ATTRS_H_
