// ParseSpec / LoadSpec: config.json into runsc::Spec, validated.
//
// Choices beyond the OCI text (runc 1.1 is the reference):
// - A JSON null is the same as an absent field (Go's zero value).
// - Fields runsc does not implement yet are rejected when they hold anything
//   but their zero value (false, 0, "", [], {} or objects of those), with
//   code Unimplemented and "not supported yet".
// - Namespace types linux.namespaces leaves out are inherited (OCI), except
//   the mount namespace: the sandbox always makes one of its own (it
//   pivot_roots and builds a read-only view; README, "Namespaces").
// - linux.mountLabel is ignored on a host without SELinux, as crun does
//   (runc 1.1 passes it to every mount as context= and tmpfs refuses it),
//   and refused on one with SELinux, where it would need applying.
// - Mount type "bind" implies MS_BIND even without a bind option (runc 1.2).
// - Recursive mount attributes (rro, rnosuid, ...) and idmap are
//   rejected as not supported yet rather than passed to mount(2) as data.
#include "runsc/spec.h"

#include <sched.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>
#include <string_view>
#include <utility>

#include "fmt/format.h"
#include "platform/errors.h"
#include "platform/oci_seccomp.h"
#include "platform/process_attrs.h"
#include "platform/status_macros.h"
#include "spdlog/spdlog.h"

namespace runsc {
namespace {

// ---- reading JSON values with their config.json path ----

// Go's zero value test: null, false, 0, "", [] and objects whose members are
// all unset count as "not set".
bool IsSet(const nlohmann::json& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::null:
      return false;
    case nlohmann::json::value_t::boolean:
      return value.get<bool>();
    case nlohmann::json::value_t::string:
      return !value.get_ref<const std::string&>().empty();
    case nlohmann::json::value_t::array:
      return !value.empty();
    case nlohmann::json::value_t::object:
      return std::any_of(value.begin(), value.end(), [](const auto& v) { return IsSet(v); });
    case nlohmann::json::value_t::number_float:
      return value.get<double>() != 0;
    default:
      return value != 0;
  }
}

// "a string", "a number", ... for type errors.
std::string_view KindName(const nlohmann::json& value) {
  if (value.is_number()) return "number";
  return value.type_name();
}

// A value of the document (absent when `value` is null) with its path in
// config.json, e.g. "linux.namespaces[2].type", for error messages.
class Node {
 public:
  Node(const nlohmann::json* value, std::string path) : value_(value), path_(std::move(path)) {}

  const std::string& path() const { return path_; }
  // The value itself; nullptr when the field is absent.
  const nlohmann::json* value() const { return value_; }
  // False when the field is absent or null.
  bool present() const { return value_ != nullptr && !value_->is_null(); }
  // Number of elements of an array; 0 for anything else.
  size_t size() const { return present() && value_->is_array() ? value_->size() : 0; }

  // The member `key` of an object ("path.key"); absent if there is none.
  Node operator[](std::string_view key) const {
    return Member(std::string(key),
                  path_.empty() ? std::string(key) : path_ + "." + std::string(key));
  }
  // The member `key` of a map-like object, as path["key"].
  Node Key(const std::string& key) const {
    return Member(key, fmt::format("{}[\"{}\"]", path_, key));
  }
  // The element `i` of an array ("path[i]").
  Node At(size_t i) const {
    const nlohmann::json* element = i < size() ? &(*value_)[i] : nullptr;
    return Node(element, fmt::format("{}[{}]", path_, i));
  }

  // InvalidArgument "config.json: <path>: <message>".
  absl::Status Error(std::string_view message) const {
    if (path_.empty()) return absl::InvalidArgumentError(fmt::format("config.json: {}", message));
    return absl::InvalidArgumentError(fmt::format("config.json: {}: {}", path_, message));
  }
  // Unimplemented "config.json: <path>: <what>not supported yet".
  absl::Status NotSupported(std::string_view what = "") const {
    return absl::UnimplementedError(
        fmt::format("config.json: {}: {}not supported yet", path_, what));
  }
  // "expected <want>, got <kind>".
  absl::Status TypeError(std::string_view want) const {
    return Error(fmt::format("expected {}, got {}", want, KindName(*value_)));
  }
  // OK when absent or an object.
  absl::Status ExpectObject() const {
    return !present() || value_->is_object() ? absl::OkStatus() : TypeError("an object");
  }
  // OK when absent or an array.
  absl::Status ExpectArray() const {
    return !present() || value_->is_array() ? absl::OkStatus() : TypeError("an array");
  }
  // NotSupported when the value is set to anything but its zero value.
  absl::Status RejectIfSet() const {
    return present() && IsSet(*value_) ? NotSupported() : absl::OkStatus();
  }

  // A string; "" when absent.
  absl::StatusOr<std::string> String() const {
    if (!present()) return std::string();
    if (!value_->is_string()) return TypeError("a string");
    return value_->get<std::string>();
  }
  // A string that must be present and non-empty.
  absl::StatusOr<std::string> RequiredString() const {
    if (!present()) return Error("required field missing");
    ASSIGN_OR_RETURN(std::string text, String());
    if (text.empty()) return Error("must not be empty");
    return text;
  }
  // A boolean; false when absent.
  absl::StatusOr<bool> Bool() const {
    if (!present()) return false;
    if (!value_->is_boolean()) return TypeError("a boolean");
    return value_->get<bool>();
  }
  // An integer that fits T; 0 when absent.
  template <typename T>
  absl::StatusOr<T> Int() const {
    if (!present()) return T{0};
    if (!value_->is_number()) return TypeError("a number");
    if (value_->is_number_float())
      return Error(fmt::format("expected an integer, got {}", value_->dump()));
    const bool fits = value_->is_number_unsigned() ? std::in_range<T>(value_->get<uint64_t>())
                                                   : std::in_range<T>(value_->get<int64_t>());
    if (!fits) {
      return Error(fmt::format("must be between {} and {}, got {}", std::numeric_limits<T>::min(),
                               std::numeric_limits<T>::max(), value_->dump()));
    }
    return value_->get<T>();
  }
  // An integer that must be present.
  template <typename T>
  absl::StatusOr<T> RequiredInt() const {
    if (!present()) return Error("required field missing");
    return Int<T>();
  }
  // An array of strings; empty when absent.
  absl::StatusOr<std::vector<std::string>> Strings() const {
    RETURN_IF_ERROR(ExpectArray());
    std::vector<std::string> out;
    for (size_t i = 0; i < size(); ++i) {
      const Node element = At(i);
      if (!element.present() || !element.value_->is_string()) return element.TypeError("a string");
      out.push_back(element.value_->get<std::string>());
    }
    return out;
  }
  // An object whose values are all strings; empty when absent.
  absl::StatusOr<std::map<std::string, std::string>> StringMap() const {
    RETURN_IF_ERROR(ExpectObject());
    std::map<std::string, std::string> out;
    if (!present()) return out;
    for (const auto& [key, value] : value_->items()) {
      if (!value.is_string()) return Key(key).TypeError("a string");
      out[key] = value.get<std::string>();
    }
    return out;
  }

