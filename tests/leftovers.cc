// Leftover probes, reading /proc and the cgroup mounts directly.
#include "tests/leftovers.h"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "fmt/format.h"

namespace runsc::testing {
namespace {

namespace fs = std::filesystem;

// True if `path` is `dir` or lies below it.
bool IsUnder(const std::string& path, const std::string& dir) {
  return path == dir || (path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 &&
                         path[dir.size()] == '/');
}

// readlink() of `path`, "" on failure.
std::string Link(const fs::path& path) {
  std::error_code ec;
  fs::path target = fs::read_symlink(path, ec);
  return ec ? "" : target.string();
}

// True if the process dir `proc` (e.g. /proc/123) refers to anything under `dir`.
bool UsesDir(const fs::path& proc, const std::string& dir) {
  for (const char* link : {"root", "cwd", "exe"}) {
    if (IsUnder(Link(proc / link), dir)) return true;
  }
  std::error_code ec;
  for (const auto& fd : fs::directory_iterator(proc / "fd", ec)) {
    if (IsUnder(Link(fd.path()), dir)) return true;
  }
  return false;
}

// The NUL-separated arguments of process `pid`, without zombies' (empty) command lines.
std::vector<std::string> CmdlineOf(const std::string& pid) {
  std::vector<std::string> args;
  std::string text = ReadFile(fmt::format("/proc/{}/cmdline", pid));
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\0', start);
    if (end == std::string::npos) end = text.size();
    args.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return args;
}

// Pids (but ours) of live processes whose arguments satisfy `match`.
std::vector<int> ProcessesMatching(const std::function<bool(const std::vector<std::string>&)>& match) {
  std::vector<int> found;
  std::string self = std::to_string(getpid());
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/proc", ec)) {
    std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos || name == self) continue;
    if (match(CmdlineOf(name)) && ProcessAlive(std::stoi(name))) found.push_back(std::stoi(name));
  }
  return found;
}

// Field `index` (1-based, as in proc(5)) of /proc/<pid>/stat, or -1.
long StatField(int pid, int index) {
  std::string stat = ReadFile(fmt::format("/proc/{}/stat", pid));
  size_t paren = stat.rfind(')');
  if (paren == std::string::npos) return -1;
  std::istringstream fields(stat.substr(paren + 2));
  std::string field;
  for (int i = 3; i <= index; ++i) {
    if (!(fields >> field)) return -1;
  }
  return std::stol(field);
}

}  // namespace

std::vector<int> ProcessesWithArgs(const std::vector<std::string>& args) {
  return ProcessesMatching([&](const std::vector<std::string>& cmdline) {
    return std::search(cmdline.begin(), cmdline.end(), args.begin(), args.end()) != cmdline.end();
  });
}

std::vector<int> ProcessesWithArgPrefix(const std::string& prefix) {
  return ProcessesMatching([&](const std::vector<std::string>& cmdline) {
    return std::any_of(cmdline.begin(), cmdline.end(),
                       [&](const std::string& arg) { return arg.rfind(prefix, 0) == 0; });
  });
}

int ParentPid(int pid) { return static_cast<int>(StatField(pid, 4)); }

int SessionId(int pid) { return static_cast<int>(StatField(pid, 6)); }

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string> ProcessesUsing(const std::string& dir) {
  std::vector<std::string> found;
  std::string self = std::to_string(getpid());
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/proc", ec)) {
    std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos || name == self) continue;
    if (UsesDir(entry.path(), dir)) {
      std::string comm = ReadFile(entry.path().string() + "/comm");
      if (!comm.empty() && comm.back() == '\n') comm.pop_back();
      found.push_back(fmt::format("{} {}", name, comm));
    }
  }
  return found;
}

std::vector<std::string> MountsUnder(const std::string& dir) {
  std::vector<std::string> found;
  std::istringstream in(ReadFile("/proc/self/mountinfo"));
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string id, parent, devno, root, mount_point;
    fields >> id >> parent >> devno >> root >> mount_point;
    if (IsUnder(mount_point, dir)) found.push_back(line);
  }
  return found;
}

std::vector<std::string> CgroupDirs(const std::string& cgroup_path) {
  std::vector<std::string> found;
  std::istringstream in(ReadFile("/proc/self/mountinfo"));
  std::string line;
  while (std::getline(in, line)) {
    size_t sep = line.find(" - ");
    if (sep == std::string::npos) continue;
    std::istringstream tail(line.substr(sep + 3));
    std::string fstype;
    tail >> fstype;
    if (fstype != "cgroup" && fstype != "cgroup2") continue;
    std::istringstream fields(line);
    std::string id, parent, devno, root, mount_point;
    fields >> id >> parent >> devno >> root >> mount_point;
    std::string candidate = mount_point + cgroup_path;
    std::error_code ec;
    if (fs::is_directory(candidate, ec)) found.push_back(candidate);
  }
  return found;
}

std::vector<std::string> DirEntries(const std::string& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    names.push_back(entry.path().filename().string());
  }
  return names;
}

void ReapChildren() {
  while (waitpid(-1, nullptr, WNOHANG) > 0) {
  }
}

bool WaitUntil(const std::function<bool()>& done, std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return done();
    ReapChildren();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

bool ProcessAlive(int pid) {
  std::string stat = ReadFile(fmt::format("/proc/{}/stat", pid));
  if (stat.empty()) return false;
  size_t paren = stat.rfind(')');
  return paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] != 'Z' &&
         stat[paren + 2] != 'X';
}

}  // namespace runsc::testing
