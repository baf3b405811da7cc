#include "sentry/broker_paths.h"

#include <charconv>
#include <vector>

namespace sentry {
namespace {

// One component of a path and where the text after it starts.
struct Component {
  std::string_view name;
  size_t end = 0;  // offset just past the component
};

// The components of `path`, skipping empty and "." ones.
std::vector<Component> Split(std::string_view path) {
  std::vector<Component> out;
  size_t at = 0;
  while (at < path.size()) {
    size_t slash = path.find('/', at);
    size_t end = slash == std::string_view::npos ? path.size() : slash;
    std::string_view name = path.substr(at, end - at);
    if (!name.empty() && name != ".") out.push_back({name, end});
    at = end + 1;
  }
  return out;
}

// A decimal number as /proc accepts it (no sign, no leading zero), or -1.
int ProcNumber(std::string_view text) {
  if (text.empty() || (text.size() > 1 && text[0] == '0')) return -1;
  int value = -1;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < 0) return -1;
  return value;
}

// Consumes the /proc/<who>[/task/<tid>] prefix naming the caller; returns
// the index of the next component, or 0 when the prefix names someone else.
size_t SkipCallerPrefix(const std::vector<Component>& parts, CallerPids pids) {
  if (parts.size() < 2 || parts[0].name != "proc") return 0;
  const std::string_view who = parts[1].name;
  if (who == "thread-self") return 2;
  const int number = ProcNumber(who);
  const bool process = who == "self" || (number >= 0 && number == pids.tgid);
  if (!process) return number >= 0 && number == pids.tid ? 2 : 0;
  if (parts.size() >= 4 && parts[2].name == "task") {
    return ProcNumber(parts[3].name) == pids.tid && pids.tid > 0 ? 4 : 0;
  }
  return 2;
}

// The text after component `index` (without its leading slashes), or "".
std::string RestAfter(std::string_view path, const std::vector<Component>& parts, size_t index) {
  size_t from = parts[index].end;
  while (from < path.size() && path[from] == '/') ++from;
  return std::string(path.substr(from));
}

}  // namespace

std::string NormalizeLexically(std::string_view absolute) {
  std::vector<std::string_view> kept;
  for (const Component& part : Split(absolute)) {
    if (part.name == "..") {
      if (!kept.empty()) kept.pop_back();
    } else {
      kept.push_back(part.name);
    }
  }
  std::string out;
  for (std::string_view name : kept) {
    out += '/';
    out += name;
  }
  return out.empty() ? "/" : out;
}

std::string JoinLexically(std::string_view dir, std::string_view relative) {
  std::string joined(dir);
  joined += '/';
  joined += relative;
  return NormalizeLexically(joined);
}

namespace {

bool AtOrUnder(const std::string& normal, std::string_view top) {
  return normal == top || normal.starts_with(std::string(top) + "/");
}

}  // namespace

bool IsVirtualFileSystemPath(std::string_view absolute, const std::vector<std::string>& host_storage_under_dev) {
  const std::string normal = NormalizeLexically(absolute);
  for (const std::string& bind : host_storage_under_dev) {
    if (AtOrUnder(normal, bind)) return false;
  }
  for (std::string_view top : {"/proc", "/sys", "/dev"}) {
    if (AtOrUnder(normal, top)) return true;
  }
  return false;
}

std::optional<MagicLink> ParseMagicLink(std::string_view path, CallerPids pids) {
  if (path.empty() || path[0] != '/') return std::nullopt;
  const std::vector<Component> parts = Split(path);
  const size_t at = SkipCallerPrefix(parts, pids);
  if (at == 0 || at >= parts.size()) return std::nullopt;
  const std::string_view link = parts[at].name;
  if (link == "cwd" || link == "root") {
    return MagicLink{link == "cwd" ? MagicLink::Kind::kCwd : MagicLink::Kind::kRoot, -1, RestAfter(path, parts, at)};
  }
  if (link != "fd" || at + 1 >= parts.size()) return std::nullopt;
  const int fd = ProcNumber(parts[at + 1].name);
  if (fd < 0) return std::nullopt;
  return MagicLink{MagicLink::Kind::kFd, fd, RestAfter(path, parts, at + 1)};
}

}  // namespace sentry
