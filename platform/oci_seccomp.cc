// OCI linux.seccomp: parse, compile (libseccomp), load (seccomp(2)), hand the
// listener to the agent.
//
// Choices beyond the OCI text (runc 1.1 is the reference):
// - SCMP_ACT_KILL is SCMP_ACT_KILL_THREAD; ERRNO and TRACE default to EPERM.
// - errnoRet on an action that takes none is an error (the OCI spec's MUST).
// - SCMP_ACT_NOTIFY needs listenerPath (absolute) and may not be the default
//   action; it may not apply to sendmsg, which hands the listener to the
//   agent after the filter is loaded (runc forbids write for the same reason).
// - SECCOMP_FILTER_FLAG_TSYNC is honoured (TSYNC_ESRCH added when there is a
//   listener, as the kernel requires); WAIT_KILLABLE_RECV only applies to a
//   filter with a listener and is dropped otherwise.
// - We load the exported BPF with seccomp(2) ourselves rather than with
//   seccomp_load(), for flags libseccomp 2.5 lacks (WAIT_KILLABLE_RECV) and
//   so libseccomp never sets no_new_privs behind the spec's back.
#include "platform/oci_seccomp.h"

#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string_view>
#include <utility>

#include "fmt/format.h"
#include "platform/errors.h"
#include "platform/status_macros.h"
#include "spdlog/spdlog.h"

