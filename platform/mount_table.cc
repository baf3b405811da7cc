#include "platform/mount_table.h"

#include <fcntl.h>
#include <unistd.h>

#include <map>
#include <sstream>

#include "fmt/format.h"
#include "platform/errors.h"
#include "platform/unique_fd.h"

namespace platform {
namespace {

std::string Unescape(const std::string& field) {
  std::string out;
  for (size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '\\' && i + 3 < field.size()) {
      out += static_cast<char>(std::stoi(field.substr(i + 1, 3), nullptr, 8));
      i += 3;
    } else {
      out += field[i];
    }
  }
  return out;
}

bool AtOrUnder(const std::string& mount_point, const std::string& path) {
  if (path == "/" || mount_point == path) return true;
  return mount_point.size() > path.size() && mount_point.compare(0, path.size(), path) == 0 &&
         mount_point[path.size()] == '/';
}

}  // namespace

bool MountEntry::read_only() const {
  std::istringstream in(mount_options);
  for (std::string option; std::getline(in, option, ',');) {
    if (option == "ro") return true;
  }
  return false;
}

std::vector<MountEntry> ParseMountTable(std::istream& text) {
  std::vector<MountEntry> mounts;
  for (std::string line; std::getline(text, line);) {
    std::istringstream in(line);
    std::vector<std::string> fields;
    for (std::string field; in >> field;) fields.push_back(field);
    size_t dash = 6;
    while (dash < fields.size() && fields[dash] != "-") ++dash;
    if (dash + 3 >= fields.size()) continue;
    mounts.push_back({Unescape(fields[3]), Unescape(fields[4]), fields[5], fields[dash + 1], fields[dash + 3]});
  }
  return mounts;
}

absl::StatusOr<std::vector<MountEntry>> ReadMountTable(int proc_fd, const std::string& dir) {
  const std::string path = dir + "/mountinfo";
  UniqueFd fd(openat(proc_fd, path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return LastError(fmt::format("opening {}", path));
  std::string text;
  char buffer[8192];
  ssize_t n;
  while ((n = read(fd.get(), buffer, sizeof(buffer))) > 0) text.append(buffer, static_cast<size_t>(n));
  if (n < 0) return LastError(fmt::format("reading {}", path));
  std::istringstream in(text);
  return ParseMountTable(in);
}

std::vector<MountEntry> VisibleMountsUnder(const std::vector<MountEntry>& table, const std::string& path) {
  std::map<std::string, size_t> last;  // mount point -> index of its top mount
  for (size_t i = 0; i < table.size(); ++i) {
    if (AtOrUnder(table[i].mount_point, path)) last[table[i].mount_point] = i;
  }
  std::vector<MountEntry> visible;
  for (size_t i = 0; i < table.size(); ++i) {
    auto top = last.find(table[i].mount_point);
    if (top != last.end() && top->second == i) visible.push_back(table[i]);
  }
  return visible;
}

}  // namespace platform