 private:
  Node Member(const std::string& key, std::string path) const {
    const nlohmann::json* member = nullptr;
    if (present() && value_->is_object()) {
      auto it = value_->find(key);
      if (it != value_->end()) member = &*it;
    }
    return Node(member, std::move(path));
  }

  const nlohmann::json* value_;
  std::string path_;
};

// ---- paths ----

// Lexically cleans an absolute path like Go's filepath.Clean: no ".", no
// "..", no duplicate or trailing slashes; ".." never climbs above "/".
std::string CleanAbsolute(std::string_view path) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view part = path.substr(start, end - start);
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
    } else if (!part.empty() && part != ".") {
      parts.push_back(part);
    }
    start = end + 1;
  }
  std::string out;
  for (std::string_view part : parts) out += fmt::format("/{}", part);
  return out.empty() ? "/" : out;
}

// `path` made absolute against `base` (when relative) and cleaned.
std::string ResolveAgainst(const std::string& base, const std::string& path) {
  if (path.starts_with("/")) return CleanAbsolute(path);
  return CleanAbsolute(fmt::format("{}/{}", base, path));
}

// Error unless `path` (the value at `node`) is absolute.
absl::Status RequireAbsolute(const Node& node, const std::string& path) {
  if (path.starts_with("/")) return absl::OkStatus();
  return node.Error(fmt::format("must be an absolute path, got \"{}\"", path));
}

// Reads an array of absolute paths.
absl::StatusOr<std::vector<std::string>> ReadAbsolutePaths(const Node& node) {
  ASSIGN_OR_RETURN(std::vector<std::string> paths, node.Strings());
  for (size_t i = 0; i < paths.size(); ++i) {
    RETURN_IF_ERROR(RequireAbsolute(node.At(i), paths[i]));
  }
  return paths;
}

// ---- root, process ----

absl::Status ParseRoot(const Node& node, const std::string& bundle, Spec& spec) {
  if (!node.present()) return node.Error("required field missing");
  RETURN_IF_ERROR(node.ExpectObject());
  ASSIGN_OR_RETURN(std::string path, node["path"].RequiredString());
  spec.root_path = ResolveAgainst(bundle, path);
  ASSIGN_OR_RETURN(spec.root_readonly, node["readonly"].Bool());
  return absl::OkStatus();
}

absl::StatusOr<User> ParseUser(const Node& node) {
  User user;
  RETURN_IF_ERROR(node.ExpectObject());
  ASSIGN_OR_RETURN(user.uid, node["uid"].Int<uint32_t>());
  ASSIGN_OR_RETURN(user.gid, node["gid"].Int<uint32_t>());
  if (node["umask"].present()) {
    ASSIGN_OR_RETURN(uint32_t umask, node["umask"].Int<uint32_t>());
    if (umask > 0777)
      return node["umask"].Error(fmt::format("must be at most 0777, got {:#o}", umask));
    user.umask = umask;
  }
  const Node gids = node["additionalGids"];
  RETURN_IF_ERROR(gids.ExpectArray());
  for (size_t i = 0; i < gids.size(); ++i) {
    ASSIGN_OR_RETURN(uint32_t gid, gids.At(i).Int<uint32_t>());
    user.additional_gids.push_back(gid);
  }
  return user;
}

