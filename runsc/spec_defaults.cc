// DefaultSpec (`runsc spec`) and FeaturesDocument (`runsc features`).
//
// DefaultSpec reproduces `runc spec` / `runc spec --rootless` of runc 1.1
// field for field (hostname "runsc" instead of "runc"); FeaturesDocument has
// the shape of `runc features` but lists only what ParseSpec accepts.
#include <unistd.h>

#include <string>
#include <vector>

#include "platform/process_attrs.h"
#include "runsc/spec.h"

#include "platform/oci_seccomp.h"

namespace runsc {
namespace {

using ordered_json = nlohmann::ordered_json;

// The OCI runtime-spec version of the documents we write (runc 1.1's).
constexpr char kOciVersion[] = "1.0.2-dev";

ordered_json DefaultProcess() {
  const ordered_json caps = {"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"};
  return {
      {"terminal", true},
      {"user", {{"uid", 0}, {"gid", 0}}},
      {"args", {"sh"}},
      {"env", {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"}},
      {"cwd", "/"},
      {"capabilities",
       {{"bounding", caps}, {"effective", caps}, {"permitted", caps}, {"ambient", caps}}},
      {"rlimits",
       ordered_json::array({{{"type", "RLIMIT_NOFILE"}, {"hard", 1024}, {"soft", 1024}}})},
      {"noNewPrivileges", true},
  };
}

ordered_json MountEntry(const char* destination, const char* type, const char* source,
                        std::vector<std::string> options) {
  ordered_json mount = {{"destination", destination}, {"type", type}, {"source", source}};
  if (!options.empty()) mount["options"] = options;
  return mount;
}

ordered_json DefaultMounts(bool rootless) {
  std::vector<std::string> devpts = {"nosuid", "noexec", "newinstance", "ptmxmode=0666",
                                     "mode=0620"};
  // gid=5 (tty) does not exist in a rootless container's single-id mapping.
  if (!rootless) devpts.push_back("gid=5");
  const ordered_json sys =
      rootless ? MountEntry("/sys", "none", "/sys", {"rbind", "nosuid", "noexec", "nodev", "ro"})
               : MountEntry("/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"});
  return {
      MountEntry("/proc", "proc", "proc", {}),
      MountEntry("/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}),
      MountEntry("/dev/pts", "devpts", "devpts", devpts),
      MountEntry("/dev/shm", "tmpfs", "shm",
                 {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}),
      MountEntry("/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}),
      sys,
      MountEntry("/sys/fs/cgroup", "cgroup", "cgroup",
                 {"nosuid", "noexec", "nodev", "relatime", "ro"}),
  };
}

ordered_json IdMapping(unsigned host_id) {
  return ordered_json::array({{{"containerID", 0}, {"hostID", host_id}, {"size", 1}}});
}

ordered_json DefaultLinux(bool rootless) {
  ordered_json linux = ordered_json::object();
  std::vector<std::string> namespaces = {"pid", "network", "ipc", "uts", "mount"};
  if (rootless) {
    linux["uidMappings"] = IdMapping(geteuid());
    linux["gidMappings"] = IdMapping(getegid());
    namespaces = {"pid", "ipc", "uts", "mount", "user"};
  } else {
    linux["resources"] = {
        {"devices", ordered_json::array({{{"allow", false}, {"access", "rwm"}}})}};
  }
  linux["namespaces"] = ordered_json::array();
  for (const std::string& type : namespaces) linux["namespaces"].push_back({{"type", type}});
  linux["maskedPaths"] = {"/proc/acpi",        "/proc/asound",        "/proc/kcore",
                          "/proc/keys",        "/proc/latency_stats", "/proc/timer_list",
                          "/proc/timer_stats", "/proc/sched_debug",   "/sys/firmware",
                          "/proc/scsi"};
  linux["readonlyPaths"] = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                            "/proc/sysrq-trigger"};
  return linux;
}

// Every capability name up to CAP_CHECKPOINT_RESTORE, in number order; the
// features document lists those libcap can resolve.
constexpr const char* kCapabilityNames[] = {
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
};

ordered_json KnownCapabilities() {
  ordered_json names = ordered_json::array();
  for (const char* name : kCapabilityNames) {
    if (platform::CapabilityFromName(name).ok()) names.push_back(name);
  }
  return names;
}

}  // namespace

ordered_json DefaultSpec(bool rootless) {
  return {
      {"ociVersion", kOciVersion},
      {"process", DefaultProcess()},
      {"root", {{"path", "rootfs"}, {"readonly", true}}},
      {"hostname", "runsc"},
      {"mounts", DefaultMounts(rootless)},
      {"linux", DefaultLinux(rootless)},
  };
}

ordered_json FeaturesDocument() {
  ordered_json linux = {
      {"namespaces", SupportedNamespaceTypes()},
      {"capabilities", KnownCapabilities()},
      {"cgroup", {{"v1", true}, {"v2", true}, {"systemd", true}, {"systemdUser", false}}},
      // apparmorProfile and selinuxLabel are rejected by ParseSpec (no LSM here).
      {"seccomp", platform::OciSeccompFeatures()},
      {"apparmor", {{"enabled", false}}},
      {"selinux", {{"enabled", false}}},
  };
  return {
      {"ociVersionMin", "1.0.0"},
      {"ociVersionMax", kOciVersion},
      {"hooks", {"prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"}},
      {"mountOptions", SupportedMountOptions()},
      {"linux", linux},
      {"annotations", {{"org.opencontainers.runsc.version", "0.1.0"}}},
  };
}

}  // namespace runsc
