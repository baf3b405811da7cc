#include "sentry/policy_learn.h"

#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "fmt/format.h"
#include "platform/errors.h"
#include "sentry/dispatcher.h"
#include "spdlog/spdlog.h"

namespace sentry {
namespace {

// A workload cannot grow the record without bound (ioctl with every request
// number): past this many classes a row records one "(more)" class.
constexpr size_t kMaxClassesPerRow = 256;

constexpr char kMoreClasses[] = "(more)";

// "passthrough", or "deny:EPERM" for a denial.
std::string Answer(Disposition disposition, int errno_value) {
  if (disposition != Disposition::kDeny)
    return std::string(DispositionName(disposition));
  const char* name = strerrorname_np(errno_value);
  return fmt::format("deny:{}",
                     name != nullptr ? name : std::to_string(errno_value));
}

// Whether every argument value of the row is denied (nothing to take away).
bool AlwaysDenied(const SyscallEntry& entry) {
  if (entry.rules.empty()) return entry.disposition == Disposition::kDeny;
  for (const ArgRule& rule : entry.rules) {
    if (rule.disposition != Disposition::kDeny) return false;
  }
  return true;
}

// The value for the policy file of a row the workload used, or "" to keep the
// row as the table has it: a row whose every call was denied with one errno
// is denied outright with that errno (the workload saw nothing else).
std::string UsedRowValue(const std::map<std::string, std::string>& classes) {
  const std::string& first = classes.begin()->second;
  if (!first.starts_with("deny:")) return "";
  for (const auto& [key, answer] : classes) {
    if (answer != first) return "";
  }
  return first;
}

// What the filter outside learn mode ALLOWs (workload_filter.cc's
// SeccompAction): passthrough, and broker rows while they are not sent to the
// gofer.
bool AllowedNatively(Disposition disposition, const Policy& policy) {
  return disposition == Disposition::kPassthrough ||
         (disposition == Disposition::kBroker && !policy.broker_to_gofer());
}

std::string Hex(uint64_t value) { return fmt::format("{:#x}", value); }

}  // namespace

const std::set<std::string>& WindowCalls() {
  // runsc/container_init.cc: PendingSandboxFilter::Install (write, sendmsg,
  // close), ApplyProcessAttributes (rlimits, bounding set and ambient caps
  // through prctl, setgroups/setresgid/setresuid, capget/capset, umask), the
  // "ok" on the sync socket (write, close), and a failure's exit.
  static const std::set<std::string>* const calls = new std::set<std::string>{
      "capget",    "capset",    "close",     "exit",    "exit_group",
      "getrlimit", "prctl",     "prlimit64", "sendmsg", "setgroups",
      "setresgid", "setresuid", "setrlimit", "umask",   "write"};
  return *calls;
}

const std::set<std::string>& RuntimeCalls() {
  // Without no_new_privs the init also sets its signal handlers, opens the
  // exec fifo (openat) and execs the workload under the filter.
  static const std::set<std::string>* const calls = [] {
    auto* all = new std::set<std::string>(WindowCalls());
    all->insert({"execve", "openat", "rt_sigaction"});
    return all;
  }();
  return *calls;
}

uint32_t LearnModeAction(const SyscallEntry& entry, uint32_t action,
                         uint32_t trap_action) {
  if (action != SCMP_ACT_ALLOW || WindowCalls().contains(entry.name))
    return action;
  return trap_action;
}

std::string ArgClass(const SyscallEntry& entry,
                     const std::array<uint64_t, 6>& args) {
  std::map<unsigned, uint64_t> masks;
  for (const ArgRule& rule : entry.rules) {
    for (const ArgMatch& match : rule.when) {
      if (match.index < args.size())
        masks[match.index] |= match.negate ? ~uint64_t{0} : match.mask;
    }
  }
  std::string key;
  for (const auto& [index, mask] : masks) {
    if (!key.empty()) key += ' ';
    const bool whole = mask == ~uint64_t{0} || mask == 0xffffffff;
    key += whole ? fmt::format("arg{}={}", index, Hex(args[index] & mask))
                 : fmt::format("arg{}&{}={}", index, Hex(mask),
                               Hex(args[index] & mask));
  }
  return key;
}

std::string LearnedPolicyPath(const std::string& file, const std::string& id) {
  std::error_code error;
  if (file.ends_with('/') || std::filesystem::is_directory(file, error)) {
    return (std::filesystem::path(file) / (id + ".json")).string();
  }
  std::string path = file;
  for (size_t at = path.find("%ID%"); at != std::string::npos;
       at = path.find("%ID%", at + id.size())) {
    path.replace(at, 4, id);
  }
  return path;
}

absl::Status CheckLearnedPolicyPath(const std::string& file,
                                    const std::string& id) {
  const std::string path = LearnedPolicyPath(file, id);
  const std::string context = fmt::format("--policy-learn {}", path);
  if (path.empty() || path.front() != '/') {
    return absl::InvalidArgumentError(
        fmt::format("{}: must be an absolute path", context));
  }
  std::string dir = std::filesystem::path(path).parent_path().string();
  struct stat st {};
  if (stat(dir.c_str(), &st) != 0)
    return platform::LastError(fmt::format("{}: directory {}", context, dir));
  if (!S_ISDIR(st.st_mode))
    return absl::InvalidArgumentError(
        fmt::format("{}: {} is not a directory", context, dir));
  if (access(dir.c_str(), W_OK) != 0)
    return platform::LastError(fmt::format("{}: directory {}", context, dir));
  if (stat(path.c_str(), &st) != 0)
    return absl::OkStatus();  // created by the sentry
  if (!S_ISREG(st.st_mode))
    return absl::InvalidArgumentError(
        fmt::format("{}: not a regular file", context));
  if (access(path.c_str(), W_OK) != 0) return platform::LastError(context);
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<PolicyLearner>> PolicyLearner::Create(
    const std::string& file, const std::string& id, const Policy& policy) {
  const std::string path = LearnedPolicyPath(file, id);
  platform::UniqueFd fd(
      open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
           0644));
  if (!fd.valid())
    return platform::LastError(fmt::format("--policy-learn {}", path));
  auto learner = std::make_unique<PolicyLearner>(policy, id);
  learner->file_ = std::move(fd);
  return learner;
}

PolicyLearner::PolicyLearner(const Policy& policy, std::string id)
    : policy_(policy), id_(std::move(id)) {}

void PolicyLearner::Record(const SyscallEntry& entry,
                           const std::array<uint64_t, 6>& args,
                           Disposition disposition, int errno_value) {
  std::string key = ArgClass(entry, args);
  std::lock_guard<std::mutex> lock(mu_);
  std::map<std::string, std::string>& classes = used_[entry.name];
  if (classes.contains(key)) return;
  if (classes.size() >= kMaxClassesPerRow) {
    if (classes.contains(kMoreClasses)) return;
    key = kMoreClasses;
  }
  classes.emplace(std::move(key), Answer(disposition, errno_value));
  SaveLocked();
}

nlohmann::json PolicyLearner::LearnedPolicy() const {
  std::lock_guard<std::mutex> lock(mu_);
  return LearnedPolicyLocked();
}

nlohmann::json PolicyLearner::LearnedPolicyLocked() const {
  nlohmann::json syscalls = nlohmann::json::object();
  for (const SyscallEntry& entry : policy_.entries()) {
    if (entry.number < 0 || AlwaysDenied(entry) ||
        RuntimeCalls().contains(entry.name))
      continue;
    auto used = used_.find(entry.name);
    if (used == used_.end()) {
      syscalls[entry.name] = "deny";
    } else if (std::string value = UsedRowValue(used->second); !value.empty()) {
      syscalls[entry.name] = value;
    }
  }
  return {{"syscalls", syscalls},
          {"learned",
           {{"container", id_},
            {"by",
             "runsc --policy-learn: rows the workload did not use are denied "
             "(EPERM); the classes are the "
             "argument values the table's rules look at, for review"},
            {"used", used_},
            {"kept_for_runsc", RuntimeCalls()}}}};
}

// Rewrites the whole file: reopened with O_TRUNC through /proc/self/fd (the
// same inode, no path walked again, and no ftruncate in the sentry's
// allowlist), then written.
void PolicyLearner::SaveLocked() {
  if (!file_.valid()) return;
  const std::string text = LearnedPolicyLocked().dump(2) + "\n";
  platform::UniqueFd fresh(
      open(fmt::format("/proc/self/fd/{}", file_.get()).c_str(),
           O_WRONLY | O_TRUNC | O_CLOEXEC));
  if (!fresh.valid() || write(fresh.get(), text.data(), text.size()) !=
                            static_cast<ssize_t>(text.size())) {
    spdlog::warn("sentry for container {}: writing the learned policy: {}", id_,
                 strerror(errno));
  }
}

LearningHandler::LearningHandler(const Policy& policy, PolicyLearner& learner,
                                 platform::CallHandler& next)
    : policy_(policy), learner_(learner), next_(next) {
  for (const SyscallEntry& entry : policy.entries()) {
    if (entry.number >= 0) by_number_[entry.number] = &entry;
  }
}

const SyscallEntry* LearningHandler::Find(int nr) const {
  auto found = by_number_.find(nr);
  return found == by_number_.end() ? nullptr : found->second;
}

platform::CallResult LearningHandler::Handle(const platform::TrappedCall& call,
                                             platform::RemoteMemory& memory) {
  const SyscallEntry* entry = Find(call.nr);
  if (entry == nullptr)
    return next_.Handle(call, memory);  // the Dispatcher's fault path
  const Decision decision = Decide(*entry, call.args);
  learner_.Record(*entry, call.args, decision.disposition,
                  decision.errno_value);
  // The filter outside learn mode would have let the kernel run it (ALLOW).
  if (AllowedNatively(decision.disposition, policy_))
    return platform::CallResult::Continue();
  return next_.Handle(call, memory);
}

bool LearningHandler::MayBlock(const platform::TrappedCall& call) const {
  return next_.MayBlock(call);
}

}  // namespace sentry
