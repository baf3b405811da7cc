// The handler table and what every request goes through around its handler.
#include <errno.h>

#include <optional>
#include <type_traits>

#include "gofer/server/handlers.h"
#include "gofer/server/resolve.h"
#include "nlohmann/json.hpp"
#include "spdlog/spdlog.h"

namespace gofer {
namespace {

using protocol::MessageType;
using protocol::RequestBody;
using Handler = Answer (*)(Call&, const RequestBody&);

template <typename Message, Answer (*Function)(Call&, const Message&)>
Answer Adapt(Call& call, const RequestBody& body) {
  return Function(call, std::get<Message>(body));
}

struct HandlerEntry {
  MessageType type;
  Handler handler;
};

constexpr HandlerEntry kHandlers[] = {
    {MessageType::kOpenat, Adapt<protocol::Openat, HandleOpenat>},
    {MessageType::kMkdirat, Adapt<protocol::Mkdirat, HandleMkdirat>},
    {MessageType::kMknodat, Adapt<protocol::Mknodat, HandleMknodat>},
    {MessageType::kUnlinkat, Adapt<protocol::Unlinkat, HandleUnlinkat>},
    {MessageType::kRenameat2, Adapt<protocol::Renameat2, HandleRenameat2>},
    {MessageType::kLinkat, Adapt<protocol::Linkat, HandleLinkat>},
    {MessageType::kSymlinkat, Adapt<protocol::Symlinkat, HandleSymlinkat>},
    {MessageType::kFchmodat, Adapt<protocol::Fchmodat, HandleFchmodat>},
    {MessageType::kFchownat, Adapt<protocol::Fchownat, HandleFchownat>},
    {MessageType::kUtimensat, Adapt<protocol::Utimensat, HandleUtimensat>},
    {MessageType::kTruncate, Adapt<protocol::Truncate, HandleTruncate>},
    {MessageType::kSetxattr, Adapt<protocol::Setxattr, HandleSetxattr>},
    {MessageType::kRemovexattr, Adapt<protocol::Removexattr, HandleRemovexattr>},
    {MessageType::kBindUnix, Adapt<protocol::BindUnix, HandleBindUnix>},
};

Handler FindHandler(MessageType type) {
  for (const HandlerEntry& entry : kHandlers) {
    if (entry.type == type) return entry.handler;
  }
  return nullptr;
}

// The Dirs of a request, in field order (the order of their fds).
std::vector<const protocol::Dir*> DirsOf(const RequestBody& body) {
  return std::visit(
      [](const auto& request) -> std::vector<const protocol::Dir*> {
        if constexpr (requires { request.old_dir; }) return {&request.old_dir, &request.new_dir};
        else if constexpr (requires { request.dir; }) return {&request.dir};
        else return {};
      },
      body);
}

std::optional<protocol::Creds> CredsOf(const RequestBody& body) {
  return std::visit(
      [](const auto& request) -> std::optional<protocol::Creds> {
        if constexpr (requires { request.creds; }) return request.creds;
        else return std::nullopt;
      },
      body);
}

}  // namespace

Answer FromReturn(long rc) { return rc < 0 ? Errno(errno) : Answer{}; }

Answer Perform(const ServerOptions& options, int root_fd, ThreadCreds& creds,
               protocol::Incoming<protocol::Request>& request, absl::Status& reset_status) {
  const RequestBody& body = request.message.body;
  Handler handler = FindHandler(protocol::TypeOf(body));
  std::optional<protocol::Creds> wire_creds = CredsOf(body);
  if (handler == nullptr || !wire_creds) return Errno(ENOSYS);  // the reader handles Hello
  Call call{options, root_fd, {}, {}};
  size_t next_fd = 0;
  for (const protocol::Dir* dir : DirsOf(body)) {
    int received = dir->kind == protocol::Dir::Kind::kFd ? request.fds.at(next_fd++).get() : -1;
    Opened start = OpenStart(root_fd, *dir, received);
    if (start.error != 0) return Errno(start.error);
    call.starts.push_back(std::move(start.fd));
  }
  call.received = std::move(request.fds);
  std::optional<protocol::Creds> caller = MapCreds(*wire_creds, options.id_maps);
  if (!caller) return Errno(EPERM);  // an id the gofer's namespace does not map
  CredsScope scope(creds, *caller, reset_status);
  if (scope.error() != 0) {
    spdlog::warn("gofer: taking the caller's credentials: {}", strerror(scope.error()));
    return Errno(EPERM);
  }
  return handler(call, body);
}

std::string AuditLine(const protocol::Request& request, int64_t result) {
  nlohmann::json line;
  line["call"] = protocol::MessageName(protocol::TypeOf(request.body));
  std::visit(
      [&line](const auto& r) {
        if constexpr (requires { r.old_path; }) {
          line["dir"] = r.old_dir.path;
          line["path"] = r.old_path;
          line["new_dir"] = r.new_dir.path;
          line["new_path"] = r.new_path;
        } else if constexpr (requires { r.path; }) {
          line["dir"] = r.dir.path;
          line["path"] = r.path;
        }
        if constexpr (requires { r.creds; }) line["uid"] = r.creds.fsuid;
      },
      request.body);
  line["result"] = result;
  // Paths are bytes, not necessarily UTF-8: invalid sequences are replaced.
  return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace gofer
