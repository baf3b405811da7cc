// install / uninstall: runsc as a Docker runtime in /etc/docker/daemon.json.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/status/status.h"
#include "fmt/format.h"
#include "nlohmann/json.hpp"
#include "platform/status_macros.h"
#include "runsc/commands.h"
#include "runsc/install.h"

namespace runsc {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// The daemon configuration as read: its JSON and the bytes it came from.
struct LoadedConfig {
  json document = json::object();
  bool exists = false;
  std::string text;
  mode_t mode = 0644;
};

// "line L, column C" of byte offset `byte` (1-based, as nlohmann counts it) in `text`.
std::string Position(const std::string& text, size_t byte) {
  size_t line = 1, column = 1;
  for (size_t i = 0; i + 1 < byte && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return fmt::format("line {}, column {}", line, column);
}

absl::StatusOr<LoadedConfig> LoadConfig(const std::string& path) {
  LoadedConfig loaded;
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return loaded;
    return absl::FailedPreconditionError(fmt::format("reading {}: {}", path, strerror(errno)));
  }
  if (!S_ISREG(st.st_mode)) return absl::FailedPreconditionError(fmt::format("{} is not a regular file", path));
  loaded.mode = st.st_mode & 07777;
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::FailedPreconditionError(fmt::format("reading {}: {}", path, strerror(errno)));
  std::stringstream buffer;
  buffer << in.rdbuf();
  loaded.text = buffer.str();
  loaded.exists = true;
  if (loaded.text.find_first_not_of(" \t\r\n") == std::string::npos) return loaded;
  try {
    loaded.document = json::parse(loaded.text);
  } catch (const json::parse_error& error) {
    // what() is "[json.exception.parse_error.101] parse error at line L, column C: <why>".
    std::string why = error.what();
    if (size_t column = why.find("column "); column != std::string::npos) {
      if (size_t colon = why.find(": ", column); colon != std::string::npos) why = why.substr(colon + 2);
    }
    return absl::InvalidArgumentError(fmt::format("{} is not valid JSON: {}: {} (fix it or move it away first)",
                                                  path, Position(loaded.text, error.byte), why));
  }
  if (!loaded.document.is_object()) {
    return absl::InvalidArgumentError(fmt::format("{}: the top level is a JSON {}, not an object", path,
                                                  loaded.document.type_name()));
  }
  if (loaded.document.contains("runtimes") && !loaded.document["runtimes"].is_object()) {
    return absl::InvalidArgumentError(fmt::format("{}: \"runtimes\" is a JSON {}, not an object", path,
                                                  loaded.document["runtimes"].type_name()));
  }
  return loaded;
}

// True if a backup of `path` made by us already exists beside it.
bool HasBackup(const fs::path& path) {
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(path.parent_path(), error)) {
    if (entry.path().filename().string().rfind(path.filename().string() + ".bak-", 0) == 0) return true;
  }
  return false;
}

std::string UtcTimestamp() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char text[32];
  std::strftime(text, sizeof(text), "%Y%m%dT%H%M%SZ", &tm);
  return text;
}

// Writes `text` to `path` through a temporary file in the same directory and a rename.
absl::Status WriteAtomically(const std::string& path, const std::string& text, mode_t mode) {
  std::string temp = fmt::format("{}.tmp-{}", path, getpid());
  int fd = open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return absl::FailedPreconditionError(fmt::format("creating {}: {}", temp, strerror(errno)));
  fchmod(fd, mode);  // not narrowed by the umask
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int saved = errno;
      close(fd);
      unlink(temp.c_str());
      return absl::InternalError(fmt::format("writing {}: {}", temp, strerror(saved)));
    }
    done += n;
  }
  if (fsync(fd) != 0 || close(fd) != 0) {
    unlink(temp.c_str());
    return absl::InternalError(fmt::format("flushing {}: {}", temp, strerror(errno)));
  }
  if (rename(temp.c_str(), path.c_str()) != 0) {
    int saved = errno;
    unlink(temp.c_str());
    return absl::InternalError(fmt::format("renaming {} to {}: {}", temp, path, strerror(saved)));
  }
  return absl::OkStatus();
}

