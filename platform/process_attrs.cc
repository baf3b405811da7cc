// Credentials, capabilities, rlimits and the other per-process attributes of
// the container's first process. Runs in the container init before execve:
// nothing here logs.
#include "platform/process_attrs.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <string>
#include <vector>

#include "fmt/format.h"
#include "platform/errors.h"
#include "platform/status_macros.h"
#include "platform/unique_fd.h"

namespace platform {
namespace {

// The highest capability number this kernel knows.
int LastCap() { return static_cast<int>(cap_max_bits()) - 1; }

std::string CapName(int cap) {
  char* name = cap_to_name(static_cast<cap_value_t>(cap));
  std::string result = name != nullptr ? name : fmt::format("{}", cap);
  cap_free(name);
  std::transform(result.begin(), result.end(), result.begin(), ::toupper);
  return result;
}

absl::Status CheckKnown(const std::vector<int>& caps) {
  for (int cap : caps) {
    if (cap < 0 || cap > LastCap()) {
      return absl::InvalidArgumentError(fmt::format("capability {} is unknown to this kernel", cap));
    }
  }
  return absl::OkStatus();
}

// Names the capabilities of `wanted` this process does not hold in its
// permitted set (which capset cannot raise), to explain an EPERM.
std::string NotPermitted(const std::vector<int>& wanted) {
  std::string missing;
  cap_t current = cap_get_proc();
  if (current == nullptr) return missing;
  for (int cap : wanted) {
    cap_flag_value_t value = CAP_CLEAR;
    cap_get_flag(current, static_cast<cap_value_t>(cap), CAP_PERMITTED, &value);
    if (value != CAP_SET && missing.find(CapName(cap)) == std::string::npos) {
      missing += (missing.empty() ? "" : ", ") + CapName(cap);
    }
  }
  cap_free(current);
  return missing;
}

absl::Status SetCapFlag(cap_t caps, cap_flag_t flag, const std::vector<int>& values) {
  std::vector<cap_value_t> list(values.begin(), values.end());
  if (list.empty()) return absl::OkStatus();
  if (cap_set_flag(caps, flag, static_cast<int>(list.size()), list.data(), CAP_SET) != 0) {
    return LastError("cap_set_flag");
  }
  return absl::OkStatus();
}

absl::Status SetEffectivePermittedInheritable(const CapabilitySets& sets) {
  cap_t caps = cap_init();
  if (caps == nullptr) return LastError("cap_init");
  absl::Status status = SetCapFlag(caps, CAP_EFFECTIVE, sets.effective);
  if (status.ok()) status = SetCapFlag(caps, CAP_PERMITTED, sets.permitted);
  if (status.ok()) status = SetCapFlag(caps, CAP_INHERITABLE, sets.inheritable);
  if (status.ok() && cap_set_proc(caps) != 0) {
    int err = errno;
    std::vector<int> all = sets.permitted;
    all.insert(all.end(), sets.effective.begin(), sets.effective.end());
    std::string missing = NotPermitted(all);
    status = ErrnoError(err, missing.empty() ? std::string("cap_set_proc")
                                             : fmt::format("cap_set_proc ({} not held by this "
                                                           "process, e.g. not in its bounding set)",
                                                           missing));
  }
  cap_free(caps);
  return status;
}

// Like runc, an ambient capability that cannot be raised (it is not both
// permitted and inheritable) is a warning, not an error: runc's own default
// spec lists ambient caps without an inheritable set.
absl::StatusOr<std::vector<std::string>> SetAmbient(const std::vector<int>& ambient) {
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0) {
    return LastError("clearing the ambient set");
  }
  std::vector<std::string> warnings;
  for (int cap : ambient) {
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) != 0) {
      warnings.push_back(fmt::format("cannot raise ambient capability {} (it must be permitted and inheritable)",
                                     CapName(cap)));
    }
  }
  return warnings;
}

absl::Status WriteFile(const std::string& path, const std::string& value) {
  UniqueFd fd(open(path.c_str(), O_WRONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd.valid()) return LastError(fmt::format("opening {}", path));
  ssize_t n = write(fd.get(), value.data(), value.size());
  if (n < 0) return LastError(fmt::format("writing {}", path));
  if (static_cast<size_t>(n) != value.size()) {
    return absl::InternalError(fmt::format("writing {}: short write", path));
  }
  return absl::OkStatus();
}

// Go's strconv.Quote for the printable ASCII names exec.LookPath reports.
std::string Quote(const std::string& text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c >= 0x7f) {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

// Go's findExecutable: 0 when `path` is an executable regular file, else errno.
int CheckExecutable(const std::string& path) {
  struct stat info {};
  if (stat(path.c_str(), &info) != 0) return errno;
  if (S_ISDIR(info.st_mode)) return EISDIR;
  if (!S_ISREG(info.st_mode)) return EACCES;
  if (faccessat(AT_FDCWD, path.c_str(), X_OK, AT_EACCESS) != 0) return errno;
  return 0;
}

}  // namespace

absl::Status LimitBoundingSet(const std::vector<int>& bounding) {
  RETURN_IF_ERROR_CTX(CheckKnown(bounding), "limiting the bounding set");
  for (int cap = 0; cap <= LastCap(); ++cap) {
    if (std::find(bounding.begin(), bounding.end(), cap) != bounding.end()) continue;
    if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) != 1) continue;
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0) {
      return LastError(fmt::format("dropping {} from the bounding set", CapName(cap)));
    }
  }
  return absl::OkStatus();
}

