// Test-only: a forked "workload" process that sets itself up, then waits
// until the test is done with it.
#ifndef RUNSC_SENTRY_CALLER_TEST_UTIL_H_
#define RUNSC_SENTRY_CALLER_TEST_UTIL_H_

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <functional>
#include <string>

#include "gtest/gtest.h"

namespace sentry::testing {

// Runs `setup` in a forked child, which then blocks until Release() or
// destruction. `setup` returns "" or what went wrong.
class WaitingChild {
 public:
  explicit WaitingChild(const std::function<std::string()>& setup) {
    int ready[2], hold[2];
    if (pipe2(ready, O_CLOEXEC) != 0 || pipe2(hold, O_CLOEXEC) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      close(ready[0]);
      close(hold[1]);
      // Out of the way of the fds `setup` may dup2 to (5, 6, 7, ...).
      int hold_fd = fcntl(hold[0], F_DUPFD_CLOEXEC, 200);
      int ready_fd = fcntl(ready[1], F_DUPFD_CLOEXEC, 200);
      close(hold[0]);
      close(ready[1]);
      std::string failure = setup();
      std::string report = failure.empty() ? "ok" : failure;
      if (write(ready_fd, report.data(), report.size()) < 0) _exit(2);
      close(ready_fd);
      char byte;
      while (read(hold_fd, &byte, 1) > 0) {
      }
      _exit(0);
    }
    close(ready[1]);
    close(hold[0]);
    hold_ = hold[1];
    char buffer[512];
    ssize_t n = read(ready[0], buffer, sizeof(buffer));
    close(ready[0]);
    report_ = n > 0 ? std::string(buffer, n) : "the child died";
  }
  ~WaitingChild() { Release(); }
  // "ok", or what the setup reported.
  const std::string& report() const { return report_; }
  pid_t pid() const { return pid_; }
  void Release() {
    if (hold_ >= 0) close(hold_);
    hold_ = -1;
    if (pid_ > 0) waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

 private:
  pid_t pid_ = -1;
  int hold_ = -1;
  std::string report_;
};

}  // namespace sentry::testing

#endif  // RUNSC_SENTRY_CALLER_TEST_UTIL_H_
