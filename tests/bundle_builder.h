// BundleBuilder: makes a temporary OCI bundle (rootfs copy + config.json) for one test.
#ifndef RUNSC_TESTS_BUNDLE_BUILDER_H_
#define RUNSC_TESTS_BUNDLE_BUILDER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "nlohmann/json.hpp"

namespace runsc::testing {

// Builds a bundle in `dir` from a runc-like default config (tests/bundle/config.json): mounts of
// proc, /dev tmpfs, devpts, shm, mqueue, sysfs, cgroup; pid/network/ipc/uts/mount namespaces;
// runc's masked and readonly paths; terminal false; runc's default capabilities.
// Setters are fluent; Write() copies the prepared rootfs and writes config.json.
class BundleBuilder {
 public:
  // A builder for a bundle at `dir` (created by Write()).
  explicit BundleBuilder(std::string dir);

  // process.args.
  BundleBuilder& Args(std::vector<std::string> args);
  // Appends one "NAME=value" to process.env.
  BundleBuilder& Env(const std::string& entry);
  // process.cwd.
  BundleBuilder& Cwd(const std::string& cwd);
  // process.user uid/gid, and additionalGids when given.
  BundleBuilder& User(uint32_t uid, uint32_t gid, std::vector<uint32_t> additional_gids = {});
  // process.user.umask.
  BundleBuilder& Umask(uint32_t umask);
  // hostname.
  BundleBuilder& Hostname(const std::string& hostname);
  // domainname.
  BundleBuilder& Domainname(const std::string& domainname);
  // root.readonly.
  BundleBuilder& ReadonlyRoot(bool readonly);
  // Appends a mount {destination, type, source, options}.
  BundleBuilder& AddMount(const std::string& destination, const std::string& type,
                          const std::string& source, std::vector<std::string> options);
  // Adds a namespace of `type`, or replaces it; joins `path` when non-empty.
  BundleBuilder& Namespace(const std::string& type, const std::string& path = "");
  // Removes the namespace of `type`.
  BundleBuilder& RemoveNamespace(const std::string& type);
  // Appends a masked path.
  BundleBuilder& MaskedPath(const std::string& path);
  // Appends a readonly path.
  BundleBuilder& ReadonlyPath(const std::string& path);
  // Appends a linux.devices entry and a matching cgroup device allow rule.
  BundleBuilder& Device(const std::string& path, const std::string& type, int64_t major,
                        int64_t minor, uint32_t file_mode);
  // Sets (or replaces) the rlimit `type` (e.g. "RLIMIT_NOFILE").
  BundleBuilder& Rlimit(const std::string& type, uint64_t soft, uint64_t hard);
  // Sets all five capability sets to `caps` (ambient and inheritable included).
  BundleBuilder& Capabilities(std::vector<std::string> caps);
  // Sets one capability set ("bounding", "effective", "permitted", "inheritable", "ambient").
  BundleBuilder& CapabilitySet(const std::string& set, std::vector<std::string> caps);
  // process.noNewPrivileges.
  BundleBuilder& NoNewPrivileges(bool nnp);
  // process.oomScoreAdj.
  BundleBuilder& OomScoreAdj(int adj);
  // Sets linux.sysctl[key] = value.
  BundleBuilder& Sysctl(const std::string& key, const std::string& value);
  // Sets annotations[key] = value.
  BundleBuilder& Annotation(const std::string& key, const std::string& value);
  // linux.cgroupsPath.
  BundleBuilder& CgroupsPath(const std::string& path);
  // Applies an RFC 7386 JSON merge patch to the config (null deletes a field).
  BundleBuilder& MergePatch(const nlohmann::json& patch);
  // Replaces config.json by raw text (for malformed-input tests); Write() writes it verbatim.
  BundleBuilder& RawConfig(const std::string& text);
  // Does not create the rootfs directory (for missing-rootfs tests).
  BundleBuilder& WithoutRootfs();

  // The config as it stands.
  nlohmann::json& config() { return config_; }
  // The bundle directory.
  const std::string& dir() const { return dir_; }
  // The rootfs directory inside the bundle.
  std::string rootfs() const { return dir_ + "/rootfs"; }

  // Creates the bundle directory, copies the prepared rootfs and writes config.json.
  absl::Status Write();

 private:
  std::string dir_;
  nlohmann::json config_;
  std::string raw_config_;
  bool has_raw_config_ = false;
  bool with_rootfs_ = true;
};

// The path of the prepared busybox+payload rootfs in the build tree.
std::string PreparedRootfs();

}  // namespace runsc::testing

#endif  // RUNSC_TESTS_BUNDLE_BUILDER_H_