// Backs up (once) and replaces the file if `document` differs from what was loaded.
absl::StatusOr<InstallOutcome> Store(const std::string& path, const LoadedConfig& loaded, const json& document) {
  InstallOutcome outcome;
  std::string text = document.dump(4) + "\n";
  if (loaded.exists && loaded.document == document && !loaded.text.empty()) return outcome;
  std::error_code error;
  fs::path parent = fs::path(path).parent_path();
  if (!parent.empty()) fs::create_directories(parent, error);
  if (loaded.exists && !loaded.text.empty() && !HasBackup(path)) {
    outcome.backup_path = fmt::format("{}.bak-{}", path, UtcTimestamp());
    RETURN_IF_ERROR(WriteAtomically(outcome.backup_path, loaded.text, loaded.mode));
  }
  RETURN_IF_ERROR(WriteAtomically(path, text, loaded.mode));
  outcome.changed = true;
  return outcome;
}

absl::StatusOr<std::string> SelfPath() {
  std::error_code error;
  fs::path self = fs::read_symlink("/proc/self/exe", error);
  if (error) return absl::InternalError(fmt::format("reading /proc/self/exe: {}", error.message()));
  return self.string();
}

void ReportOutcome(const std::string& path, const InstallOutcome& outcome, const std::string& what) {
  if (!outcome.backup_path.empty()) std::cout << "backed up " << path << " to " << outcome.backup_path << "\n";
  if (!outcome.changed) {
    std::cout << path << ": " << what << " already; nothing changed\n";
    return;
  }
  std::cout << path << ": " << what << "\n"
            << "reload Docker to apply: systemctl reload docker (or: kill -HUP $(pidof dockerd))\n";
}

}  // namespace

absl::StatusOr<InstallOutcome> InstallRuntime(const std::string& config_path, const std::string& name,
                                              const std::string& binary,
                                              const std::vector<std::string>& runtime_args) {
  if (name.empty()) return absl::InvalidArgumentError("the runtime name is empty");
  if (binary.empty() || binary[0] != '/') {
    return absl::InvalidArgumentError(fmt::format("the runtime path \"{}\" is not absolute", binary));
  }
  ASSIGN_OR_RETURN(LoadedConfig loaded, LoadConfig(config_path));
  json document = loaded.document;
  json entry = {{"path", binary}};
  if (!runtime_args.empty()) entry["runtimeArgs"] = runtime_args;
  document["runtimes"][name] = entry;
  return Store(config_path, loaded, document);
}

absl::StatusOr<InstallOutcome> UninstallRuntime(const std::string& config_path, const std::string& name) {
  ASSIGN_OR_RETURN(LoadedConfig loaded, LoadConfig(config_path));
  json document = loaded.document;
  if (!document.contains("runtimes") || !document["runtimes"].contains(name)) return InstallOutcome{};
  document["runtimes"].erase(name);
  if (document["runtimes"].empty()) document.erase("runtimes");
  return Store(config_path, loaded, document);
}

absl::StatusOr<int> InstallCommand(const InstallOptions& options) {
  ASSIGN_OR_RETURN(std::string self, SelfPath());
  ASSIGN_OR_RETURN(InstallOutcome outcome,
                   platform::Annotate(InstallRuntime(options.config, options.runtime, self, options.runtime_args),
                                      "install"));
  ReportOutcome(options.config, outcome, fmt::format("runtime \"{}\" is {}", options.runtime, self));
  return 0;
}

absl::StatusOr<int> UninstallCommand(const InstallOptions& options) {
  ASSIGN_OR_RETURN(InstallOutcome outcome,
                   platform::Annotate(UninstallRuntime(options.config, options.runtime), "uninstall"));
  if (!outcome.changed) {
    std::cout << options.config << ": runtime \"" << options.runtime << "\" is not registered; nothing changed\n";
    return 0;
  }
  ReportOutcome(options.config, outcome, fmt::format("removed runtime \"{}\"", options.runtime));
  return 0;
}

}  // namespace runsc
