// The OCI `linux.seccomp` profile: parsed, compiled with libseccomp into a
// BPF program, and installed in a container process, with the listener of
// SCMP_ACT_NOTIFY rules handed to the seccomp agent at `listenerPath` the way
// runc does (one SCM_RIGHTS message carrying runc's "containerProcessState").
//
// Composition with the sandbox's own filter: this filter is loaded with the
// raw seccomp(2) call, with only the profile's flags and NEW_LISTENER when the
// profile has SCMP_ACT_NOTIFY rules. The kernel runs every filter of the
// task and the strictest action wins, so a later filter can only narrow what
// this one allows. The kernel allows one listener per task (EBUSY for a
// second one): a profile with SCMP_ACT_NOTIFY takes that slot.
#ifndef RUNSC_PLATFORM_OCI_SECCOMP_H_
#define RUNSC_PLATFORM_OCI_SECCOMP_H_

#include <linux/filter.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "platform/unique_fd.h"

namespace platform {

// One linux.seccomp.syscalls[].args[] condition; `op` is libseccomp's
// enum scmp_compare (SCMP_CMP_EQ, ...).
struct OciSeccompArg {
  unsigned index = 0;
  uint64_t value = 0;
  uint64_t value_two = 0;
  int op = 0;
};

// One linux.seccomp.syscalls[] entry; `action` is a SCMP_ACT_* value with
// its errno (ERRNO, TRACE) folded in.
struct OciSeccompRule {
  std::vector<std::string> names;
  uint32_t action = 0;
  std::vector<OciSeccompArg> args;
};

// A validated linux.seccomp profile.
struct OciSeccompProfile {
  uint32_t default_action = 0;          // SCMP_ACT_*, errno folded in
  std::vector<uint32_t> architectures;  // SCMP_ARCH_*, besides the native one
  unsigned flags = 0;                   // SECCOMP_FILTER_FLAG_* (TSYNC, LOG, SPEC_ALLOW, ...)
  std::string listener_path;            // absolute; set when a rule is SCMP_ACT_NOTIFY
  std::string listener_metadata;
  std::vector<OciSeccompRule> syscalls;
  // True when some rule's action is SCMP_ACT_NOTIFY.
  bool NeedsListener() const;
};

// Validates `profile` (the value of linux.seccomp). Returns nullopt when it
// asks for no filter (null, or neither defaultAction nor syscalls, as runc).
// Errors are InvalidArgument "<path>.<field>: <what>", `path` being where the
// profile sits, e.g. "linux.seccomp.syscalls[3].action: unknown action \"X\"".
// Syscall names are not resolved here (unknown ones are skipped at compile).
absl::StatusOr<std::optional<OciSeccompProfile>> ParseOciSeccomp(const nlohmann::json& profile,
                                                                 const std::string& path);

// A profile compiled to BPF, with the seccomp(2) flags to load it with.
struct CompiledSeccomp {
  std::vector<sock_filter> program;
  unsigned flags = 0;  // SECCOMP_FILTER_FLAG_*, NEW_LISTENER included when needed
};

// Compiles `profile` with libseccomp as runc does: rules whose action is the
// default action are dropped, unknown syscall names are skipped (debug log),
// conditions on distinct args form one rule, several on one arg one rule each.
absl::StatusOr<CompiledSeccomp> CompileOciSeccomp(const OciSeccompProfile& profile);

// Exports the libseccomp filter `ctx` (a scmp_filter_ctx) as a BPF program,
// refusing one longer than the kernel's BPF_MAXINSNS.
absl::StatusOr<std::vector<sock_filter>> ExportSeccompBpf(void* ctx);

// The libseccomp pseudo-filter-code text of the filter `ctx` (a scmp_filter_ctx).
absl::StatusOr<std::string> ExportSeccompPfc(void* ctx);

// The linux.seccomp part of the OCI features document: the actions,
// operators, architectures and flags this compiler accepts.
nlohmann::json OciSeccompFeatures();

// The libseccomp pseudo-filter-code text of `profile`, for tests and debugging.
absl::StatusOr<std::string> ExportOciSeccompPfc(const OciSeccompProfile& profile);

// Loads `compiled` into the calling thread with seccomp(2). Without
// no_new_privs this needs CAP_SYS_ADMIN. Returns the listener (CLOEXEC)
// when the flags ask for one, else an empty fd.
absl::StatusOr<UniqueFd> LoadSeccompProgram(const CompiledSeccomp& compiled);

// The container state the seccomp agent receives (OCI state without pid).
struct SeccompAgentInfo {
  std::string oci_version;
  std::string id;
  std::string status;  // "creating" for the init, "running" for exec
  std::string bundle;
  std::map<std::string, std::string> annotations;
};

// runc's containerProcessState message: {ociVersion, fds: ["seccompFd"], pid,
// metadata, state: {ociVersion, id, status, pid, bundle, annotations}}.
nlohmann::json SeccompAgentMessage(const SeccompAgentInfo& info, int pid, const std::string& metadata);

// Sends `message` and `listener_fd` in one SCM_RIGHTS sendmsg on `socket_fd`.
absl::Status SendSeccompListener(int socket_fd, int listener_fd, const nlohmann::json& message);

// A container process's profile, compiled ahead of time and installed later,
// so that nothing but the load, the hand-over to the agent and our own last
// setup steps run under it.
//
// Invariant (no host fd reaches the workload): the agent socket and the
// listener are CLOEXEC, and Install() closes both before returning; a failed
// Prepare() or Install() leaves no fd open either.
class PendingOciSeccomp {
 public:
  // No profile: Install() does nothing.
  PendingOciSeccomp() = default;

  // Compiles linux.seccomp (`profile`, JSON null for none) and, when it has
  // SCMP_ACT_NOTIFY rules, connects to its listenerPath and records our host
  // pid. Call while the host's root and /proc are still ours (before
  // pivot_root or joining the container's mount namespace).
  static absl::StatusOr<PendingOciSeccomp> Prepare(const nlohmann::json& profile,
                                                   const SeccompAgentInfo& info);

  // Loads the filter (once; later calls do nothing), then hands the listener
  // and the state to the agent and closes both.
  absl::Status Install();

  // True when there is a filter that Install() has not loaded yet.
  bool pending() const { return compiled_.has_value(); }

  // True when the profile has SCMP_ACT_NOTIFY rules: its filter takes the
  // one listener the kernel allows a task.
  bool takes_listener() const { return takes_listener_; }

 private:
  std::optional<CompiledSeccomp> compiled_;
  bool takes_listener_ = false;
  UniqueFd agent_;
  nlohmann::json message_;
};

}  // namespace platform

#endif  // RUNSC_PLATFORM_OCI_SECCOMP_H_
