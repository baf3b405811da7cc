#include "platform/cgroup_devices_bpf.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <charconv>
#include <climits>
#include <cstddef>
#include <cstring>

#include "fmt/format.h"
#include "platform/errors.h"
#include "platform/status_macros.h"

namespace platform {
namespace {

// runc's choice: a device program needs no GPL-only helper.
constexpr char kLicense[] = "Apache";
constexpr size_t kVerifierLogSize = 64 * 1024;

// The registers the prologue fills (r1 holds the context on entry and is
// scratch once it has been read).
constexpr uint8_t kCtx = BPF_REG_1, kScratch = BPF_REG_1, kType = BPF_REG_2, kAccess = BPF_REG_3, kMajor = BPF_REG_4,
                  kMinor = BPF_REG_5;

// The access types, each decided on its own: O_RDWR asks for read and write
// in one call, and a "deny w" rule must refuse it.
constexpr int32_t kAccessTypes[] = {BPF_DEVCG_ACC_MKNOD, BPF_DEVCG_ACC_READ, BPF_DEVCG_ACC_WRITE};

// Jump offsets are 16 bits: stay well inside them.
constexpr size_t kMaxInstructions = 30000;

bpf_insn Insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
  bpf_insn insn{};
  insn.code = code;
  insn.dst_reg = dst;
  insn.src_reg = src;
  insn.off = off;
  insn.imm = imm;
  return insn;
}

bpf_insn LoadCtxWord(uint8_t dst, size_t offset) {
  return Insn(BPF_LDX | BPF_MEM | BPF_W, dst, kCtx, static_cast<int16_t>(offset), 0);
}
bpf_insn Alu32Imm(uint8_t op, uint8_t dst, int32_t imm) { return Insn(BPF_ALU | op | BPF_K, dst, 0, 0, imm); }
bpf_insn Mov32Reg(uint8_t dst, uint8_t src) { return Insn(BPF_ALU | BPF_MOV | BPF_X, dst, src, 0, 0); }
bpf_insn Return(bool allow) { return Insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, allow ? 1 : 0); }
bpf_insn Exit() { return Insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0); }

// Conditional and plain jumps; their offsets are patched once the target
// is known.
bpf_insn SkipIfNotEqualImm(uint8_t dst, int32_t imm) { return Insn(BPF_JMP | BPF_JNE | BPF_K, dst, 0, 0, imm); }
bpf_insn JumpIfZero(uint8_t dst) { return Insn(BPF_JMP | BPF_JEQ | BPF_K, dst, 0, 0, 0); }
bpf_insn Jump() { return Insn(BPF_JMP | BPF_JA, 0, 0, 0, 0); }

// type = ctx->access_type & 0xffff; access = ctx->access_type >> 16; major; minor.
void EmitPrologue(std::vector<bpf_insn>& out) {
  out.push_back(LoadCtxWord(kType, offsetof(bpf_cgroup_dev_ctx, access_type)));
  out.push_back(Alu32Imm(BPF_AND, kType, 0xffff));
  out.push_back(LoadCtxWord(kAccess, offsetof(bpf_cgroup_dev_ctx, access_type)));
  out.push_back(Alu32Imm(BPF_RSH, kAccess, 16));
  out.push_back(LoadCtxWord(kMajor, offsetof(bpf_cgroup_dev_ctx, major)));
  out.push_back(LoadCtxWord(kMinor, offsetof(bpf_cgroup_dev_ctx, minor)));
}

absl::StatusOr<int32_t> AccessMask(const std::string& access) {
  int32_t mask = 0;
  for (char c : access) {
    if (c == 'r')
      mask |= BPF_DEVCG_ACC_READ;
    else if (c == 'w')
      mask |= BPF_DEVCG_ACC_WRITE;
    else if (c == 'm')
      mask |= BPF_DEVCG_ACC_MKNOD;
    else
      return absl::InvalidArgumentError(fmt::format("device rule access \"{}\": not a subset of \"rwm\"", access));
  }
  if (mask == 0) return absl::InvalidArgumentError("device rule access is empty");
  return mask;
}

// A major/minor as an immediate; nullopt for the wildcard (absent or -1).
// JNE compares the zero-extended context word with the sign-extended
// immediate, so numbers stop at INT32_MAX (Linux's are 12 and 20 bits).
absl::StatusOr<std::optional<int32_t>> DeviceNumber(const std::optional<int64_t>& value, const char* what) {
  if (!value || *value == -1) return std::nullopt;
  if (*value < 0 || *value > INT32_MAX) {
    return absl::InvalidArgumentError(fmt::format("device rule {} {} is out of range", what, *value));
  }
  return static_cast<int32_t>(*value);
}

// A validated rule: the access types it covers and the checks that the
// device is one it names (each "skip this block unless ..."; none for "a").
struct CompiledRule {
  bool allow;
  int32_t access;
  std::vector<bpf_insn> device_checks;
};

