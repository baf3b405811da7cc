#include "platform/logging.h"

#include <time.h>

#include <memory>
#include <mutex>

#include "fmt/format.h"
#include "nlohmann/json.hpp"
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
  explicit JsonFileSink(const std::string& path) { file_.open(path, /*truncate=*/false); }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    std::string line = JsonLogLine(LogrusLevel(msg.level),
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

absl::Status SetupLogging(const LogOptions& options) {
  if (options.format != "text" && options.format != "json") {
    return absl::InvalidArgumentError(
        fmt::format("--log-format: unknown format \"{}\" (want text or json)", options.format));
  }
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
    return absl::InvalidArgumentError(fmt::format("--log {}: {}", options.path, error.what()));
  }
  auto logger = std::make_shared<spdlog::logger>("runsc", sink);
  if (options.format == "text") logger->set_pattern("%Y-%m-%dT%H:%M:%S.%f%z %l [%P] %v");
  // Without --log, stderr carries only the CLI's own one-line errors and
  // warnings, unless --debug asks for more.
  spdlog::level::level_enum level = options.debug ? spdlog::level::debug
                                    : options.path.empty() ? spdlog::level::warn
                                                           : spdlog::level::info;
  logger->set_level(level);
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(logger);
  return absl::OkStatus();
}

}  // namespace platform
