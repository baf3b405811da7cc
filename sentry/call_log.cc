#include "sentry/call_log.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "fmt/format.h"
#include "platform/errors.h"
#include "platform/logging.h"
#include "spdlog/spdlog.h"

namespace sentry {
namespace {

// At most this many denial warnings per second; the rest are counted and
// summarised in the next window's first warning.
constexpr int kWarningsPerSecond = 10;

std::string ErrnoLabel(int err) {
  const char* name = strerrorname_np(err);
  return name != nullptr ? name : std::to_string(err);
}

std::string ResultText(const platform::CallResult& result) {
  switch (result.kind()) {
    case platform::CallResult::Kind::kValue:
      return std::to_string(result.value());
    case platform::CallResult::Kind::kError:
      return fmt::format("-1 {}", ErrnoLabel(result.error()));
    default:
      return result.DebugString();
  }
}

}  // namespace

std::string FormatArgs(const platform::TrappedCall& call) {
  size_t count = call.args.size();
  while (count > 0 && call.args[count - 1] == 0) --count;
  std::string text;
  for (size_t i = 0; i < count; ++i) text += fmt::format("{}{:#x}", i ? ", " : "", call.args[i]);
  return text;
}

absl::StatusOr<std::unique_ptr<CallLog>> CallLog::Create(const std::string& container_id, bool strace,
                                                         const std::string& audit_log) {
  platform::UniqueFd audit;
  if (!audit_log.empty()) {
    audit.reset(open(audit_log.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600));
    if (!audit.valid()) return platform::LastError(fmt::format("--audit-log {}", audit_log));
  }
  return std::unique_ptr<CallLog>(new CallLog(container_id, strace, std::move(audit)));
}

CallLog::CallLog(std::string container_id, bool strace, platform::UniqueFd audit)
    : container_id_(std::move(container_id)), strace_(strace), audit_(std::move(audit)) {}

void CallLog::Record(const CallRecord& record) {
  const std::string disposition(DispositionName(record.disposition));
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(record.duration).count();
  if (strace_) {
    spdlog::debug("strace: [{}] {}({}) = {} ({} us, {})", record.tid, record.name, FormatArgs(*record.call),
                  ResultText(*record.result), micros, disposition);
  }
  if (audit_.valid()) {
    nlohmann::json line = {{"time", platform::Rfc3339NanoNow()}, {"container", container_id_},
                           {"tid", record.tid},                  {"syscall", record.name},
                           {"disposition", disposition},         {"duration_us", micros}};
    if (record.result->kind() == platform::CallResult::Kind::kError) {
      line["errno"] = ErrnoLabel(record.result->error());
    } else {
      line["result"] = record.result->DebugString();
    }
    std::string text = line.dump() + "\n";
    // One write(2) per line with O_APPEND: lines from workers never interleave.
    (void)!write(audit_.get(), text.data(), text.size());
  }
  std::lock_guard<std::mutex> lock(mu_);
  ++per_syscall_[record.name][disposition];
  ++per_disposition_[disposition];
  if (record.disposition == Disposition::kDeny) WarnDenied(record);
}

// Called with mu_ held.
void CallLog::WarnDenied(const CallRecord& record) {
  auto now = std::chrono::steady_clock::now();
  if (now - window_start_ >= std::chrono::seconds(1)) {
    if (suppressed_ > 0) {
      spdlog::warn("container {}: {} more denied calls not logged", container_id_, suppressed_);
    }
    window_start_ = now;
    warnings_in_window_ = 0;
    suppressed_ = 0;
  }
  if (warnings_in_window_++ >= kWarningsPerSecond) {
    ++suppressed_;
    return;
  }
  spdlog::warn("container {}: denied {}({}) from tid {}: {}", container_id_, record.name, FormatArgs(*record.call),
               record.tid, ResultText(*record.result));
}

nlohmann::json CallLog::Stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  nlohmann::json stats = {{"dispositions", nlohmann::json::object()}, {"syscalls", nlohmann::json::object()}};
  for (const auto& [name, count] : per_disposition_) stats["dispositions"][name] = count;
  for (const auto& [name, counts] : per_syscall_) stats["syscalls"][name] = counts;
  return stats;
}

}  // namespace sentry
