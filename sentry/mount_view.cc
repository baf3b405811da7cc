#include "sentry/mount_view.h"

#include <fcntl.h>
#include <unistd.h>

#include <charconv>

#include "fmt/format.h"
#include "platform/errors.h"
#include "platform/status_macros.h"
#include "platform/unique_fd.h"

namespace sentry {
namespace {

// The fields of one line, split on single spaces (the kernel escapes spaces
// inside a field as \040).
std::vector<std::string_view> Fields(std::string_view line) {
  std::vector<std::string_view> fields;
  size_t start = 0;
  while (start <= line.size()) {
    size_t end = line.find(' ', start);
    if (end == std::string_view::npos) end = line.size();
    fields.push_back(line.substr(start, end - start));
    start = end + 1;
  }
  return fields;
}

// `text` cut into lines, each without its '\n'.
std::vector<std::string_view> Lines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    size_t end = text.find('\n');
    lines.push_back(text.substr(0, end));
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return lines;
}

std::optional<uint64_t> MountId(std::string_view line) {
  std::vector<std::string_view> fields = Fields(line);
  uint64_t id = 0;
  auto [end, error] = std::from_chars(fields[0].data(),
                                      fields[0].data() + fields[0].size(), id);
  if (error != std::errc() || end != fields[0].data() + fields[0].size())
    return std::nullopt;
  return id;
}

// A path as the kernel writes it in a mount table (mangle(): space, tab,
// newline and backslash as \ooo).
std::string Escaped(std::string_view path) {
  std::string out;
  for (char c : path) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\\') {
      out += fmt::format("\\{:03o}", static_cast<unsigned char>(c));
    } else {
      out += c;
    }
  }
  return out;
}

bool SaysReadOnly(std::string_view options) {
  return options == "ro" || options.starts_with("ro,");
}

// `line` with the options field `index` (which says "ro") turned to "rw".
std::string WithWritableField(std::string_view line, size_t index) {
  std::vector<std::string_view> fields = Fields(line);
  const size_t offset = static_cast<size_t>(fields[index].data() - line.data());
  std::string out(line);
  out[offset + 1] = 'w';
  return out;
}

// Rewrites each line of `text` with `rewrite(index, line)`, keeping the
// line ends as they were.
template <typename Rewrite>
std::string EachLine(std::string_view text, Rewrite rewrite) {
  std::string out;
  out.reserve(text.size());
  std::vector<std::string_view> lines = Lines(text);
  for (size_t i = 0; i < lines.size(); ++i) {
    out += rewrite(i, lines[i]);
    if (lines[i].data() + lines[i].size() < text.data() + text.size())
      out += '\n';
  }
  return out;
}

}  // namespace

std::set<uint64_t> WritableMountIds(
    std::string_view mountinfo, const std::vector<std::string>& destinations) {
  std::set<uint64_t> ids;
  for (const std::string& destination : destinations) {
    const std::string escaped = Escaped(destination);
    std::optional<uint64_t> last;
    for (std::string_view line : Lines(mountinfo)) {
      std::vector<std::string_view> fields = Fields(line);
      if (fields.size() < 6 || fields[4] != escaped || !SaysReadOnly(fields[5]))
        continue;
      if (std::optional<uint64_t> id = MountId(line)) last = id;
    }
    if (last) ids.insert(*last);
  }
  return ids;
}

std::string ShowMountinfoWritable(std::string_view mountinfo,
                                  const std::set<uint64_t>& ids) {
  return EachLine(mountinfo, [&](size_t, std::string_view line) {
    std::vector<std::string_view> fields = Fields(line);
    std::optional<uint64_t> id = MountId(line);
    if (fields.size() < 6 || !id || !ids.contains(*id) ||
        !SaysReadOnly(fields[5]))
      return std::string(line);
    return WithWritableField(line, 5);
  });
}

std::string ShowMountsWritable(std::string_view mounts,
                               std::string_view mountinfo,
                               const std::set<uint64_t>& ids) {
  const std::vector<std::string_view> info_lines = Lines(mountinfo);
  return EachLine(mounts, [&](size_t index, std::string_view line) {
    std::vector<std::string_view> fields = Fields(line);
    if (index >= info_lines.size() || fields.size() < 4 ||
        !SaysReadOnly(fields[3]))
      return std::string(line);
    std::vector<std::string_view> info = Fields(info_lines[index]);
    std::optional<uint64_t> id = MountId(info_lines[index]);
    if (info.size() < 6 || info[4] != fields[1] || !id || !ids.contains(*id))
      return std::string(line);
    return WithWritableField(line, 3);
  });
}

absl::StatusOr<std::set<uint64_t>> WritableMounts::Ids(
    pid_t tid, platform::RemoteMemory& memory) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (ids_) return *ids_;
  }
  ASSIGN_OR_RETURN(std::string mountinfo,
                   ReadProcText(fmt::format("/proc/{}/mountinfo", tid)));
  RETURN_IF_ERROR(memory.CheckLive());
  std::set<uint64_t> ids = WritableMountIds(mountinfo, destinations_);
  std::lock_guard<std::mutex> lock(mutex_);
  if (!ids_) ids_ = std::move(ids);
  return *ids_;
}

absl::StatusOr<std::string> ReadProcText(const std::string& path) {
  platform::UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return platform::LastError(fmt::format("opening {}", path));
  std::string text;
  char buffer[8192];
  while (true) {
    ssize_t n = read(fd.get(), buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return platform::LastError(fmt::format("reading {}", path));
    if (n == 0) return text;
    text.append(buffer, static_cast<size_t>(n));
    if (text.size() > (16u << 20))
      return absl::DataLossError(fmt::format("{} is too large", path));
  }
}

}  // namespace sentry