namespace platform {
namespace {

using nlohmann::json;

constexpr unsigned kMaxSyscallArgs = 6;

absl::Status FieldError(const std::string& path, std::string_view message) {
  return absl::InvalidArgumentError(fmt::format("{}: {}", path, message));
}

std::string_view KindName(const json& value) {
  return value.is_number() ? "number" : value.type_name();
}

absl::Status TypeError(const std::string& path, std::string_view want, const json& value) {
  return FieldError(path, fmt::format("expected {}, got {}", want, KindName(value)));
}

// The member `key` of `object`, or null.
const json& Member(const json& object, const char* key) {
  static const json kNull;
  auto it = object.find(key);
  return it == object.end() ? kNull : *it;
}

absl::StatusOr<std::string> ReadString(const json& value, const std::string& path) {
  if (value.is_null()) return std::string();
  if (!value.is_string()) return TypeError(path, "a string", value);
  return value.get<std::string>();
}

absl::StatusOr<uint64_t> ReadUint(const json& value, const std::string& path, uint64_t max) {
  if (value.is_null()) return uint64_t{0};
  if (!value.is_number()) return TypeError(path, "a number", value);
  const bool negative = value.is_number_integer() && !value.is_number_unsigned() && value.get<int64_t>() < 0;
  if (value.is_number_float() || negative) {
    return FieldError(path, fmt::format("expected an integer from 0 to {}, got {}", max, value.dump()));
  }
  const uint64_t number = value.get<uint64_t>();
  if (number > max) return FieldError(path, fmt::format("must be at most {}, got {}", max, number));
  return number;
}

absl::StatusOr<std::vector<std::string>> ReadStrings(const json& value, const std::string& path) {
  std::vector<std::string> out;
  if (value.is_null()) return out;
  if (!value.is_array()) return TypeError(path, "an array", value);
  for (size_t i = 0; i < value.size(); ++i) {
    if (!value[i].is_string()) return TypeError(fmt::format("{}[{}]", path, i), "a string", value[i]);
    out.push_back(value[i].get<std::string>());
  }
  return out;
}

// ---- the names of the OCI spec (libseccomp's) ----

struct ActionName {
  std::string_view name;
  uint32_t action;
  bool takes_errno;
};
constexpr ActionName kActions[] = {
    {"SCMP_ACT_KILL", SCMP_ACT_KILL_THREAD, false},  {"SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD, false},
    {"SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS, false}, {"SCMP_ACT_TRAP", SCMP_ACT_TRAP, false},
    {"SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(0), true},     {"SCMP_ACT_TRACE", SCMP_ACT_TRACE(0), true},
    {"SCMP_ACT_ALLOW", SCMP_ACT_ALLOW, false},       {"SCMP_ACT_LOG", SCMP_ACT_LOG, false},
    {"SCMP_ACT_NOTIFY", SCMP_ACT_NOTIFY, false},
};

constexpr std::pair<std::string_view, uint32_t> kArches[] = {
    {"SCMP_ARCH_X86", SCMP_ARCH_X86},           {"SCMP_ARCH_X86_64", SCMP_ARCH_X86_64},
    {"SCMP_ARCH_X32", SCMP_ARCH_X32},           {"SCMP_ARCH_ARM", SCMP_ARCH_ARM},
    {"SCMP_ARCH_AARCH64", SCMP_ARCH_AARCH64},   {"SCMP_ARCH_MIPS", SCMP_ARCH_MIPS},
    {"SCMP_ARCH_MIPS64", SCMP_ARCH_MIPS64},     {"SCMP_ARCH_MIPS64N32", SCMP_ARCH_MIPS64N32},
    {"SCMP_ARCH_MIPSEL", SCMP_ARCH_MIPSEL},     {"SCMP_ARCH_MIPSEL64", SCMP_ARCH_MIPSEL64},
    {"SCMP_ARCH_MIPSEL64N32", SCMP_ARCH_MIPSEL64N32}, {"SCMP_ARCH_PPC", SCMP_ARCH_PPC},
    {"SCMP_ARCH_PPC64", SCMP_ARCH_PPC64},       {"SCMP_ARCH_PPC64LE", SCMP_ARCH_PPC64LE},
    {"SCMP_ARCH_S390", SCMP_ARCH_S390},         {"SCMP_ARCH_S390X", SCMP_ARCH_S390X},
    {"SCMP_ARCH_PARISC", SCMP_ARCH_PARISC},     {"SCMP_ARCH_PARISC64", SCMP_ARCH_PARISC64},
    {"SCMP_ARCH_RISCV64", SCMP_ARCH_RISCV64},
};

constexpr std::pair<std::string_view, int> kOperators[] = {
    {"SCMP_CMP_NE", SCMP_CMP_NE}, {"SCMP_CMP_LT", SCMP_CMP_LT}, {"SCMP_CMP_LE", SCMP_CMP_LE},
    {"SCMP_CMP_EQ", SCMP_CMP_EQ}, {"SCMP_CMP_GE", SCMP_CMP_GE}, {"SCMP_CMP_GT", SCMP_CMP_GT},
    {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
};

constexpr std::pair<std::string_view, unsigned> kFlags[] = {
    {"SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC},
    {"SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG},
    {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW},
    {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV},
};

template <typename T>
std::optional<T> FindIn(const std::pair<std::string_view, T>* begin, const std::pair<std::string_view, T>* end,
                        std::string_view name) {
  for (auto it = begin; it != end; ++it) {
    if (it->first == name) return it->second;
  }
  return std::nullopt;
}

// Reads `<action_key>` and `<errno_key>` of `object` into one SCMP_ACT_* value.
absl::StatusOr<uint32_t> ReadAction(const json& object, const char* action_key, const char* errno_key,
                                    const std::string& path) {
  const std::string action_path = fmt::format("{}.{}", path, action_key);
  ASSIGN_OR_RETURN(std::string name, ReadString(Member(object, action_key), action_path));
  if (name.empty()) return FieldError(action_path, "required field missing");
  const ActionName* found = nullptr;
  for (const ActionName& action : kActions) {
    if (action.name == name) found = &action;
  }
  if (found == nullptr) return FieldError(action_path, fmt::format("unknown action \"{}\"", name));
  const json& errno_value = Member(object, errno_key);
  const std::string errno_path = fmt::format("{}.{}", path, errno_key);
  if (!found->takes_errno) {
    if (errno_value.is_null()) return found->action;
    return FieldError(errno_path, fmt::format("{} takes no errno", name));
  }
  uint64_t err = EPERM;
  if (!errno_value.is_null()) {
    ASSIGN_OR_RETURN(err, ReadUint(errno_value, errno_path, 0xffff));
  }
  return found->action | static_cast<uint32_t>(err);
}

absl::StatusOr<OciSeccompArg> ParseArg(const json& value, const std::string& path) {
  if (!value.is_object()) return TypeError(path, "an object", value);
  OciSeccompArg arg;
  ASSIGN_OR_RETURN(uint64_t index, ReadUint(Member(value, "index"), path + ".index", kMaxSyscallArgs - 1));
  arg.index = static_cast<unsigned>(index);
  ASSIGN_OR_RETURN(arg.value, ReadUint(Member(value, "value"), path + ".value", UINT64_MAX));
  ASSIGN_OR_RETURN(arg.value_two, ReadUint(Member(value, "valueTwo"), path + ".valueTwo", UINT64_MAX));
  ASSIGN_OR_RETURN(std::string op, ReadString(Member(value, "op"), path + ".op"));
  if (op.empty()) return FieldError(path + ".op", "required field missing");
  std::optional<int> known = FindIn(std::begin(kOperators), std::end(kOperators), op);
  if (!known) return FieldError(path + ".op", fmt::format("unknown operator \"{}\"", op));
  arg.op = *known;
  return arg;
}

absl::StatusOr<OciSeccompRule> ParseRule(const json& value, const std::string& path) {
  if (!value.is_object()) return TypeError(path, "an object", value);
  OciSeccompRule rule;
  const std::string names_path = path + ".names";
  if (Member(value, "names").is_null()) return FieldError(names_path, "required field missing");
  ASSIGN_OR_RETURN(rule.names, ReadStrings(Member(value, "names"), names_path));
  if (rule.names.empty()) return FieldError(names_path, "must not be empty");
  for (size_t i = 0; i < rule.names.size(); ++i) {
    if (rule.names[i].empty()) return FieldError(fmt::format("{}[{}]", names_path, i), "must not be empty");
    if (seccomp_syscall_resolve_name(rule.names[i].c_str()) == __NR_SCMP_ERROR) {
      spdlog::debug("{}[{}]: unknown syscall \"{}\" ignored", names_path, i, rule.names[i]);
    }
  }
  ASSIGN_OR_RETURN(rule.action, ReadAction(value, "action", "errnoRet", path));
  const json& args = Member(value, "args");
  if (!args.is_null() && !args.is_array()) return TypeError(path + ".args", "an array", args);
  for (size_t i = 0; !args.is_null() && i < args.size(); ++i) {
    ASSIGN_OR_RETURN(OciSeccompArg arg, ParseArg(args[i], fmt::format("{}.args[{}]", path, i)));
    rule.args.push_back(arg);
  }
  if (rule.action == SCMP_ACT_NOTIFY) {
    for (const std::string& name : rule.names) {
      if (name == "sendmsg") {
        return FieldError(path + ".action", "SCMP_ACT_NOTIFY cannot be used for sendmsg (it hands the listener to the agent)");
      }
    }
  }
  return rule;
}

absl::Status ParseTopLevel(const json& profile, const std::string& path, OciSeccompProfile& out) {
  ASSIGN_OR_RETURN(out.default_action, ReadAction(profile, "defaultAction", "defaultErrnoRet", path));
  if (out.default_action == SCMP_ACT_NOTIFY) {
    return FieldError(path + ".defaultAction", "SCMP_ACT_NOTIFY cannot be the default action");
  }
  ASSIGN_OR_RETURN(std::vector<std::string> arches, ReadStrings(Member(profile, "architectures"), path + ".architectures"));
  for (size_t i = 0; i < arches.size(); ++i) {
    std::optional<uint32_t> arch = FindIn(std::begin(kArches), std::end(kArches), arches[i]);
    if (!arch) return FieldError(fmt::format("{}.architectures[{}]", path, i), fmt::format("unknown architecture \"{}\"", arches[i]));
    out.architectures.push_back(*arch);
  }
  ASSIGN_OR_RETURN(std::vector<std::string> flags, ReadStrings(Member(profile, "flags"), path + ".flags"));
  for (size_t i = 0; i < flags.size(); ++i) {
    std::optional<unsigned> flag = FindIn(std::begin(kFlags), std::end(kFlags), flags[i]);
    if (!flag) return FieldError(fmt::format("{}.flags[{}]", path, i), fmt::format("unknown flag \"{}\"", flags[i]));
    out.flags |= *flag;
  }
  ASSIGN_OR_RETURN(out.listener_path, ReadString(Member(profile, "listenerPath"), path + ".listenerPath"));
  ASSIGN_OR_RETURN(out.listener_metadata, ReadString(Member(profile, "listenerMetadata"), path + ".listenerMetadata"));
  return absl::OkStatus();
}

absl::Status CheckListener(const OciSeccompProfile& profile, const std::string& path) {
  if (!profile.NeedsListener()) return absl::OkStatus();
  const std::string listener_path = path + ".listenerPath";
  if (profile.listener_path.empty()) return FieldError(listener_path, "required when an action is SCMP_ACT_NOTIFY");
  if (profile.listener_path[0] != '/') {
    return FieldError(listener_path, fmt::format("must be an absolute path, got \"{}\"", profile.listener_path));
  }
  if (profile.listener_path.size() >= sizeof(sockaddr_un::sun_path)) {
    return FieldError(listener_path, fmt::format("longer than {} bytes", sizeof(sockaddr_un::sun_path) - 1));
  }
  return absl::OkStatus();
}

// ---- compiling ----

struct FilterDeleter {
  void operator()(void* ctx) const { seccomp_release(ctx); }
};
using Filter = std::unique_ptr<void, FilterDeleter>;

absl::Status RuleError(int rc, const std::string& name) {
  return ErrnoError(-rc, fmt::format("seccomp: adding a rule for syscall \"{}\"", name));
}

// Adds the rules of one name the way runc's matchCall does.
absl::Status AddRules(scmp_filter_ctx ctx, int nr, const std::string& name, const OciSeccompRule& rule) {
  std::vector<scmp_arg_cmp> conditions;
  unsigned per_index[kMaxSyscallArgs] = {};
  bool shared_index = false;
  for (const OciSeccompArg& arg : rule.args) {
    conditions.push_back({arg.index, static_cast<scmp_compare>(arg.op), arg.value, arg.value_two});
    shared_index |= ++per_index[arg.index] > 1;
  }
  if (!shared_index) {
    int rc = seccomp_rule_add_array(ctx, rule.action, nr, conditions.size(), conditions.data());
    return rc == 0 ? absl::OkStatus() : RuleError(rc, name);
  }
  // Several conditions on one argument: one rule per condition (an OR), as runc.
  for (const scmp_arg_cmp& condition : conditions) {
    int rc = seccomp_rule_add_array(ctx, rule.action, nr, 1, &condition);
    if (rc != 0) return RuleError(rc, name);
  }
  return absl::OkStatus();
}

absl::StatusOr<Filter> BuildFilter(const OciSeccompProfile& profile) {
  Filter ctx(seccomp_init(profile.default_action));
  if (ctx == nullptr) return absl::InternalError("seccomp: cannot create a filter");
  seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_NNP, 0);
  seccomp_attr_set(ctx.get(), SCMP_FLTATR_API_SYSRAWRC, 1);
  for (uint32_t arch : profile.architectures) {
    int rc = seccomp_arch_add(ctx.get(), arch);
    if (rc != 0 && rc != -EEXIST) return ErrnoError(-rc, fmt::format("seccomp: adding architecture {:#x}", arch));
  }
  size_t names = 0;
  for (const OciSeccompRule& rule : profile.syscalls) names += rule.names.size();
  // libseccomp's binary-tree layout for long rule sets (runc's threshold).
  if (names > 32) seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_OPTIMIZE, 2);
  for (const OciSeccompRule& rule : profile.syscalls) {
    if (rule.action == profile.default_action) continue;  // redundant; libseccomp refuses it
    for (const std::string& name : rule.names) {
      int nr = seccomp_syscall_resolve_name(name.c_str());
      if (nr == __NR_SCMP_ERROR) continue;  // not a syscall here (logged at parse time)
      RETURN_IF_ERROR(AddRules(ctx.get(), nr, name, rule));
    }
  }
  return ctx;
}

// Runs `exporter` into a memfd and returns what it wrote.
template <typename Exporter>
absl::StatusOr<std::string> ExportToString(Exporter exporter, std::string_view what) {
  UniqueFd memfd(memfd_create("runsc-seccomp", MFD_CLOEXEC));
  if (!memfd.valid()) return LastError("seccomp: memfd_create");
  int rc = exporter(memfd.get());
  if (rc != 0) return ErrnoError(-rc, fmt::format("seccomp: exporting the {}", what));
  off_t size = lseek(memfd.get(), 0, SEEK_END);
  if (size < 0) return LastError("seccomp: lseek");
  std::string out(static_cast<size_t>(size), '\0');
  if (pread(memfd.get(), out.data(), out.size(), 0) != size) return LastError("seccomp: reading the export");
  return out;
}

}  // namespace

bool OciSeccompProfile::NeedsListener() const {
  for (const OciSeccompRule& rule : syscalls) {
    if (rule.action == SCMP_ACT_NOTIFY) return true;
  }
  return false;
}

absl::StatusOr<std::optional<OciSeccompProfile>> ParseOciSeccomp(const json& profile, const std::string& path) {
  if (profile.is_null()) return std::nullopt;
  if (!profile.is_object()) return TypeError(path, "an object", profile);
  const json& syscalls = Member(profile, "syscalls");
  const json& default_action = Member(profile, "defaultAction");
  const bool no_rules = syscalls.is_null() || (syscalls.is_array() && syscalls.empty());
  if (no_rules && (default_action.is_null() || default_action == "")) return std::nullopt;
  OciSeccompProfile out;
  RETURN_IF_ERROR(ParseTopLevel(profile, path, out));
  if (!syscalls.is_null() && !syscalls.is_array()) return TypeError(path + ".syscalls", "an array", syscalls);
  for (size_t i = 0; !syscalls.is_null() && i < syscalls.size(); ++i) {
    ASSIGN_OR_RETURN(OciSeccompRule rule, ParseRule(syscalls[i], fmt::format("{}.syscalls[{}]", path, i)));
    out.syscalls.push_back(std::move(rule));
  }
  RETURN_IF_ERROR(CheckListener(out, path));
  return out;
}

absl::StatusOr<std::vector<sock_filter>> ExportSeccompBpf(void* ctx) {
  ASSIGN_OR_RETURN(std::string bpf, ExportToString([&](int fd) { return seccomp_export_bpf(ctx, fd); }, "filter"));
  std::vector<sock_filter> program(bpf.size() / sizeof(sock_filter));
  memcpy(program.data(), bpf.data(), program.size() * sizeof(sock_filter));
  if (program.size() > BPF_MAXINSNS) {
    return absl::InvalidArgumentError(fmt::format("seccomp: the filter has {} instructions, more than the kernel's {}",
                                                  program.size(), BPF_MAXINSNS));
  }
  return program;
}

absl::StatusOr<std::string> ExportSeccompPfc(void* ctx) {
  return ExportToString([&](int fd) { return seccomp_export_pfc(ctx, fd); }, "filter as text");
}

absl::StatusOr<CompiledSeccomp> CompileOciSeccomp(const OciSeccompProfile& profile) {
  ASSIGN_OR_RETURN(Filter ctx, BuildFilter(profile));
  CompiledSeccomp compiled;
  ASSIGN_OR_RETURN(compiled.program, ExportSeccompBpf(ctx.get()));
  compiled.flags = profile.flags;
  if (profile.NeedsListener()) {
    compiled.flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
    // The kernel refuses TSYNC with a listener unless failures come back as ESRCH.
    if (compiled.flags & SECCOMP_FILTER_FLAG_TSYNC) compiled.flags |= SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
  } else if (compiled.flags & SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV) {
    spdlog::debug("seccomp: SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV ignored: no SCMP_ACT_NOTIFY rule");
    compiled.flags &= ~static_cast<unsigned>(SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV);
  }
  return compiled;
}

absl::StatusOr<std::string> ExportOciSeccompPfc(const OciSeccompProfile& profile) {
  ASSIGN_OR_RETURN(Filter ctx, BuildFilter(profile));
  return ExportSeccompPfc(ctx.get());
}

absl::StatusOr<UniqueFd> LoadSeccompProgram(const CompiledSeccomp& compiled) {
  sock_fprog prog{static_cast<unsigned short>(compiled.program.size()),
                  const_cast<sock_filter*>(compiled.program.data())};
  long rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, compiled.flags, &prog);
  if (rc < 0) return LastError("seccomp: loading the filter");
  if (compiled.flags & SECCOMP_FILTER_FLAG_NEW_LISTENER) return UniqueFd(static_cast<int>(rc));
  if (rc > 0) {  // TSYNC without listener: the thread that could not be synchronised.
    return absl::FailedPreconditionError(fmt::format("seccomp: thread {} could not be synchronised", rc));
  }
  return UniqueFd();
}

json SeccompAgentMessage(const SeccompAgentInfo& info, int pid, const std::string& metadata) {
  json state = {{"ociVersion", info.oci_version}, {"id", info.id}, {"status", info.status},
                {"pid", pid}, {"bundle", info.bundle}};
  if (!info.annotations.empty()) state["annotations"] = info.annotations;
  json message = {{"ociVersion", info.oci_version}, {"fds", {"seccompFd"}}, {"pid", pid}};
  if (!metadata.empty()) message["metadata"] = metadata;
  message["state"] = std::move(state);
  return message;
}

absl::Status SendSeccompListener(int socket_fd, int listener_fd, const json& message) {
  std::string text = message.dump();
  iovec iov{text.data(), text.size()};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(cmsg), &listener_fd, sizeof(int));
  ssize_t sent;
  do {
    sent = sendmsg(socket_fd, &msg, MSG_NOSIGNAL);
  } while (sent < 0 && errno == EINTR);
  if (sent < 0) return LastError("sending the listener to the seccomp agent");
  if (static_cast<size_t>(sent) != text.size()) {
    return absl::DataLossError("sending the listener to the seccomp agent: short write");
  }
  return absl::OkStatus();
}

absl::StatusOr<PendingOciSeccomp> PendingOciSeccomp::Prepare(const json& profile, const SeccompAgentInfo& info) {
  ASSIGN_OR_RETURN(std::optional<OciSeccompProfile> parsed, ParseOciSeccomp(profile, "linux.seccomp"));
  PendingOciSeccomp pending;
  if (!parsed) return pending;
  ASSIGN_OR_RETURN(pending.compiled_, CompileOciSeccomp(*parsed));
  if (!parsed->NeedsListener()) return pending;
  pending.takes_listener_ = true;
  // Our pid as the host sees it: /proc is still the host's here.
  char link[32] = {};
  if (readlink("/proc/self", link, sizeof(link) - 1) <= 0) return LastError("seccomp: reading /proc/self");
  pending.message_ = SeccompAgentMessage(info, atoi(link), parsed->listener_metadata);
  pending.agent_.reset(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!pending.agent_.valid()) return LastError("seccomp: socket");
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  memcpy(addr.sun_path, parsed->listener_path.data(), parsed->listener_path.size());
  if (connect(pending.agent_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    return LastError(fmt::format("linux.seccomp.listenerPath: connecting to the seccomp agent at {}",
                                 parsed->listener_path));
  }
  return pending;
}

absl::Status PendingOciSeccomp::Install() {
  if (!compiled_) return absl::OkStatus();
  const CompiledSeccomp compiled = *std::exchange(compiled_, std::nullopt);
  UniqueFd agent = std::move(agent_);
  ASSIGN_OR_RETURN(UniqueFd listener, LoadSeccompProgram(compiled));
  if (listener.valid()) RETURN_IF_ERROR(SendSeccompListener(agent.get(), listener.get(), message_));
  return absl::OkStatus();  // `agent` and `listener` close here: the agent holds its own copy.
}

nlohmann::json OciSeccompFeatures() {
  nlohmann::json features = {{"enabled", true}};
  for (const ActionName& action : kActions) features["actions"].push_back(std::string(action.name));
  for (const auto& [name, op] : kOperators) features["operators"].push_back(std::string(name));
  for (const auto& [name, arch] : kArches) features["archs"].push_back(std::string(name));
  for (const auto& [name, flag] : kFlags) features["knownFlags"].push_back(std::string(name));
  features["supportedFlags"] = features["knownFlags"];
  return features;
}

}  // namespace platform
