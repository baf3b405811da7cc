// HostProcess implementation.
#include "tests/host_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <sstream>

#include "fmt/format.h"
#include "tests/leftovers.h"

namespace runsc::testing {

HostProcess::HostProcess(const std::vector<std::string>& argv) {
  std::vector<char*> cargv;
  for (const std::string& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
  pid_ = fork();
  if (pid_ == 0) {
    setpgid(0, 0);
    dup2(null_fd, 0);
    dup2(null_fd, 1);
    dup2(null_fd, 2);
    execv(cargv[0], cargv.data());
    _exit(127);
  }
  if (pid_ > 0) setpgid(pid_, pid_);  // Either side may win the race; both set the same group.
  close(null_fd);
}

HostProcess::~HostProcess() {
  if (pid_ <= 0) return;
  kill(-pid_, SIGKILL);
  while (waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
  }
  ReapChildren();
}

std::vector<pid_t> HostProcess::Children() const {
  std::vector<pid_t> children;
  std::istringstream in(ReadFile(fmt::format("/proc/{}/task/{}/children", pid_, pid_)));
  pid_t child;
  while (in >> child) children.push_back(child);
  return children;
}

std::string NamespaceOf(pid_t pid, const std::string& ns) {
  std::error_code ec;
  std::filesystem::path target =
      std::filesystem::read_symlink(fmt::format("/proc/{}/ns/{}", pid, ns), ec);
  return ec ? "" : target.string();
}

}  // namespace runsc::testing