// Checks one "NAME=value" entry the way runc does before exec.
absl::Status CheckEnvEntry(const Node& node, const std::string& entry) {
  const size_t eq = entry.find('=');
  if (eq == std::string::npos) return node.Error("invalid environment variable: missing '='");
  if (eq == 0) return node.Error("invalid environment variable: name cannot be empty");
  if (entry.find('\0') != std::string::npos) {
    return node.Error("invalid environment variable: contains a nul byte");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<int>> ParseCapabilitySet(const Node& node) {
  ASSIGN_OR_RETURN(std::vector<std::string> names, node.Strings());
  std::vector<int> caps;
  for (size_t i = 0; i < names.size(); ++i) {
    absl::StatusOr<int> cap = platform::CapabilityFromName(names[i]);
    if (!cap.ok()) return node.At(i).Error(std::string(cap.status().message()));
    caps.push_back(*cap);
  }
  return caps;
}

absl::StatusOr<Capabilities> ParseCapabilities(const Node& node) {
  Capabilities caps;
  RETURN_IF_ERROR(node.ExpectObject());
  ASSIGN_OR_RETURN(caps.bounding, ParseCapabilitySet(node["bounding"]));
  ASSIGN_OR_RETURN(caps.effective, ParseCapabilitySet(node["effective"]));
  ASSIGN_OR_RETURN(caps.inheritable, ParseCapabilitySet(node["inheritable"]));
  ASSIGN_OR_RETURN(caps.permitted, ParseCapabilitySet(node["permitted"]));
  ASSIGN_OR_RETURN(caps.ambient, ParseCapabilitySet(node["ambient"]));
  return caps;
}

// RLIMIT_* by name; -1 when unknown.
int RlimitFromName(std::string_view name) {
  static constexpr std::pair<std::string_view, int> kRlimits[] = {
      {"RLIMIT_AS", RLIMIT_AS},
      {"RLIMIT_CORE", RLIMIT_CORE},
      {"RLIMIT_CPU", RLIMIT_CPU},
      {"RLIMIT_DATA", RLIMIT_DATA},
      {"RLIMIT_FSIZE", RLIMIT_FSIZE},
      {"RLIMIT_LOCKS", RLIMIT_LOCKS},
      {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
      {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
      {"RLIMIT_NICE", RLIMIT_NICE},
      {"RLIMIT_NOFILE", RLIMIT_NOFILE},
      {"RLIMIT_NPROC", RLIMIT_NPROC},
      {"RLIMIT_RSS", RLIMIT_RSS},
      {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
      {"RLIMIT_RTTIME", RLIMIT_RTTIME},
      {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
      {"RLIMIT_STACK", RLIMIT_STACK},
  };
  for (const auto& [rlimit_name, resource] : kRlimits) {
    if (rlimit_name == name) return resource;
  }
  return -1;
}

absl::StatusOr<Rlimit> ParseRlimit(const Node& node) {
  Rlimit rlimit;
  RETURN_IF_ERROR(node.ExpectObject());
  ASSIGN_OR_RETURN(rlimit.type, node["type"].RequiredString());
  rlimit.resource = RlimitFromName(rlimit.type);
  if (rlimit.resource < 0) {
    return node["type"].Error(fmt::format("unknown rlimit \"{}\"", rlimit.type));
  }
  ASSIGN_OR_RETURN(rlimit.soft, node["soft"].RequiredInt<uint64_t>());
  ASSIGN_OR_RETURN(rlimit.hard, node["hard"].RequiredInt<uint64_t>());
  if (rlimit.soft > rlimit.hard) {
    return node.Error(
        fmt::format("soft limit {} is above hard limit {}", rlimit.soft, rlimit.hard));
  }
  return rlimit;
}

absl::StatusOr<std::vector<Rlimit>> ParseRlimits(const Node& node) {
  RETURN_IF_ERROR(node.ExpectArray());
  std::vector<Rlimit> rlimits;
  std::set<int> seen;
  for (size_t i = 0; i < node.size(); ++i) {
    ASSIGN_OR_RETURN(Rlimit rlimit, ParseRlimit(node.At(i)));
    if (!seen.insert(rlimit.resource).second) {
      return node.At(i)["type"].Error(fmt::format("duplicate rlimit \"{}\"", rlimit.type));
    }
    rlimits.push_back(std::move(rlimit));
  }
  return rlimits;
}

absl::Status RejectUnsupportedProcessFields(const Node& node) {
  for (const char* key : {"apparmorProfile", "selinuxLabel", "ioPriority", "scheduler"}) {
    RETURN_IF_ERROR(node[key].RejectIfSet());
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> ParseArgs(const Node& node) {
  if (!node.present()) return node.Error("required field missing");
  ASSIGN_OR_RETURN(std::vector<std::string> args, node.Strings());
  if (args.empty()) return node.Error("must not be empty");
  if (args[0].empty()) return node.At(0).Error("must not be empty");
  return args;
}

absl::StatusOr<Process> ParseProcess(const Node& node) {
  if (!node.present()) return node.Error("required field missing");
  RETURN_IF_ERROR(node.ExpectObject());
  RETURN_IF_ERROR(RejectUnsupportedProcessFields(node));
  Process process;
  ASSIGN_OR_RETURN(process.terminal, node["terminal"].Bool());
  ASSIGN_OR_RETURN(process.user, ParseUser(node["user"]));
  ASSIGN_OR_RETURN(process.args, ParseArgs(node["args"]));
  ASSIGN_OR_RETURN(process.env, node["env"].Strings());
  for (size_t i = 0; i < process.env.size(); ++i) {
    RETURN_IF_ERROR(CheckEnvEntry(node["env"].At(i), process.env[i]));
  }
  ASSIGN_OR_RETURN(process.cwd, node["cwd"].RequiredString());
  RETURN_IF_ERROR(RequireAbsolute(node["cwd"], process.cwd));
  ASSIGN_OR_RETURN(process.capabilities, ParseCapabilities(node["capabilities"]));
  ASSIGN_OR_RETURN(process.rlimits, ParseRlimits(node["rlimits"]));
  ASSIGN_OR_RETURN(process.no_new_privileges, node["noNewPrivileges"].Bool());
  if (node["oomScoreAdj"].present()) {
    ASSIGN_OR_RETURN(int adj, node["oomScoreAdj"].Int<int>());
    if (adj < -1000 || adj > 1000) {
      return node["oomScoreAdj"].Error(fmt::format("must be between -1000 and 1000, got {}", adj));
    }
    process.oom_score_adj = adj;
  }
  return process;
}

// ---- mounts ----

// One flag option of runc's parseMountOptions: `clear` options remove the flag.
struct MountFlagOption {
  std::string_view name;
  bool clear;
  unsigned long flag;
};

#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW 256
#endif

// clang-format off
constexpr MountFlagOption kMountFlagOptions[] = {
    {"acl", false, MS_POSIXACL},          {"async", true, MS_SYNCHRONOUS},
    {"atime", true, MS_NOATIME},          {"bind", false, MS_BIND},
    {"defaults", false, 0},               {"dev", true, MS_NODEV},
    {"diratime", true, MS_NODIRATIME},    {"dirsync", false, MS_DIRSYNC},
    {"exec", true, MS_NOEXEC},            {"iversion", false, MS_I_VERSION},
    {"lazytime", false, MS_LAZYTIME},     {"loud", true, MS_SILENT},
    {"mand", false, MS_MANDLOCK},         {"noacl", true, MS_POSIXACL},
    {"noatime", false, MS_NOATIME},       {"nodev", false, MS_NODEV},
    {"nodiratime", false, MS_NODIRATIME}, {"noexec", false, MS_NOEXEC},
    {"noiversion", true, MS_I_VERSION},   {"nolazytime", true, MS_LAZYTIME},
    {"nomand", true, MS_MANDLOCK},        {"norelatime", true, MS_RELATIME},
    {"nostrictatime", true, MS_STRICTATIME}, {"nosuid", false, MS_NOSUID},
    {"nosymfollow", false, MS_NOSYMFOLLOW},  {"rbind", false, MS_BIND | MS_REC},
    {"relatime", false, MS_RELATIME},     {"remount", false, MS_REMOUNT},
    {"ro", false, MS_RDONLY},             {"rw", true, MS_RDONLY},
    {"silent", false, MS_SILENT},         {"strictatime", false, MS_STRICTATIME},
    {"suid", true, MS_NOSUID},            {"sync", false, MS_SYNCHRONOUS},
    {"symfollow", true, MS_NOSYMFOLLOW},
};
// clang-format on

constexpr std::pair<std::string_view, unsigned long> kPropagationOptions[] = {
    {"private", MS_PRIVATE},       {"rprivate", MS_PRIVATE | MS_REC},
    {"shared", MS_SHARED},         {"rshared", MS_SHARED | MS_REC},
    {"slave", MS_SLAVE},           {"rslave", MS_SLAVE | MS_REC},
    {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
};

// runc's recursive attributes, applied with mount_setattr(AT_RECURSIVE) to the
// mount and every mount beneath it once mounted; `clear` options remove one.
struct RecursiveAttrOption {
  std::string_view name;
  bool clear;
  uint64_t attr;
};

// clang-format off
constexpr RecursiveAttrOption kRecursiveAttrOptions[] = {
    {"rro", false, MOUNT_ATTR_RDONLY},               {"rrw", true, MOUNT_ATTR_RDONLY},
    {"rnosuid", false, MOUNT_ATTR_NOSUID},           {"rsuid", true, MOUNT_ATTR_NOSUID},
    {"rnodev", false, MOUNT_ATTR_NODEV},             {"rdev", true, MOUNT_ATTR_NODEV},
    {"rnoexec", false, MOUNT_ATTR_NOEXEC},           {"rexec", true, MOUNT_ATTR_NOEXEC},
    {"rnodiratime", false, MOUNT_ATTR_NODIRATIME},   {"rdiratime", true, MOUNT_ATTR_NODIRATIME},
    {"rrelatime", false, MOUNT_ATTR_RELATIME},       {"rnorelatime", true, MOUNT_ATTR_RELATIME},
    {"rnoatime", false, MOUNT_ATTR_NOATIME},         {"ratime", true, MOUNT_ATTR_NOATIME},
    {"rstrictatime", false, MOUNT_ATTR_STRICTATIME}, {"rnostrictatime", true, MOUNT_ATTR_STRICTATIME},
    {"rnosymfollow", false, MOUNT_ATTR_NOSYMFOLLOW}, {"rsymfollow", true, MOUNT_ATTR_NOSYMFOLLOW},
};
// clang-format on

// Applies a recursive attribute option as runc's parseMountOptions does: an
// atime value (relatime is 0) is set with the whole __ATIME field cleared.
void ApplyRecursiveAttr(const RecursiveAttrOption& option, Mount& mount) {
  if (option.clear) {
    mount.recursive_set &= ~option.attr;
    mount.recursive_clear |= option.attr;
    return;
  }
  mount.recursive_set |= option.attr;
  mount.recursive_clear &= ~option.attr;
  if ((option.attr & MOUNT_ATTR__ATIME) == option.attr) mount.recursive_clear |= MOUNT_ATTR__ATIME;
}

// Options runc knows that runsc does not implement: idmapped mounts (see
// docs/oci-support.md).
constexpr std::string_view kUnsupportedMountOptions[] = {"idmap", "ridmap"};

// Applies one option to `mount`'s flags, propagation or data.
absl::Status ApplyMountOption(const Node& node, const std::string& option, Mount& mount) {
  for (const MountFlagOption& known : kMountFlagOptions) {
    if (known.name != option) continue;
    if (known.clear) {
      mount.flags &= ~known.flag;
      mount.clear_flags |= known.flag;
    } else {
      mount.flags |= known.flag;
      mount.clear_flags &= ~known.flag;
    }
    return absl::OkStatus();
  }
  for (const auto& [name, propagation] : kPropagationOptions) {
    if (name != option) continue;
    mount.propagation = propagation;
    return absl::OkStatus();
  }
  for (const RecursiveAttrOption& known : kRecursiveAttrOptions) {
    if (known.name != option) continue;
    ApplyRecursiveAttr(known, mount);
    return absl::OkStatus();
  }
  if (option == "tmpcopyup") {  // crun's: checked to be a tmpfs in ParseMount
    mount.copy_up = true;
    return absl::OkStatus();
  }
  for (std::string_view unsupported : kUnsupportedMountOptions) {
    if (unsupported == option) return node.NotSupported(fmt::format("\"{}\" ", option));
  }
  if (!mount.data.empty()) mount.data += ",";
  mount.data += option;
  return absl::OkStatus();
}

absl::StatusOr<Mount> ParseMount(const Node& node, const std::string& bundle) {
  RETURN_IF_ERROR(node.ExpectObject());
  RETURN_IF_ERROR(node["uidMappings"].RejectIfSet());
  RETURN_IF_ERROR(node["gidMappings"].RejectIfSet());
  Mount mount;
  ASSIGN_OR_RETURN(std::string destination, node["destination"].RequiredString());
  if (!destination.starts_with("/")) {
    spdlog::warn("config.json: {}: \"{}\" is not absolute, using \"/{}\"",
                 node["destination"].path(), destination, destination);
  }
  mount.destination = CleanAbsolute(destination);
  ASSIGN_OR_RETURN(mount.type, node["type"].String());
  ASSIGN_OR_RETURN(mount.source, node["source"].String());
  ASSIGN_OR_RETURN(mount.options, node["options"].Strings());
  for (size_t i = 0; i < mount.options.size(); ++i) {
    RETURN_IF_ERROR(ApplyMountOption(node["options"].At(i), mount.options[i], mount));
  }
  if (mount.type == "bind") mount.flags |= MS_BIND;
  if (mount.is_bind()) {
    mount.type = "bind";
    if (mount.source.empty()) return node["source"].Error("required for a bind mount");
    mount.source = ResolveAgainst(bundle, mount.source);
  } else if (mount.type.empty() && !(mount.flags & MS_REMOUNT)) {
    return node["type"].Error("required for a mount that is not a bind mount");
  }
  if (mount.copy_up && mount.type != "tmpfs") {
    return node["options"].Error(fmt::format("\"tmpcopyup\" is only for tmpfs mounts, not \"{}\"", mount.type));
  }
  return mount;
}

absl::StatusOr<std::vector<Mount>> ParseMounts(const Node& node, const std::string& bundle) {
  RETURN_IF_ERROR(node.ExpectArray());
  std::vector<Mount> mounts;
  for (size_t i = 0; i < node.size(); ++i) {
    ASSIGN_OR_RETURN(Mount mount, ParseMount(node.At(i), bundle));
    mounts.push_back(std::move(mount));
  }
  return mounts;
}

// ---- linux ----

// CLONE_NEW* of a namespace type, 0 when unknown.
int CloneFlagOf(std::string_view type) {
#ifndef CLONE_NEWTIME
  constexpr int CLONE_NEWTIME = 0x80;
#endif
  static constexpr std::pair<std::string_view, int> kTypes[] = {
      {"pid", CLONE_NEWPID},   {"network", CLONE_NEWNET}, {"mount", CLONE_NEWNS},
      {"ipc", CLONE_NEWIPC},   {"uts", CLONE_NEWUTS},     {"cgroup", CLONE_NEWCGROUP},
      {"user", CLONE_NEWUSER}, {"time", CLONE_NEWTIME},
  };
  for (const auto& [name, flag] : kTypes) {
    if (name == type) return flag;
  }
  return 0;
}

absl::StatusOr<Namespace> ParseNamespace(const Node& node) {
  RETURN_IF_ERROR(node.ExpectObject());
  Namespace ns;
  ASSIGN_OR_RETURN(ns.type, node["type"].RequiredString());
  ns.clone_flag = CloneFlagOf(ns.type);
  if (ns.clone_flag == 0) {
    return node["type"].Error(fmt::format("unknown namespace type \"{}\"", ns.type));
  }
  if (ns.type == "time") {
    return node["type"].NotSupported(fmt::format("\"{}\" namespace ", ns.type));
  }
  ASSIGN_OR_RETURN(ns.path, node["path"].String());
  if (!ns.path.empty()) {
    RETURN_IF_ERROR(RequireAbsolute(node["path"], ns.path));
  }
  return ns;
}

absl::StatusOr<std::vector<Namespace>> ParseNamespaces(const Node& node) {
  RETURN_IF_ERROR(node.ExpectArray());
  std::vector<Namespace> namespaces;
  for (size_t i = 0; i < node.size(); ++i) {
    ASSIGN_OR_RETURN(Namespace ns, ParseNamespace(node.At(i)));
    for (const Namespace& other : namespaces) {
      if (other.type == ns.type) {
        return node.At(i)["type"].Error(fmt::format("duplicate namespace \"{}\"", ns.type));
      }
    }
    namespaces.push_back(std::move(ns));
  }
  return namespaces;
}

// Reads a one-character type field ("c", "b", ...) that must be in `allowed`.
absl::StatusOr<char> ReadTypeChar(const Node& node, std::string_view allowed, char def) {
  ASSIGN_OR_RETURN(std::string type, node.String());
  if (type.empty()) {
    if (def != 0) return def;
    return node.Error("required field missing");
  }
  if (type.size() != 1 || allowed.find(type[0]) == std::string_view::npos) {
    return node.Error(fmt::format("unknown device type \"{}\"", type));
  }
  return type[0];
}

// The S_IFMT bits of a linux.devices[] type ('u' is unbuffered char).
uint32_t DeviceTypeBits(char type) {
  switch (type) {
    case 'b': return S_IFBLK;
    case 'p': return S_IFIFO;
    default: return S_IFCHR;
  }
}

absl::StatusOr<Device> ParseDevice(const Node& node) {
  RETURN_IF_ERROR(node.ExpectObject());
  Device device;
  ASSIGN_OR_RETURN(device.path, node["path"].RequiredString());
  RETURN_IF_ERROR(RequireAbsolute(node["path"], device.path));
  ASSIGN_OR_RETURN(device.type, ReadTypeChar(node["type"], "cbup", 0));
  if (device.type != 'p') {
    ASSIGN_OR_RETURN(device.major, node["major"].RequiredInt<int64_t>());
    ASSIGN_OR_RETURN(device.minor, node["minor"].RequiredInt<int64_t>());
  }
  if (node["fileMode"].present()) {
    ASSIGN_OR_RETURN(uint32_t mode, node["fileMode"].Int<uint32_t>());
    // podman sends the file type too (020666 for a char device), as runc and
    // crun accept: it must then be the device's own type.
    const uint32_t type_bits = mode & S_IFMT;
    if (type_bits != 0 && type_bits != DeviceTypeBits(device.type)) {
      return node["fileMode"].Error(fmt::format("file type bits {:#o} are not those of a type \"{}\" device", type_bits,
                                                device.type));
    }
    if (mode & ~(S_IFMT | 07777)) return node["fileMode"].Error(fmt::format("not a file mode: {:#o}", mode));
    device.file_mode = mode & 07777;
  }
  if (node["uid"].present()) {
    ASSIGN_OR_RETURN(device.uid, node["uid"].Int<uint32_t>());
  }
  if (node["gid"].present()) {
    ASSIGN_OR_RETURN(device.gid, node["gid"].Int<uint32_t>());
  }
  return device;
}

// A device rule's major/minor: absent or -1 means any.
absl::StatusOr<std::optional<int64_t>> ReadDeviceNumber(const Node& node) {
  if (!node.present()) return std::nullopt;
  ASSIGN_OR_RETURN(int64_t number, node.Int<int64_t>());
  if (number == -1) return std::nullopt;
  if (number < 0) return node.Error(fmt::format("must be -1 or more, got {}", number));
  return number;
}

absl::StatusOr<DeviceRule> ParseDeviceRule(const Node& node) {
  RETURN_IF_ERROR(node.ExpectObject());
  DeviceRule rule;
  ASSIGN_OR_RETURN(rule.allow, node["allow"].Bool());
  ASSIGN_OR_RETURN(rule.type, ReadTypeChar(node["type"], "acb", 'a'));
  ASSIGN_OR_RETURN(rule.major, ReadDeviceNumber(node["major"]));
  ASSIGN_OR_RETURN(rule.minor, ReadDeviceNumber(node["minor"]));
  ASSIGN_OR_RETURN(std::string access, node["access"].String());
  if (access.empty()) access = "rwm";
  if (access.find_first_not_of("rwm") != std::string::npos) {
    return node["access"].Error(fmt::format("must be made of r, w and m, got \"{}\"", access));
  }
  rule.access = access;
  return rule;
}

template <typename T, typename ParseFn>
absl::StatusOr<std::vector<T>> ParseArray(const Node& node, ParseFn parse) {
  RETURN_IF_ERROR(node.ExpectArray());
  std::vector<T> out;
  for (size_t i = 0; i < node.size(); ++i) {
    ASSIGN_OR_RETURN(T item, parse(node.At(i)));
    out.push_back(std::move(item));
  }
  return out;
}

// An optional integer: nullopt when absent.
template <typename T>
absl::StatusOr<std::optional<T>> OptionalInt(const Node& node) {
  if (!node.present()) return std::nullopt;
  ASSIGN_OR_RETURN(T value, node.Int<T>());
  return value;
}

absl::StatusOr<std::optional<bool>> OptionalBool(const Node& node) {
  if (!node.present()) return std::nullopt;
  ASSIGN_OR_RETURN(bool value, node.Bool());
  return value;
}

absl::StatusOr<std::optional<std::string>> OptionalString(const Node& node) {
  if (!node.present()) return std::nullopt;
  ASSIGN_OR_RETURN(std::string value, node.String());
  return value;
}

absl::Status ParseMemory(const Node& node, platform::CgroupResources& r) {
  RETURN_IF_ERROR(node.ExpectObject());
  RETURN_IF_ERROR(node["useHierarchy"].RejectIfSet());
  ASSIGN_OR_RETURN(r.memory_limit, OptionalInt<int64_t>(node["limit"]));
  ASSIGN_OR_RETURN(r.memory_reservation, OptionalInt<int64_t>(node["reservation"]));
  ASSIGN_OR_RETURN(r.memory_swap, OptionalInt<int64_t>(node["swap"]));
  ASSIGN_OR_RETURN(r.memory_kernel, OptionalInt<int64_t>(node["kernel"]));
  ASSIGN_OR_RETURN(r.memory_kernel_tcp, OptionalInt<int64_t>(node["kernelTCP"]));
  ASSIGN_OR_RETURN(r.memory_swappiness, OptionalInt<uint64_t>(node["swappiness"]));
  ASSIGN_OR_RETURN(r.disable_oom_killer, OptionalBool(node["disableOOMKiller"]));
  if (r.memory_swappiness && *r.memory_swappiness > 100) {
    return node["swappiness"].Error(fmt::format("must be 0..100, got {}", *r.memory_swappiness));
  }
  return absl::OkStatus();
}

absl::Status ParseCpu(const Node& node, platform::CgroupResources& r) {
  RETURN_IF_ERROR(node.ExpectObject());
  RETURN_IF_ERROR(node["burst"].RejectIfSet());
  ASSIGN_OR_RETURN(r.cpu_shares, OptionalInt<uint64_t>(node["shares"]));
  ASSIGN_OR_RETURN(r.cpu_quota, OptionalInt<int64_t>(node["quota"]));
  ASSIGN_OR_RETURN(r.cpu_period, OptionalInt<uint64_t>(node["period"]));
  ASSIGN_OR_RETURN(r.cpu_realtime_runtime, OptionalInt<int64_t>(node["realtimeRuntime"]));
  ASSIGN_OR_RETURN(r.cpu_realtime_period, OptionalInt<uint64_t>(node["realtimePeriod"]));
  ASSIGN_OR_RETURN(r.cpu_idle, OptionalInt<int64_t>(node["idle"]));
  ASSIGN_OR_RETURN(r.cpus, OptionalString(node["cpus"]));
  ASSIGN_OR_RETURN(r.mems, OptionalString(node["mems"]));
  return absl::OkStatus();
}

absl::StatusOr<platform::WeightDevice> ParseWeightDevice(const Node& node) {
  RETURN_IF_ERROR(node.ExpectObject());
  platform::WeightDevice device;
  ASSIGN_OR_RETURN(device.major, node["major"].RequiredInt<int64_t>());
  ASSIGN_OR_RETURN(device.minor, node["minor"].RequiredInt<int64_t>());
  ASSIGN_OR_RETURN(device.weight, OptionalInt<uint16_t>(node["weight"]));
  ASSIGN_OR_RETURN(device.leaf_weight, OptionalInt<uint16_t>(node["leafWeight"]));
  return device;
}

absl::StatusOr<platform::ThrottleDevice> ParseThrottleDevice(const Node& node) {
  RETURN_IF_ERROR(node.ExpectObject());
  platform::ThrottleDevice device;
  ASSIGN_OR_RETURN(device.major, node["major"].RequiredInt<int64_t>());
  ASSIGN_OR_RETURN(device.minor, node["minor"].RequiredInt<int64_t>());
  ASSIGN_OR_RETURN(device.rate, node["rate"].RequiredInt<uint64_t>());
  return device;
}

absl::Status ParseBlockIo(const Node& node, platform::CgroupResources& r) {
  RETURN_IF_ERROR(node.ExpectObject());
  ASSIGN_OR_RETURN(r.blkio_weight, OptionalInt<uint16_t>(node["weight"]));
  ASSIGN_OR_RETURN(r.blkio_leaf_weight, OptionalInt<uint16_t>(node["leafWeight"]));
  ASSIGN_OR_RETURN(r.blkio_weight_devices,
                   ParseArray<platform::WeightDevice>(node["weightDevice"], ParseWeightDevice));
  ASSIGN_OR_RETURN(r.throttle_read_bps,
                   ParseArray<platform::ThrottleDevice>(node["throttleReadBpsDevice"], ParseThrottleDevice));
  ASSIGN_OR_RETURN(r.throttle_write_bps,
                   ParseArray<platform::ThrottleDevice>(node["throttleWriteBpsDevice"], ParseThrottleDevice));
  ASSIGN_OR_RETURN(r.throttle_read_iops,
                   ParseArray<platform::ThrottleDevice>(node["throttleReadIOPSDevice"], ParseThrottleDevice));
  ASSIGN_OR_RETURN(r.throttle_write_iops,
                   ParseArray<platform::ThrottleDevice>(node["throttleWriteIOPSDevice"], ParseThrottleDevice));
  return absl::OkStatus();
}

absl::StatusOr<platform::HugepageLimit> ParseHugepageLimit(const Node& node) {
  RETURN_IF_ERROR(node.ExpectObject());
  platform::HugepageLimit limit;
  ASSIGN_OR_RETURN(limit.page_size, node["pageSize"].RequiredString());
  if (limit.page_size.find('/') != std::string::npos || limit.page_size.find('.') != std::string::npos) {
    return node["pageSize"].Error(fmt::format("invalid page size \"{}\"", limit.page_size));
  }
  ASSIGN_OR_RETURN(limit.limit, node["limit"].RequiredInt<uint64_t>());
  return limit;
}

absl::StatusOr<platform::NetPriority> ParseNetPriority(const Node& node) {
  RETURN_IF_ERROR(node.ExpectObject());
  platform::NetPriority priority;
  ASSIGN_OR_RETURN(priority.name, node["name"].RequiredString());
  ASSIGN_OR_RETURN(priority.priority, node["priority"].Int<uint32_t>());
  return priority;
}

absl::Status ParseResources(const Node& node, Linux& linux) {
  RETURN_IF_ERROR(node.ExpectObject());
  RETURN_IF_ERROR(node["rdma"].RejectIfSet());
  platform::CgroupResources& r = linux.resources;
  RETURN_IF_ERROR(ParseMemory(node["memory"], r));
  RETURN_IF_ERROR(ParseCpu(node["cpu"], r));
  RETURN_IF_ERROR(node["pids"].ExpectObject());
  ASSIGN_OR_RETURN(r.pids_limit, OptionalInt<int64_t>(node["pids"]["limit"]));
  RETURN_IF_ERROR(ParseBlockIo(node["blockIO"], r));
  ASSIGN_OR_RETURN(r.hugepage_limits, ParseArray<platform::HugepageLimit>(node["hugepageLimits"], ParseHugepageLimit));
  RETURN_IF_ERROR(node["network"].ExpectObject());
  ASSIGN_OR_RETURN(r.net_class_id, OptionalInt<uint32_t>(node["network"]["classID"]));
  ASSIGN_OR_RETURN(r.net_priorities,
                   ParseArray<platform::NetPriority>(node["network"]["priorities"], ParseNetPriority));
  ASSIGN_OR_RETURN(r.unified, node["unified"].StringMap());
  ASSIGN_OR_RETURN(linux.device_rules, ParseArray<DeviceRule>(node["devices"], ParseDeviceRule));
  return absl::OkStatus();
}

// linux.mountLabel: nothing to label without SELinux (no
// /sys/fs/selinux/enforce); with it, labels are not applied yet.
absl::Status CheckMountLabel(const Node& node) {
  ASSIGN_OR_RETURN(std::string label, node.String());
  if (label.empty() || access("/sys/fs/selinux/enforce", F_OK) != 0) return absl::OkStatus();
  return node.NotSupported("SELinux is enabled on this host and labelling mounts is ");
}

absl::Status RejectUnsupportedLinuxFields(const Node& node) {
  for (const char* key : {"intelRdt", "personality", "timeOffsets"}) {
    RETURN_IF_ERROR(node[key].RejectIfSet());
  }
  return CheckMountLabel(node["mountLabel"]);
}

// linux.seccomp: checked whole here so that a bad profile fails `create`
// before anything starts; kept as written for the container process.
absl::StatusOr<nlohmann::json> ParseSeccomp(const Node& node) {
  if (!node.present()) return nlohmann::json();
  absl::StatusOr<std::optional<platform::OciSeccompProfile>> profile =
      platform::ParseOciSeccomp(*node.value(), node.path());
  if (!profile.ok()) {
    return absl::InvalidArgumentError(fmt::format("config.json: {}", std::string(profile.status().message())));
  }
  return *node.value();
}

absl::Status CheckRootfsPropagation(const Node& node, const std::string& value) {
  static constexpr std::string_view kAllowed[] = {"",        "private",    "rprivate",
                                                  "slave",   "rslave",     "shared",
                                                  "rshared", "unbindable", "runbindable"};
  if (std::find(std::begin(kAllowed), std::end(kAllowed), value) != std::end(kAllowed)) {
    return absl::OkStatus();
  }
  return node.Error(fmt::format("unknown propagation \"{}\"", value));
}

absl::StatusOr<IdMapping> ParseIdMapping(const Node& node) {
  RETURN_IF_ERROR(node.ExpectObject());
  IdMapping mapping;
  ASSIGN_OR_RETURN(mapping.container_id, node["containerID"].RequiredInt<uint32_t>());
  ASSIGN_OR_RETURN(mapping.host_id, node["hostID"].RequiredInt<uint32_t>());
  ASSIGN_OR_RETURN(mapping.size, node["size"].RequiredInt<uint32_t>());
  if (mapping.size == 0) return node["size"].Error("must be at least 1");
  return mapping;
}

absl::StatusOr<Linux> ParseLinux(const Node& node) {
  RETURN_IF_ERROR(node.ExpectObject());
  RETURN_IF_ERROR(RejectUnsupportedLinuxFields(node));
  Linux linux;
  ASSIGN_OR_RETURN(linux.namespaces, ParseNamespaces(node["namespaces"]));
  ASSIGN_OR_RETURN(linux.devices, ParseArray<Device>(node["devices"], ParseDevice));
  ASSIGN_OR_RETURN(linux.uid_mappings, ParseArray<IdMapping>(node["uidMappings"], ParseIdMapping));
  ASSIGN_OR_RETURN(linux.gid_mappings, ParseArray<IdMapping>(node["gidMappings"], ParseIdMapping));
  RETURN_IF_ERROR(ParseResources(node["resources"], linux));
  ASSIGN_OR_RETURN(linux.cgroups_path, node["cgroupsPath"].String());
  ASSIGN_OR_RETURN(linux.sysctl, node["sysctl"].StringMap());
  ASSIGN_OR_RETURN(linux.masked_paths, ReadAbsolutePaths(node["maskedPaths"]));
  ASSIGN_OR_RETURN(linux.readonly_paths, ReadAbsolutePaths(node["readonlyPaths"]));
  ASSIGN_OR_RETURN(linux.rootfs_propagation, node["rootfsPropagation"].String());
  RETURN_IF_ERROR(CheckRootfsPropagation(node["rootfsPropagation"], linux.rootfs_propagation));
  ASSIGN_OR_RETURN(linux.seccomp, ParseSeccomp(node["seccomp"]));
  return linux;
}

// ---- checks across fields ----

// runc's validateSysctl: a sysctl is only writable if the namespace that
// scopes it is a separate one.
absl::Status CheckSysctl(const Node& node, const std::string& key, const Linux& linux) {
  if (key.empty() || key.find('/') != std::string::npos || key.starts_with(".") ||
      key.ends_with(".") || key.find("..") != std::string::npos) {
    return node.Error(fmt::format("invalid sysctl name \"{}\"", key));
  }
  static constexpr std::string_view kIpcSysctls[] = {
      "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
      "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced"};
  const bool ipc =
      std::find(std::begin(kIpcSysctls), std::end(kIpcSysctls), key) != std::end(kIpcSysctls) ||
      key.starts_with("fs.mqueue.");
  if (ipc && linux.HasNamespace("ipc")) return absl::OkStatus();
  if (ipc) return node.Error(fmt::format("sysctl \"{}\" needs an ipc namespace", key));
  if (key.starts_with("net.")) {
    if (linux.HasNamespace("network")) return absl::OkStatus();
    return node.Error(fmt::format("sysctl \"{}\" needs a network namespace", key));
  }
  if (key == "kernel.hostname" || key == "kernel.domainname") {
    if (linux.HasNamespace("uts")) return absl::OkStatus();
    return node.Error(fmt::format("sysctl \"{}\" needs a uts namespace", key));
  }
  return node.Error(fmt::format("sysctl \"{}\" is not in a separate kernel namespace", key));
}

// runc's rules: a new user namespace needs both mappings (the kernel allows
// one write of each and nothing works unmapped); mappings without a user
// namespace would be silently ignored, so they are an error (runc 1.1
// ignores them). A joined user namespace keeps its own mappings; runc 1.1
// requires them in the spec anyway, so they are accepted there and the init
// checks they are the namespace's (as runc 1.2 does).
absl::Status CheckUserNamespace(const Node& linux_node, const Linux& linux) {
  const Namespace* user = linux.FindNamespace("user");
  if (user == nullptr) {
    constexpr std::string_view kWhy = "set, but there is no user namespace in linux.namespaces";
    if (!linux.uid_mappings.empty()) return linux_node["uidMappings"].Error(kWhy);
    if (!linux.gid_mappings.empty()) return linux_node["gidMappings"].Error(kWhy);
    return absl::OkStatus();
  }
  if (!user->path.empty() && linux.uid_mappings.empty() && linux.gid_mappings.empty()) return absl::OkStatus();
  const char* why = user->path.empty() ? "required with a new user namespace"
                                       : "required with the other one (both or neither with a joined user namespace)";
  if (linux.uid_mappings.empty()) return linux_node["uidMappings"].Error(why);
  if (linux.gid_mappings.empty()) return linux_node["gidMappings"].Error(why);
  return absl::OkStatus();
}

// In a user namespace the process's ids must be mapped, or setuid fails
// deep in the init with EINVAL: say which id instead.
absl::Status CheckUserIsMapped(const Node& user_node, const Spec& spec) {
  if (spec.linux.uid_mappings.empty()) return absl::OkStatus();
  const User& user = spec.process.user;
  if (platform::HostIdOf(spec.linux.uid_mappings, user.uid) < 0) {
    return user_node["uid"].Error(fmt::format("{} is not mapped by linux.uidMappings", user.uid));
  }
  std::vector<uint32_t> gids = user.additional_gids;
  gids.insert(gids.begin(), user.gid);
  for (uint32_t gid : gids) {
    if (platform::HostIdOf(spec.linux.gid_mappings, gid) < 0) {
      return user_node[gid == user.gid ? "gid" : "additionalGids"].Error(
          fmt::format("{} is not mapped by linux.gidMappings", gid));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckNamespaceNeeds(const Node& doc, const Spec& spec) {
  RETURN_IF_ERROR(CheckUserNamespace(doc["linux"], spec.linux));
  RETURN_IF_ERROR(CheckUserIsMapped(doc["process"]["user"], spec));
  if (!spec.hostname.empty() && !spec.linux.HasNamespace("uts")) {
    return doc["hostname"].Error("setting the hostname needs a uts namespace");
  }
  if (!spec.domainname.empty() && !spec.linux.HasNamespace("uts")) {
    return doc["domainname"].Error("setting the domainname needs a uts namespace");
  }
  for (const auto& [key, value] : spec.linux.sysctl) {
    RETURN_IF_ERROR(CheckSysctl(doc["linux"]["sysctl"].Key(key), key, spec.linux));
  }
  return absl::OkStatus();
}

// "config.json: syntax error at line L column C: <what nlohmann says>".
absl::Status SyntaxError(const std::string& text, const nlohmann::json::parse_error& e) {
  const size_t consumed = std::min<size_t>(e.byte, text.size());
  const size_t line = 1 + std::count(text.begin(), text.begin() + consumed, '\n');
  const size_t last_newline = text.rfind('\n', consumed == 0 ? 0 : consumed - 1);
  const size_t line_start =
      (last_newline == std::string::npos || last_newline >= consumed) ? 0 : last_newline + 1;
  const size_t column = std::max<size_t>(1, consumed - line_start);
  std::string detail = e.what();
  const size_t column_pos = detail.find("column ");
  const size_t colon = detail.find(": ", column_pos == std::string::npos ? 0 : column_pos);
  if (colon != std::string::npos) detail = detail.substr(colon + 2);
  if (detail.starts_with("syntax error ")) detail = detail.substr(13);
  return absl::InvalidArgumentError(
      fmt::format("config.json: syntax error at line {} column {}: {}", line, column, detail));
}

}  // namespace

bool Mount::is_bind() const { return type == "bind" || (flags & MS_BIND) != 0; }

bool Linux::HasNamespace(const std::string& type) const { return FindNamespace(type) != nullptr; }

bool Linux::CreatesUserNamespace() const {
  const Namespace* user = FindNamespace("user");
  return user != nullptr && user->path.empty();
}

const Namespace* Linux::FindNamespace(const std::string& type) const {
  for (const Namespace& ns : namespaces) {
    if (ns.type == type) return &ns;
  }
  return nullptr;
}

std::vector<std::string> SupportedMountOptions() {
  std::vector<std::string> names;
  for (const MountFlagOption& option : kMountFlagOptions) names.emplace_back(option.name);
  for (const auto& [name, flags] : kPropagationOptions) names.emplace_back(name);
  for (const RecursiveAttrOption& option : kRecursiveAttrOptions) names.emplace_back(option.name);
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<std::string> SupportedNamespaceTypes() {
  return {"cgroup", "ipc", "mount", "network", "pid", "uts"};
}

absl::StatusOr<Spec> ParseSpec(const nlohmann::json& doc, const std::string& bundle) {
  const Node root(&doc, "");
  if (!doc.is_object()) return root.TypeError("an object");
  Spec spec;
  spec.raw = doc;
  ASSIGN_OR_RETURN(spec.oci_version, root["ociVersion"].RequiredString());
  ASSIGN_OR_RETURN(spec.hooks, ParseHooks(doc.value("hooks", nlohmann::json())));
  RETURN_IF_ERROR(ParseRoot(root["root"], bundle, spec));
  ASSIGN_OR_RETURN(spec.process, ParseProcess(root["process"]));
  ASSIGN_OR_RETURN(spec.hostname, root["hostname"].String());
  ASSIGN_OR_RETURN(spec.domainname, root["domainname"].String());
  ASSIGN_OR_RETURN(spec.mounts, ParseMounts(root["mounts"], bundle));
  ASSIGN_OR_RETURN(spec.linux, ParseLinux(root["linux"]));
  ASSIGN_OR_RETURN(spec.annotations, root["annotations"].StringMap());
  RETURN_IF_ERROR(CheckNamespaceNeeds(root, spec));
  return spec;
}

absl::StatusOr<Spec> LoadSpec(const std::string& bundle_arg) {
  std::error_code ec;
  const std::string bundle = CleanAbsolute(std::filesystem::absolute(bundle_arg, ec).string());
  if (!std::filesystem::exists(bundle, ec)) {
    return absl::NotFoundError(fmt::format("bundle \"{}\": no such directory", bundle_arg));
  }
  if (!std::filesystem::is_directory(bundle, ec)) {
    return absl::InvalidArgumentError(fmt::format("bundle \"{}\": not a directory", bundle_arg));
  }
  const std::string path = fmt::format("{}/config.json", bundle);
  std::ifstream in(path, std::ios::binary);
  if (!in) return platform::ErrnoError(errno, fmt::format("reading \"{}\"", path));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return platform::ErrnoError(errno, fmt::format("reading \"{}\"", path));
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(text.str());
  } catch (const nlohmann::json::parse_error& e) {
    return SyntaxError(text.str(), e);
  }
  return ParseSpec(doc, bundle);
}

absl::StatusOr<Linux> ParseLinuxResources(const nlohmann::json& resources) {
  Linux linux;
  RETURN_IF_ERROR(ParseResources(Node(&resources, "linux.resources"), linux));
  return linux;
}

}  // namespace runsc
