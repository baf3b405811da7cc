// Probes for what a container can leave behind on the host: processes, mounts, cgroups.
#ifndef RUNSC_TESTS_LEFTOVERS_H_
#define RUNSC_TESTS_LEFTOVERS_H_

#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace runsc::testing {

// "pid comm" of every process (but us) whose root, cwd, exe or an open fd lies under `dir`.
std::vector<std::string> ProcessesUsing(const std::string& dir);

// Lines of /proc/self/mountinfo whose mount point lies under `dir`.
std::vector<std::string> MountsUnder(const std::string& dir);

// The directories named `cgroup_path` that exist under any cgroup (v1 or v2) mount of the host.
std::vector<std::string> CgroupDirs(const std::string& cgroup_path);

// The names in directory `dir` (empty if it does not exist).
std::vector<std::string> DirEntries(const std::string& dir);

// Reaps every exited child of this process without blocking.
void ReapChildren();

// Polls `done` every 20ms until it returns true or `limit` passes; returns its last answer.
bool WaitUntil(const std::function<bool()>& done,
               std::chrono::milliseconds limit = std::chrono::seconds(10));

// True if the process `pid` exists and is not a zombie.
bool ProcessAlive(int pid);

// Pids (but ours) whose command line contains `args` as consecutive arguments.
std::vector<int> ProcessesWithArgs(const std::vector<std::string>& args);

// Pids (but ours) whose command line has an argument starting with `prefix`.
std::vector<int> ProcessesWithArgPrefix(const std::string& prefix);

// The parent pid of `pid` from /proc/<pid>/stat (-1 if it is gone).
int ParentPid(int pid);

// The session id of `pid` from /proc/<pid>/stat (-1 if it is gone).
int SessionId(int pid);

// Reads a whole file ("" if it cannot be read).
std::string ReadFile(const std::string& path);

}  // namespace runsc::testing

#endif  // RUNSC_TESTS_LEFTOVERS_H_