absl::StatusOr<CompiledRule> Compile(const DeviceCgroupRule& rule) {
  constexpr int32_t kAll = BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE;
  CompiledRule compiled{rule.allow, kAll, {}};
  if (rule.type == 'a') return compiled;  // as in v1, "a" is every device and every access
  if (rule.type != 'c' && rule.type != 'b') {
    return absl::InvalidArgumentError(fmt::format("device rule type '{}': want a, c or b", rule.type));
  }
  ASSIGN_OR_RETURN(compiled.access, AccessMask(rule.access));
  ASSIGN_OR_RETURN(std::optional<int32_t> major, DeviceNumber(rule.major, "major"));
  ASSIGN_OR_RETURN(std::optional<int32_t> minor, DeviceNumber(rule.minor, "minor"));
  compiled.device_checks.push_back(
      SkipIfNotEqualImm(kType, rule.type == 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK));
  if (major) compiled.device_checks.push_back(SkipIfNotEqualImm(kMajor, *major));
  if (minor) compiled.device_checks.push_back(SkipIfNotEqualImm(kMinor, *minor));
  return compiled;
}

// Appends the section deciding `access_type`: skipped unless it is requested;
// then one block per rule covering it, last rule first (device checks, then
// "deny: return 0" or "allow: on to the next section"); then the default
// deny. A rule matching every device ends the section early: the verifier
// rejects unreachable code.
void EmitSection(std::vector<bpf_insn>& out, const std::vector<CompiledRule>& rules, int32_t access_type) {
  std::vector<size_t> to_end;  // jumps to the next section
  out.push_back(Mov32Reg(kScratch, kAccess));
  out.push_back(Alu32Imm(BPF_AND, kScratch, access_type));
  to_end.push_back(out.size());
  out.push_back(JumpIfZero(kScratch));
  bool decided = false;
  for (auto rule = rules.rbegin(); rule != rules.rend() && !decided; ++rule) {
    if ((rule->access & access_type) == 0) continue;
    const size_t length = rule->device_checks.size() + (rule->allow ? 1 : 2);
    for (size_t i = 0; i < rule->device_checks.size(); ++i) {
      out.push_back(rule->device_checks[i]);
      out.back().off = static_cast<int16_t>(length - 1 - i);  // past this block
    }
    if (rule->allow) {
      to_end.push_back(out.size());
      out.push_back(Jump());
    } else {
      out.push_back(Return(false));
      out.push_back(Exit());
    }
    decided = rule->device_checks.empty();
  }
  if (!decided) {
    out.push_back(Return(false));  // default deny
    out.push_back(Exit());
  }
  for (size_t at : to_end) out[at].off = static_cast<int16_t>(out.size() - at - 1);
}

long Bpf(int cmd, bpf_attr& attr) { return syscall(__NR_bpf, cmd, &attr, sizeof(attr)); }

// The verifier's reason: the last line of its log, skipping the statistics
// it ends with ("processed 1 insns ...", "verification time ...").
std::string VerifierReason(const char* log) {
  std::string text(log, strnlen(log, kVerifierLogSize));
  while (!text.empty()) {
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    size_t newline = text.rfind('\n');
    std::string line = newline == std::string::npos ? text : text.substr(newline + 1);
    if (!line.starts_with("processed ") && !line.starts_with("verification time")) return line;
    text.resize(newline == std::string::npos ? 0 : newline);
  }
  return "";
}

long LoadProgram(const std::vector<bpf_insn>& program, char* log, uint32_t log_size) {
  bpf_attr attr{};
  attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  attr.insns = reinterpret_cast<uintptr_t>(program.data());
  attr.insn_cnt = static_cast<uint32_t>(program.size());
  attr.license = reinterpret_cast<uintptr_t>(kLicense);
  attr.log_buf = reinterpret_cast<uintptr_t>(log);
  attr.log_size = log_size;
  attr.log_level = log == nullptr ? 0 : 1;
  return Bpf(BPF_PROG_LOAD, attr);
}

