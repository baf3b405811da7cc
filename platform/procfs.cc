#include "platform/procfs.h"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "fmt/format.h"
#include "platform/errors.h"

namespace platform {

absl::StatusOr<ProcessStat> ReadProcessStat(pid_t pid) {
  std::string path = fmt::format("/proc/{}/stat", pid);
  std::ifstream file(path);
  if (!file) return ErrnoError(errno, fmt::format("reading {}", path));
  std::string line;
  std::getline(file, line);
  // The command name (field 2) is in parentheses and may itself contain
  // spaces or ')': parse from the LAST ')'.
  size_t paren = line.rfind(')');
  if (paren == std::string::npos || paren + 2 >= line.size()) {
    return absl::DataLossError(fmt::format("{}: malformed", path));
  }
  std::istringstream rest(line.substr(paren + 2));
  ProcessStat stat;
  rest >> stat.state;
  // Fields 4..21 precede starttime (22); we are positioned after field 3.
  std::string skipped;
  for (int field = 4; field <= 21; ++field) rest >> skipped;
  rest >> stat.start_time;
  if (!rest) return absl::DataLossError(fmt::format("{}: malformed", path));
  return stat;
}

bool IsSameLiveProcess(pid_t pid, uint64_t start_time) {
  if (pid <= 0) return false;
  absl::StatusOr<ProcessStat> stat = ReadProcessStat(pid);
  return stat.ok() && stat->state != 'Z' && stat->state != 'X' && stat->start_time == start_time;
}

}  // namespace platform
