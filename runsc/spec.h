// The OCI runtime spec (config.json) as runsc understands it.
//
// ParseSpec validates types and values and rejects every field runsc does not
// implement yet with an error naming the field (e.g. "config.json:
// linux.resources.memory: not supported yet"); nothing is silently ignored.
#ifndef RUNSC_RUNSC_SPEC_H_
#define RUNSC_RUNSC_SPEC_H_

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "runsc/hooks.h"
#include "platform/userns.h"
#include "platform/cgroup_resources.h"

namespace runsc {

// process.user
struct User {
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::optional<mode_t> umask;
  std::vector<uint32_t> additional_gids;
};

// process.capabilities: each set holds kernel capability numbers (CAP_*).
struct Capabilities {
  std::vector<int> bounding, effective, inheritable, permitted, ambient;
};

// One process.rlimits entry; `resource` is RLIMIT_* already resolved.
struct Rlimit {
  std::string type;  // as written, e.g. "RLIMIT_NOFILE", for error messages
  int resource = 0;
  uint64_t soft = 0;
  uint64_t hard = 0;
};

// process
struct Process {
  bool terminal = false;
  User user;
  std::vector<std::string> args;  // never empty after ParseSpec
  std::vector<std::string> env;
  std::string cwd;  // absolute
  Capabilities capabilities;
  std::vector<Rlimit> rlimits;
  bool no_new_privileges = false;
  std::optional<int> oom_score_adj;
};

// One entry of mounts[]. `flags`/`propagation`/`data` are derived from
// options[] the way runc does (ro, nosuid, bind, rbind, rprivate, mode=...).
struct Mount {
  std::string destination;           // absolute, inside the container
  std::string type;                  // "bind" for every bind mount (type or bind/rbind option)
  std::string source;                // absolute host path for binds (bundle-relative resolved)
  std::vector<std::string> options;  // as written
  unsigned long flags = 0;           // MS_* to apply (MS_BIND, MS_REC, MS_RDONLY, ...)
  unsigned long clear_flags = 0;     // MS_* explicitly cleared (rw, suid, ...)
  unsigned long propagation = 0;     // MS_PRIVATE/MS_SLAVE/MS_SHARED/MS_UNBINDABLE [|MS_REC]
  std::string data;                  // remaining options joined by ',' (mode=755,size=...)
  bool copy_up = false;              // tmpcopyup (crun's): the tmpfs starts with the image's content
  uint64_t recursive_set = 0;        // MOUNT_ATTR_* of rro, rnosuid, ...: the mount and all beneath it
  uint64_t recursive_clear = 0;      // MOUNT_ATTR_* of rrw, rsuid, ... (and __ATIME for an atime one)
  // True for type "bind" or MS_BIND in flags.
  bool is_bind() const;
};

// linux.namespaces[] entry. `type` is the spec's name: pid, network, mount,
// ipc, uts, user, cgroup, time.
struct Namespace {
  std::string type;
  std::string path;    // empty: create a new one
  int clone_flag = 0;  // CLONE_NEWPID, ...
};

// linux.devices[] entry.
struct Device {
  std::string path;  // absolute, inside the container
  char type = 'c';   // 'c', 'b', 'u' (== 'c'), 'p'
  int64_t major = 0, minor = 0;
  std::optional<mode_t> file_mode;
  std::optional<uint32_t> uid, gid;
};

// linux.uidMappings[] / gidMappings[] entry.
using IdMapping = platform::IdMapping;

// linux.resources.devices[] entry (device cgroup rule).
struct DeviceRule {
  bool allow = false;
  char type = 'a';  // 'a', 'c', 'b'
  std::optional<int64_t> major, minor;
  std::string access = "rwm";
};

// linux
struct Linux {
  std::vector<Namespace> namespaces;
  std::vector<Device> devices;
  // Set only with a new user namespace (checked by ParseSpec).
  std::vector<IdMapping> uid_mappings, gid_mappings;
  std::vector<DeviceRule> device_rules;  // linux.resources.devices
  platform::CgroupResources resources;   // the rest of linux.resources
  std::string cgroups_path;
  std::map<std::string, std::string> sysctl;
  std::vector<std::string> masked_paths;
  std::vector<std::string> readonly_paths;
  std::string rootfs_propagation;  // "", "private", "rprivate", "slave", ...
  std::string mount_label;         // must be empty (no SELinux here)
  // linux.seccomp as written (null when absent), validated by ParseSpec;
  // compiled by platform::PendingOciSeccomp in the container process.
  nlohmann::json seccomp;
  // True when the container gets a user namespace of its own (not joined).
  bool CreatesUserNamespace() const;
  // True if a namespace of this type is listed (new or joined).
  bool HasNamespace(const std::string& type) const;
  // The entry of this type, or nullptr.
  const Namespace* FindNamespace(const std::string& type) const;
};

// The whole validated config.json.
struct Spec {
  std::string oci_version;
  std::string root_path;  // absolute (resolved against the bundle)
  bool root_readonly = false;
  Process process;
  std::string hostname;
  std::string domainname;
  std::vector<Mount> mounts;
  Linux linux;
  std::map<std::string, std::string> annotations;
  Hooks hooks;
  nlohmann::json raw;  // the document as read, for `state` and hooks
};

// Parses and validates a config.json document. `bundle` is the absolute
// bundle directory, used to resolve relative root.path and bind sources.
absl::StatusOr<Spec> ParseSpec(const nlohmann::json& doc, const std::string& bundle);

// Parses a linux.resources object alone (for `runsc update --resources`):
// the result's `resources` and `device_rules`. Errors name the field.
absl::StatusOr<Linux> ParseLinuxResources(const nlohmann::json& resources);

// Reads `<bundle>/config.json` and parses it. Errors name the file and field.
absl::StatusOr<Spec> LoadSpec(const std::string& bundle);

// Mount options ParseSpec turns into flags or propagation (runc's names),
// sorted; any other option is passed to the filesystem as data.
std::vector<std::string> SupportedMountOptions();

// Namespace types ParseSpec accepts in linux.namespaces, sorted.
std::vector<std::string> SupportedNamespaceTypes();

// The config.json `runsc spec` writes: runc's default (busybox `sh`,
// terminal: true), or its rootless variant (user namespace mapping the
// caller's euid/egid to 0, no network namespace, /sys bind-mounted). Keys keep
// runc's order; the result converts implicitly to nlohmann::json.
nlohmann::ordered_json DefaultSpec(bool rootless);

// The OCI features document (`runsc features`): what this build supports, in
// the shape and key order of `runc features`.
nlohmann::ordered_json FeaturesDocument();

}  // namespace runsc

#endif  // RUNSC_RUNSC_SPEC_H_
