// Logging set-up shared by every runsc process (CLI, sentry, gofer,
// watchdog): runc's --log / --log-format text|json / --debug, and gVisor's
// --debug-log, a second log at debug level that --log does not override.
#ifndef RUNSC_PLATFORM_LOGGING_H_
#define RUNSC_PLATFORM_LOGGING_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace platform {

// Where and how to log.
struct LogOptions {
  std::string path;  // empty: stderr
  std::string format =
      "text";  // "text" or "json" (logrus-style lines, as containerd reads)
  bool debug = false;
  // --debug-log: a text log at debug level that every runsc process of a
  // container appends to, whatever --log says (Docker's shim gives its own
  // --log last). A pattern (ExpandDebugLogPath): each process expands it for
  // itself, so it is handed to the sandbox's processes as given.
  std::string debug_log;
};

// Who logs: what --debug-log's %ID% and %COMMAND% stand for.
struct LogContext {
  std::string container_id;  // empty for commands without one (list, spec, ...)
  std::string
      command;  // the subcommand: create, boot, gofer, watchdog, exec, ...
};

// The debug log's file for `context`, as gVisor names it: %ID% becomes the
// container id, %COMMAND% the command, %TIMESTAMP% the local time
// (20260102-030405.000006); a pattern ending in '/' is a directory, holding
// runsc.log.%TIMESTAMP%.%COMMAND%.txt. Error if %ID% would be replaced by an
// id that is not a plain file name (".", "..", or containing '/').
absl::StatusOr<std::string> ExpandDebugLogPath(std::string_view pattern,
                                               const LogContext& context);

// Installs the default spdlog logger for `options` (and `context`, which
// names the debug log). Error when the format is unknown or a file cannot be
// opened; the debug log's directory is created. Synchronous: no logging
// thread, so a process that forks stays single-threaded.
absl::Status SetupLogging(const LogOptions& options, const LogContext& context);

// Logs one start-up phase at debug level, for the per-phase timeline
// (`runsc --debug --debug-log FILE run ...`): "timeline <command>: <phase>
// +<ms> ms", the milliseconds since this process started (each re-exec'd
// sandbox process counts from its own start; the lines' timestamps put them
// on one clock). Costs a level check when debug is off.
void LogPhase(std::string_view phase);

// The same for a phase another process reached at `monotonic_ns`
// (CLOCK_MONOTONIC is one clock for every process), e.g. the container
// init's, which has no log of its own.
void LogPhaseAt(std::string_view phase, int64_t monotonic_ns);

// CLOCK_MONOTONIC in nanoseconds.
int64_t MonotonicNanos();

// Formats one JSON log line as runc's logrus does:
// {"level":"error","msg":"...","time":"2026-01-02T03:04:05.000000006Z"}.
std::string JsonLogLine(std::string_view level, std::string_view message);

// The current time as RFC 3339 with nanoseconds in UTC (Go's RFC3339Nano,
// as runc writes "created").
std::string Rfc3339NanoNow();

}  // namespace platform

#endif  // RUNSC_PLATFORM_LOGGING_H_
