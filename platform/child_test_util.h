// Test-only helpers: run a check in a forked child inside fresh namespaces so
// mounts and credential changes never touch the test process or the host.
#ifndef RUNSC_PLATFORM_CHILD_TEST_UTIL_H_
#define RUNSC_PLATFORM_CHILD_TEST_UTIL_H_

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "fmt/format.h"
#include "gtest/gtest.h"
#include "platform/status_matchers.h"

namespace platform::testing {

// Fails the child's check (returns its message) when `cond` is false.
#define CHILD_EXPECT(cond)                                                                    \
  do {                                                                                        \
    if (!(cond)) {                                                                            \
      return fmt::format("{}:{}: expected {} (errno: {})", __FILE__, __LINE__, #cond,         \
                         strerror(errno));                                                    \
    }                                                                                         \
  } while (0)

// Fails the child's check when the Status/StatusOr `expr` is not OK.
#define CHILD_EXPECT_OK(expr)                                                                 \
  do {                                                                                        \
    const auto& child_status_ = (expr);                                                       \
    if (!::platform::testing::GetStatus(child_status_).ok()) {                                \
      return fmt::format("{}:{}: {} failed: {}", __FILE__, __LINE__, #expr,                  \
                         ::platform::testing::GetStatus(child_status_).ToString());           \
    }                                                                                         \
  } while (0)

// Forks; the child unshares `namespaces` (a private mount namespace at least
// when CLONE_NEWNS is given), runs `body` and reports its result over a pipe.
// Returns "" when the body returned "" and the child exited cleanly.
inline std::string RunInChild(const std::function<std::string()>& body,
                              int namespaces = CLONE_NEWNS) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return "pipe failed";
  pid_t pid = fork();
  if (pid < 0) return "fork failed";
  if (pid == 0) {
    close(fds[0]);
    std::string result;
    if (unshare(namespaces) != 0) {
      result = fmt::format("unshare: {}", strerror(errno));
    } else if ((namespaces & CLONE_NEWNS) &&
               mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
      result = fmt::format("making / private: {}", strerror(errno));
    } else {
      result = body();
    }
    if (write(fds[1], result.data(), result.size()) < 0) _exit(3);
    _exit(result.empty() ? 0 : 1);
  }
  close(fds[1]);
  std::string message;
  char buffer[4096];
  for (ssize_t n; (n = read(fds[0], buffer, sizeof(buffer))) > 0;) message.append(buffer, n);
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (message.empty() && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
    message = fmt::format("child failed with wait status {}", status);
  }
  return message;
}

// RunInChild, reporting a non-empty result as a test failure.
inline void ExpectInChild(const std::function<std::string()>& body, int namespaces = CLONE_NEWNS) {
  std::string message = RunInChild(body, namespaces);
  if (!message.empty()) ADD_FAILURE() << message;
}

// The whole content of `path`, or nullopt.
inline std::optional<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream file(path);
  if (!file) return std::nullopt;
  std::stringstream content;
  content << file.rdbuf();
  return content.str();
}

// One /proc/self/mountinfo line, split.
struct MountEntry {
  std::string root, mount_point, options, optional_fields, fs_type, source, super_options;
};

// The mount entries of the calling process, top-most last.
inline std::vector<MountEntry> ReadMounts() {
  std::vector<MountEntry> mounts;
  std::ifstream file("/proc/self/mountinfo");
  for (std::string line; std::getline(file, line);) {
    std::istringstream in(line);
    std::vector<std::string> f;
    for (std::string field; in >> field;) f.push_back(field);
    if (f.size() < 10) continue;
    MountEntry entry{f[3], f[4], f[5], "", "", "", ""};
    size_t i = 6;
    for (; i < f.size() && f[i] != "-"; ++i) entry.optional_fields += f[i] + " ";
    if (i + 3 >= f.size()) continue;
    entry.fs_type = f[i + 1];
    entry.source = f[i + 2];
    entry.super_options = f[i + 3];
    mounts.push_back(entry);
  }
  return mounts;
}

// The top-most mount at `mount_point`, or nullopt.
inline std::optional<MountEntry> FindMount(const std::string& mount_point) {
  std::optional<MountEntry> found;
  for (const MountEntry& entry : ReadMounts()) {
    if (entry.mount_point == mount_point) found = entry;
  }
  return found;
}

// True when the comma-separated `options` contain `option`.
inline bool HasOption(const std::string& options, const std::string& option) {
  return ("," + options + ",").find("," + option + ",") != std::string::npos;
}

}  // namespace platform::testing

#endif  // RUNSC_PLATFORM_CHILD_TEST_UTIL_H_
