// Logging set-up shared by every runsc process (CLI, init, sentry): runc's
// --log / --log-format text|json / --debug.
#ifndef RUNSC_PLATFORM_LOGGING_H_
#define RUNSC_PLATFORM_LOGGING_H_

#include <string>

#include "absl/status/status.h"

namespace platform {

// Where and how to log.
struct LogOptions {
  std::string path;          // empty: stderr
  std::string format = "text";  // "text" or "json" (logrus-style lines, as containerd reads)
  bool debug = false;
};

// Installs the default spdlog logger for `options`. Error when the format
// is unknown or the file cannot be opened. Synchronous: no logging thread,
// so a process that forks stays single-threaded.
absl::Status SetupLogging(const LogOptions& options);

// Formats one JSON log line as runc's logrus does:
// {"level":"error","msg":"...","time":"2026-01-02T03:04:05.000000006Z"}.
std::string JsonLogLine(std::string_view level, std::string_view message);

// The current time as RFC 3339 with nanoseconds in UTC (Go's RFC3339Nano,
// as runc writes "created").
std::string Rfc3339NanoNow();

}  // namespace platform

#endif  // RUNSC_PLATFORM_LOGGING_H_
