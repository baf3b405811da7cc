#include "platform/logging.h"

#include <time.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <mutex>
#include <vector>

#include "fmt/format.h"
#include "nlohmann/json.hpp"
#include "platform/status_macros.h"
#include "spdlog/sinks/base_sink.h"
#include "spdlog/sinks/basic_file_sink.h"
#include "spdlog/sinks/stdout_sinks.h"
#include "spdlog/spdlog.h"

namespace platform {
std::string Rfc3339NanoNow() {
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  struct tm utc;
  gmtime_r(&now.tv_sec, &utc);
  char date[32];
  strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &utc);
  return fmt::format("{}.{:09d}Z", date, now.tv_nsec);
}

namespace {

// logrus names "warning" and "error"; spdlog calls them "warning" and "error"
// too, but "critical" has no logrus twin: map it to "fatal".
std::string_view LogrusLevel(spdlog::level::level_enum level) {
  if (level == spdlog::level::critical) return "fatal";
  auto name = spdlog::level::to_string_view(level);
  return std::string_view(name.data(), name.size());
}

// Appends one JSON object per line to a file.
class JsonFileSink : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit JsonFileSink(const std::string& path) {
    file_.open(path, /*truncate=*/false);
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    std::string line =
        JsonLogLine(LogrusLevel(msg.level),
                    std::string_view(msg.payload.data(), msg.payload.size()));
    line.push_back('\n');
    spdlog::memory_buf_t buffer;
    buffer.append(line.data(), line.data() + line.size());
    file_.write(buffer);
  }
  void flush_() override { file_.flush(); }

 private:
  spdlog::details::file_helper file_;
};

}  // namespace

std::string JsonLogLine(std::string_view level, std::string_view message) {
  nlohmann::ordered_json line;
  line["level"] = std::string(level);
  line["msg"] = std::string(message);
  line["time"] = Rfc3339NanoNow();
  return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

namespace {

constexpr char kTextPattern[] = "%Y-%m-%dT%H:%M:%S.%f%z %l [%P] %v";

// Replaces every `from` in `text` with `to`.
void ReplaceAll(std::string& text, std::string_view from, std::string_view to) {
  for (size_t at = text.find(from); at != std::string::npos;
       at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
}

// The local time as gVisor's %TIMESTAMP%: 20260102-030405.000006.
std::string DebugLogTimestamp() {
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  struct tm local;
  localtime_r(&now.tv_sec, &local);
  char date[32];
  strftime(date, sizeof(date), "%Y%m%d-%H%M%S", &local);
  return fmt::format("{}.{:06d}", date, now.tv_nsec / 1000);
}

// The --log sink: stderr, a text file or a JSON-lines file.
absl::StatusOr<spdlog::sink_ptr> MainSink(const LogOptions& options) {
  spdlog::sink_ptr sink;
  try {
    if (options.path.empty()) {
      sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    } else if (options.format == "json") {
      sink = std::make_shared<JsonFileSink>(options.path);
    } else {
      sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(options.path);
    }
  } catch (const spdlog::spdlog_ex& error) {
    return absl::InvalidArgumentError(
        fmt::format("--log {}: {}", options.path, error.what()));
  }
  if (options.format == "text") sink->set_pattern(kTextPattern);
  // Without --log, stderr carries only the CLI's own one-line errors and
  // warnings, unless --debug asks for more.
  sink->set_level(options.debug          ? spdlog::level::debug
                  : options.path.empty() ? spdlog::level::warn
                                         : spdlog::level::info);
  return sink;
}

// The --debug-log sink: `path` (its directory made if missing), appended to,
// text, debug level whatever --debug says.
absl::StatusOr<spdlog::sink_ptr> DebugSink(const std::string& path) {
  std::error_code error;
  std::filesystem::path directory = std::filesystem::path(path).parent_path();
  if (!directory.empty()) std::filesystem::create_directories(directory, error);
  if (error)
    return absl::InvalidArgumentError(
        fmt::format("--debug-log {}: {}", path, error.message()));
  spdlog::sink_ptr sink;
  try {
    sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(path);
  } catch (const spdlog::spdlog_ex& failure) {
    return absl::InvalidArgumentError(
        fmt::format("--debug-log {}: {}", path, failure.what()));
  }
  sink->set_pattern(kTextPattern);
  sink->set_level(spdlog::level::debug);
  return sink;
}

}  // namespace

absl::StatusOr<std::string> ExpandDebugLogPath(std::string_view pattern,
                                               const LogContext& context) {
  std::string path(pattern);
  if (path.ends_with('/')) path += "runsc.log.%TIMESTAMP%.%COMMAND%.txt";
  const std::string& id = context.container_id;
  // The id comes from the command line before it is validated: it must not
  // lead the log out of the directory the pattern names.
  if (path.find("%ID%") != std::string::npos &&
      (id == "." || id == ".." || id.find('/') != std::string::npos)) {
    return absl::InvalidArgumentError(
        fmt::format("--debug-log: container id \"{}\" is not a file name", id));
  }
  ReplaceAll(path, "%ID%", id);
  ReplaceAll(path, "%COMMAND%", context.command);
  if (path.find("%TIMESTAMP%") != std::string::npos)
    ReplaceAll(path, "%TIMESTAMP%", DebugLogTimestamp());
  return path;
}

namespace {

// When this process started, as near as static initialisation gets.
const int64_t kProcessStartNs = MonotonicNanos();

std::string& TimelineCommand() {
  static std::string* command = new std::string("runsc");
  return *command;
}

}  // namespace

int64_t MonotonicNanos() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return int64_t{now.tv_sec} * 1000000000 + now.tv_nsec;
}

void LogPhaseAt(std::string_view phase, int64_t monotonic_ns) {
  if (!spdlog::should_log(spdlog::level::debug)) return;
  spdlog::debug("timeline {}: {} +{:.1f} ms", TimelineCommand(), phase,
                (monotonic_ns - kProcessStartNs) / 1e6);
}

void LogPhase(std::string_view phase) {
  if (!spdlog::should_log(spdlog::level::debug)) return;
  LogPhaseAt(phase, MonotonicNanos());
}

absl::Status SetupLogging(const LogOptions& options,
                          const LogContext& context) {
  if (!context.command.empty()) TimelineCommand() = context.command;
  if (options.format != "text" && options.format != "json") {
    return absl::InvalidArgumentError(
        fmt::format("--log-format: unknown format \"{}\" (want text or json)",
                    options.format));
  }
  ASSIGN_OR_RETURN(spdlog::sink_ptr main, MainSink(options));
  std::vector<spdlog::sink_ptr> sinks = {main};
  if (!options.debug_log.empty()) {
    ASSIGN_OR_RETURN(std::string path,
                     ExpandDebugLogPath(options.debug_log, context));
    ASSIGN_OR_RETURN(spdlog::sink_ptr debug, DebugSink(path));
    sinks.push_back(debug);
  }
  auto logger =
      std::make_shared<spdlog::logger>("runsc", sinks.begin(), sinks.end());
  // The logger passes what any sink wants; each sink keeps its own level.
  spdlog::level::level_enum level = spdlog::level::off;
  for (const spdlog::sink_ptr& sink : sinks)
    level = std::min(level, sink->level());
  logger->set_level(level);
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(logger);
  return absl::OkStatus();
}

}  // namespace platform
