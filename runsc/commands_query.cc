// state, list, ps.
#include <pwd.h>
#include <stdio.h>
#include <sys/wait.h>

#include <algorithm>
#include <iostream>
#include <set>
#include <sstream>

#include "fmt/format.h"
#include "platform/cgroups.h"
#include "platform/errors.h"
#include "platform/status_macros.h"
#include "runsc/commands.h"
#include "runsc/container.h"

namespace runsc {
namespace {

struct Listed {
  ContainerState state;
  Status status;
};

absl::StatusOr<Listed> LoadWithStatus(const StateStore& store, const std::string& id) {
  ASSIGN_OR_RETURN(ContainerDir dir, store.Open(id));
  ASSIGN_OR_RETURN(ContainerState state, dir.Load());
  return Listed{state, dir.DeriveStatus(state)};
}

std::string OwnerName(uint32_t uid) {
  struct passwd* entry = getpwuid(uid);
  return entry != nullptr ? entry->pw_name : std::to_string(uid);
}

// Left-aligned columns separated by at least two spaces (Go's tabwriter as
// runc list uses it).
void PrintTable(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths;
  for (const auto& row : rows) {
    widths.resize(std::max(widths.size(), row.size()));
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] - row[i].size() + 3, ' ');
    }
    std::cout << line << "\n";
  }
}

absl::StatusOr<std::string> RunAndCapture(const std::vector<std::string>& argv) {
  std::string command;
  for (const std::string& arg : argv) {
    std::string quoted = "'";
    for (char c : arg) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
    command += quoted + "' ";
  }
  FILE* pipe = popen(command.c_str(), "re");
  if (pipe == nullptr) return platform::LastError("running ps");
  std::string output;
  char buffer[4096];
  size_t got;
  while ((got = fread(buffer, 1, sizeof(buffer), pipe)) > 0) output.append(buffer, got);
  int status = pclose(pipe);
  if (status != 0) {
    return absl::InternalError(fmt::format("ps exited with status {}: {}", WEXITSTATUS(status), output));
  }
  return output;
}

}  // namespace

absl::StatusOr<int> StateCommand(const GlobalOptions& global, const std::string& id) {
  ASSIGN_OR_RETURN(Listed listed, LoadWithStatus(StateStore(global.root), id));
  std::cout << OciStateJson(listed.state, listed.status).dump(2) << "\n";
  return 0;
}

absl::StatusOr<int> ListCommand(const GlobalOptions& global, const std::string& format, bool quiet) {
  if (format != "table" && format != "json") {
    return absl::InvalidArgumentError(fmt::format("--format: invalid format \"{}\" (want table or json)", format));
  }
  StateStore store(global.root);
  ASSIGN_OR_RETURN(std::vector<std::string> ids, store.List());
  std::vector<Listed> containers;
  for (const std::string& id : ids) {
    absl::StatusOr<Listed> listed = LoadWithStatus(store, id);
    if (listed.ok()) containers.push_back(*listed);  // deleted meanwhile: skip
  }
  if (quiet) {
    for (const Listed& listed : containers) std::cout << listed.state.id << "\n";
    return 0;
  }
  if (format == "json") {
    nlohmann::json array = nlohmann::json::array();
    for (const Listed& listed : containers) {
      nlohmann::json entry = OciStateJson(listed.state, listed.status);
      entry["owner"] = OwnerName(listed.state.owner_uid);
      array.push_back(entry);
    }
    std::cout << array.dump() << "\n";
    return 0;
  }
  std::vector<std::vector<std::string>> rows = {{"ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"}};
  for (const Listed& listed : containers) {
    pid_t pid = listed.status == Status::kStopped ? 0 : listed.state.pid;
    rows.push_back({listed.state.id, std::to_string(pid), StatusName(listed.status), listed.state.bundle,
                    listed.state.created, OwnerName(listed.state.owner_uid)});
  }
  PrintTable(rows);
  return 0;
}

absl::StatusOr<int> PsCommand(const GlobalOptions& global, const std::string& id, const std::string& format,
                              const std::vector<std::string>& ps_args) {
  if (format != "table" && format != "json") {
    return absl::InvalidArgumentError(fmt::format("--format: invalid format \"{}\" (want table or json)", format));
  }
  ASSIGN_OR_RETURN(Listed listed, LoadWithStatus(StateStore(global.root), id));
  // The workload only (`docker top`): the sandbox's processes share the
  // container's cgroup but are the runtime's, not the container's.
  ASSIGN_OR_RETURN(CgroupProcesses processes,
                   ListCgroupProcesses(global.root, listed.state));
  const std::vector<pid_t>& pids = processes.workload;
  if (format == "json") {
    std::cout << nlohmann::json(pids).dump() << "\n";
    return 0;
  }
  std::vector<std::string> argv = {"ps"};
  if (ps_args.empty()) {
    argv.push_back("-ef");
  } else {
    argv.insert(argv.end(), ps_args.begin(), ps_args.end());
  }
  ASSIGN_OR_RETURN(std::string output, RunAndCapture(argv));
  std::istringstream lines(output);
  std::string header;
  std::getline(lines, header);
  std::istringstream header_words(header);
  int pid_column = -1, column = 0;
  for (std::string word; header_words >> word; ++column) {
    if (word == "PID") pid_column = column;
  }
  if (pid_column < 0) return absl::InvalidArgumentError("ps output has no PID column");
  std::set<pid_t> wanted(pids.begin(), pids.end());
  std::cout << header << "\n";
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::string word;
    for (int i = 0; i <= pid_column; ++i) words >> word;
    if (wanted.count(std::atoi(word.c_str()))) std::cout << line << "\n";
  }
  return 0;
}

}  // namespace runsc
