// What the sentry records about trapped calls: per-syscall counters (for
// `runsc events --stats`), the strace line (--strace, debug log), the audit
// log (--audit-log, JSON lines) and the rate-limited denial warning.
#ifndef RUNSC_SENTRY_CALL_LOG_H_
#define RUNSC_SENTRY_CALL_LOG_H_

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "platform/platform.h"
#include "platform/unique_fd.h"
#include "sentry/syscall_table.h"

namespace sentry {

// One answered call, as recorded.
struct CallRecord {
  pid_t tid = 0;
  std::string name;
  Disposition disposition = Disposition::kDeny;
  const platform::TrappedCall* call = nullptr;
  const platform::CallResult* result = nullptr;
  std::chrono::nanoseconds duration{0};
};

// Thread-safe sink of CallRecords.
class CallLog {
 public:
  // `audit_log`: "" for none; opened for appending (0600) here.
  static absl::StatusOr<std::unique_ptr<CallLog>> Create(const std::string& container_id, bool strace,
                                                         const std::string& audit_log);

  void Record(const CallRecord& record);

  // {"dispositions": {"emulate": n, ...}, "syscalls": {"uname": {"emulate": n}, ...}}
  nlohmann::json Stats() const;

 private:
  CallLog(std::string container_id, bool strace, platform::UniqueFd audit);
  void WarnDenied(const CallRecord& record);

  const std::string container_id_;
  const bool strace_;
  const platform::UniqueFd audit_;
  mutable std::mutex mu_;  // guards everything below
  std::map<std::string, std::map<std::string, uint64_t>> per_syscall_;
  std::map<std::string, uint64_t> per_disposition_;
  std::chrono::steady_clock::time_point window_start_;
  int warnings_in_window_ = 0;
  uint64_t suppressed_ = 0;
};

// "0x1, 0x7ffd..." : the six argument registers, trailing zeros dropped.
std::string FormatArgs(const platform::TrappedCall& call);

}  // namespace sentry

#endif  // RUNSC_SENTRY_CALL_LOG_H_
