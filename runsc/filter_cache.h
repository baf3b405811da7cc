// The sandbox filter, compiled once per policy: runsc create keeps the BPF
// program it compiled in its state root, keyed by everything the program
// depends on, and hands it to the init (InitConfig::sandbox_filter), which
// otherwise compiles it itself (libseccomp: ~16 ms of the init's set-up on
// the bench VM, the longest phase of the start-up timeline).
//
// Invariant: a cached program is used only for exactly the inputs it was
// compiled from. Its file holds those inputs (FilterKey) before the program
// and a load compares them byte for byte, so a stale or colliding file is
// compiled again, never loaded. The cache is trusted as the state root is:
// a file counts only when it is a regular file owned by our euid and
// writable by nobody else; it is written to a temporary name and renamed.
#ifndef RUNSC_RUNSC_FILTER_CACHE_H_
#define RUNSC_RUNSC_FILTER_CACHE_H_

#include <linux/filter.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace runsc {

// What the sandbox filter is compiled from: this binary (its GNU build id:
// the syscall table, libseccomp), the kernel (libseccomp adapts to its API
// level), the sandbox config (sentry::SandboxConfig::ToJson()) and whether
// the OCI profile takes the seccomp listener. Empty when the binary has no
// build id: then nothing is cached.
std::string FilterKey(const nlohmann::json& sandbox, bool oci_takes_listener);

// The program cached under `root` for `key`, if any.
std::optional<std::vector<sock_filter>> LoadCachedFilter(
    const std::string& root, const std::string& key);

// Caches `program` under `root` for `key` (best effort: a failure is logged).
void StoreCachedFilter(const std::string& root, const std::string& key,
                       const std::vector<sock_filter>& program);

// The init's sandbox_filter: the program for `oci_takes_listener`, from the
// cache under `root` or compiled (and cached). Null when `sandbox` is empty.
absl::StatusOr<nlohmann::json> PrecompiledSandboxFilter(
    const std::string& root, const nlohmann::json& sandbox,
    bool oci_takes_listener);

// The encoding of a program in InitConfig::sandbox_filter, and back.
std::string EncodeProgram(const std::vector<sock_filter>& program);
std::optional<std::vector<sock_filter>> DecodeProgram(const std::string& text);

}  // namespace runsc

#endif  // RUNSC_RUNSC_FILTER_CACHE_H_