absl::Status AttachOrDetach(int cmd, int cgroup_fd, int prog_fd) {
  bpf_attr attr{};
  attr.target_fd = static_cast<uint32_t>(cgroup_fd);
  attr.attach_bpf_fd = static_cast<uint32_t>(prog_fd);
  attr.attach_type = BPF_CGROUP_DEVICE;
  attr.attach_flags = cmd == BPF_PROG_ATTACH ? BPF_F_ALLOW_MULTI : 0;
  if (Bpf(cmd, attr) != 0) {
    return LastError(cmd == BPF_PROG_ATTACH ? "attaching the device program" : "detaching the old device program");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<DeviceCgroupRule> ParseDeviceCgroupRule(bool allow, std::string_view text) {
  DeviceCgroupRule rule;
  rule.allow = allow;
  auto invalid = [&] {
    return absl::InvalidArgumentError(fmt::format("device rule \"{}\": want \"a\" or \"c|b major:minor rwm\"", text));
  };
  if (text.empty()) return invalid();
  rule.type = text[0];
  if (rule.type == 'a') return rule;
  if (rule.type != 'c' && rule.type != 'b') return invalid();
  size_t space = text.find(' ', 2);
  size_t colon = text.find(':');
  if (text.size() < 2 || text[1] != ' ' || space == std::string_view::npos || colon == std::string_view::npos ||
      colon > space) {
    return invalid();
  }
  auto number = [](std::string_view field, std::optional<int64_t>& out) {
    if (field == "*") return true;
    int64_t value = 0;
    auto [end, error] = std::from_chars(field.data(), field.data() + field.size(), value);
    out = value;
    return error == std::errc() && end == field.data() + field.size() && !field.empty();
  };
  if (!number(text.substr(2, colon - 2), rule.major) ||
      !number(text.substr(colon + 1, space - colon - 1), rule.minor)) {
    return invalid();
  }
  rule.access = std::string(text.substr(space + 1));
  RETURN_IF_ERROR(AccessMask(rule.access).status());
  return rule;
}

absl::StatusOr<std::vector<bpf_insn>> DeviceFilterProgram(const std::vector<DeviceCgroupRule>& rules) {
  std::vector<CompiledRule> compiled;
  for (const DeviceCgroupRule& rule : rules) {
    ASSIGN_OR_RETURN(CompiledRule one, Compile(rule));
    compiled.push_back(std::move(one));
  }
  std::vector<bpf_insn> program;
  EmitPrologue(program);
  for (int32_t access_type : kAccessTypes) {
    EmitSection(program, compiled, access_type);
    if (program.size() > kMaxInstructions) {
      return absl::InvalidArgumentError(fmt::format("{} device rules are too many for one program", rules.size()));
    }
  }
  program.push_back(Return(true));  // every access type asked for was allowed
  program.push_back(Exit());
  return program;
}

absl::StatusOr<UniqueFd> LoadDeviceFilter(const std::vector<bpf_insn>& program) {
  UniqueFd fd(static_cast<int>(LoadProgram(program, nullptr, 0)));
  if (fd.valid()) return fd;
  int load_errno = errno;
  // Load again with the verifier's log, for the reason.
  std::vector<char> log(kVerifierLogSize, '\0');
  fd.reset(static_cast<int>(LoadProgram(program, log.data(), static_cast<uint32_t>(log.size()))));
  if (fd.valid()) return fd;
  std::string reason = VerifierReason(log.data());
  return ErrnoError(load_errno, reason.empty() ? std::string("loading the device program")
                                               : fmt::format("loading the device program (verifier: {})", reason));
}

absl::StatusOr<std::vector<uint32_t>> QueryDeviceFilters(int cgroup_fd) {
  std::vector<uint32_t> ids(16);
  for (;;) {
    bpf_attr attr{};
    attr.query.target_fd = static_cast<uint32_t>(cgroup_fd);
    attr.query.attach_type = BPF_CGROUP_DEVICE;
    attr.query.prog_ids = reinterpret_cast<uintptr_t>(ids.data());
    attr.query.prog_cnt = static_cast<uint32_t>(ids.size());
    if (Bpf(BPF_PROG_QUERY, attr) == 0) {
      ids.resize(attr.query.prog_cnt);
      return ids;
    }
    // ENOSPC: prog_cnt now holds how many there are.
    if (errno != ENOSPC || attr.query.prog_cnt <= ids.size()) return LastError("querying the cgroup's device programs");
    ids.resize(attr.query.prog_cnt);
  }
}

absl::Status ReplaceDeviceFilter(int cgroup_fd, int prog_fd) {
  ASSIGN_OR_RETURN(std::vector<uint32_t> old_ids, QueryDeviceFilters(cgroup_fd));
  RETURN_IF_ERROR(AttachOrDetach(BPF_PROG_ATTACH, cgroup_fd, prog_fd));
  for (uint32_t id : old_ids) {
    bpf_attr attr{};
    attr.prog_id = id;
    UniqueFd old(static_cast<int>(Bpf(BPF_PROG_GET_FD_BY_ID, attr)));
    if (!old.valid() && errno == ENOENT) continue;  // already gone
    if (!old.valid()) return LastError(fmt::format("opening the old device program {}", id));
    absl::Status detached = AttachOrDetach(BPF_PROG_DETACH, cgroup_fd, old.get());
    if (!detached.ok() && !absl::IsNotFound(detached)) return detached;  // ENOENT: detached meanwhile
  }
  return absl::OkStatus();
}

absl::Status SetDeviceFilter(const std::string& cgroup_dir, const std::vector<DeviceCgroupRule>& rules) {
  ASSIGN_OR_RETURN(std::vector<bpf_insn> program, DeviceFilterProgram(rules));
  ASSIGN_OR_RETURN(UniqueFd prog, LoadDeviceFilter(program));
  UniqueFd dir(open(cgroup_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir.valid()) return LastError(fmt::format("opening cgroup {}", cgroup_dir));
  return Annotate(ReplaceDeviceFilter(dir.get(), prog.get()), fmt::format("cgroup {}", cgroup_dir));
}

}  // namespace platform
