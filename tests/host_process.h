// HostProcess: a helper process on the host (e.g. `unshare ... sleep`) owned by one test.
#ifndef RUNSC_TESTS_HOST_PROCESS_H_
#define RUNSC_TESTS_HOST_PROCESS_H_

#include <sys/types.h>

#include <string>
#include <vector>

namespace runsc::testing {

// Runs argv in its own process group with stdio on /dev/null; the destructor SIGKILLs the whole
// group and reaps the leader (grandchildren are reparented to the subreaper test and reaped there).
class HostProcess {
 public:
  // Starts argv[0] (an absolute path) with `argv`.
  explicit HostProcess(const std::vector<std::string>& argv);
  ~HostProcess();
  HostProcess(const HostProcess&) = delete;
  HostProcess& operator=(const HostProcess&) = delete;

  // The helper's pid (-1 if fork failed).
  pid_t pid() const { return pid_; }
  // The pids of the helper's children (from /proc/<pid>/task/<pid>/children).
  std::vector<pid_t> Children() const;

 private:
  pid_t pid_ = -1;
};

// The target of /proc/<pid>/ns/<ns> (e.g. "uts:[4026531838]"), "" if unreadable.
std::string NamespaceOf(pid_t pid, const std::string& ns);

}  // namespace runsc::testing

#endif  // RUNSC_TESTS_HOST_PROCESS_H_