absl::Status ChangeUser(uint32_t uid, uint32_t gid, const std::vector<uint32_t>& additional_gids) {
  if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) return LastError("PR_SET_KEEPCAPS");
  std::vector<gid_t> groups(additional_gids.begin(), additional_gids.end());
  if (setgroups(groups.size(), groups.empty() ? nullptr : groups.data()) != 0) {
    return LastError("setgroups");
  }
  if (setresgid(gid, gid, gid) != 0) return LastError(fmt::format("setresgid to {}", gid));
  if (setresuid(uid, uid, uid) != 0) return LastError(fmt::format("setresuid to {}", uid));
  // Permitted caps survived the uid change; ApplyCapabilities sets them all.
  if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0) return LastError("clearing PR_SET_KEEPCAPS");
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> ApplyCapabilities(const CapabilitySets& caps) {
  for (const auto* set : {&caps.effective, &caps.permitted, &caps.inheritable, &caps.ambient}) {
    RETURN_IF_ERROR_CTX(CheckKnown(*set), "applying capabilities");
  }
  RETURN_IF_ERROR_CTX(SetEffectivePermittedInheritable(caps), "applying capabilities");
  return Annotate(SetAmbient(caps.ambient), "applying capabilities");
}

absl::Status ApplyRlimit(const std::string& name, int resource, uint64_t soft, uint64_t hard) {
  struct rlimit limit {};
  limit.rlim_cur = soft;
  limit.rlim_max = hard;
  if (setrlimit(static_cast<__rlimit_resource_t>(resource), &limit) == 0) return absl::OkStatus();
  int err = errno;
  std::string context = fmt::format("setting {} to soft {} hard {}", name, soft, hard);
  struct rlimit current {};
  if (err == EPERM && getrlimit(static_cast<__rlimit_resource_t>(resource), &current) == 0) {
    context += fmt::format(
        ": raising the hard limit above {} needs CAP_SYS_RESOURCE, which this process lacks",
        current.rlim_max);
  } else if (err == EINVAL && soft > hard) {
    context += ": the soft limit is above the hard limit";
  }
  return ErrnoError(err, context);
}

absl::Status SetNoNewPrivileges() {
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return LastError("setting no_new_privs");
  return absl::OkStatus();
}

absl::Status SetOomScoreAdj(int value) {
  return Annotate(WriteFile("/proc/self/oom_score_adj", fmt::format("{}", value)),
                  "setting oom_score_adj");
}

absl::Status WriteSysctl(const std::string& key, const std::string& value) {
  std::string relative;
  size_t segment = 0;
  for (char c : key) {
    bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
    if (!ok) return absl::InvalidArgumentError(fmt::format("invalid sysctl key \"{}\"", key));
    if (c == '.') {
      if (segment == 0) break;
      segment = 0;
      relative += '/';
    } else {
      ++segment;
      relative += c;
    }
  }
  if (segment == 0) return absl::InvalidArgumentError(fmt::format("invalid sysctl key \"{}\"", key));
  return Annotate(WriteFile("/proc/sys/" + relative, value), fmt::format("setting sysctl {}", key));
}

absl::Status BringUpLoopback() {
  UniqueFd sock(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!sock.valid()) return LastError("bringing lo up: socket");
  ifreq request = {};
  strncpy(request.ifr_name, "lo", IFNAMSIZ - 1);
  if (ioctl(sock.get(), SIOCGIFFLAGS, &request) != 0) return LastError("bringing lo up: SIOCGIFFLAGS");
  if (request.ifr_flags & IFF_UP) return absl::OkStatus();
  request.ifr_flags = static_cast<short>(request.ifr_flags | IFF_UP);
  if (ioctl(sock.get(), SIOCSIFFLAGS, &request) != 0) return LastError("bringing lo up: SIOCSIFFLAGS");
  return absl::OkStatus();
}

absl::Status SetHostname(const std::string& name) {
  if (sethostname(name.data(), name.size()) != 0) return LastError("setting the hostname");
  return absl::OkStatus();
}

absl::Status SetDomainname(const std::string& name) {
  if (setdomainname(name.data(), name.size()) != 0) return LastError("setting the domainname");
  return absl::OkStatus();
}

absl::StatusOr<std::string> LookPath(const std::string& file, const std::string& path_env) {
  if (file.find('/') != std::string::npos) {
    int err = CheckExecutable(file);
    if (err == 0) return file;
    // Go's wording: `exec: "/x": stat /x: no such file or directory`.
    std::string cause = strerrordesc_np(err);
    std::transform(cause.begin(), cause.end(), cause.begin(), ::tolower);
    if (err == ENOENT || err == ENOTDIR) cause = fmt::format("stat {}: {}", file, cause);
    return absl::Status(ErrnoError(err, "").code(),
                        fmt::format("exec: {}: {}", Quote(file), cause));
  }
  size_t start = 0;
  while (start <= path_env.size()) {
    size_t end = path_env.find(':', start);
    if (end == std::string::npos) end = path_env.size();
    std::string dir = path_env.substr(start, end - start);
    if (dir.empty()) dir = ".";
    std::string candidate = dir + "/" + file;
    if (!file.empty() && CheckExecutable(candidate) == 0) return candidate;
    start = end + 1;
  }
  return absl::NotFoundError(
      fmt::format("exec: {}: executable file not found in $PATH", Quote(file)));
}

}  // namespace platform
