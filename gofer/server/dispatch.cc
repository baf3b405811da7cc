// The handler table and what every request goes through around its handler.
#include <errno.h>
#include <fcntl.h>

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
    {MessageType::kFaccessat, Adapt<protocol::Faccessat, HandleFaccessat>},
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

// The wire credentials a request runs with (Faccessat's depend on its flags).
std::optional<protocol::Creds> CredsOf(const RequestBody& body, const IdMaps& maps) {
  return std::visit(
      [&maps](const auto& request) -> std::optional<protocol::Creds> {
        if constexpr (std::is_same_v<std::decay_t<decltype(request)>, protocol::Faccessat>) {
          return AccessCheckCreds(request, maps);
        } else if constexpr (requires { request.creds; }) {
          return request.creds;
        } else {
          return std::nullopt;
        }
      },
      body);
}

}  // namespace

Answer FromReturn(long rc) { return rc < 0 ? Errno(errno) : Answer{}; }

platform::UniqueFd StartFd::Take() {
  if (owned_.valid()) return std::move(owned_);
  return platform::UniqueFd(fcntl(fd_, F_DUPFD_CLOEXEC, 0));
}

namespace {

// Opens the gofer's own fds for the request's Dirs into `call.starts`;
// 0 or the errno to answer.
int OpenStarts(Call& call, const RequestBody& body, const std::vector<platform::UniqueFd>& received) {
  call.starts.clear();
  size_t next_fd = 0;
  for (const protocol::Dir* dir : DirsOf(body)) {
    if (dir->kind == protocol::Dir::Kind::kRoot) {
      call.starts.push_back(StartFd::Borrowed(call.root_fd));
      continue;
    }
    Opened start = OpenStart(call.root_fd, *dir, received.at(next_fd++).get(), StartOpenFlags(body));
    if (start.error != 0) return start.error;
    call.starts.push_back(StartFd::Owned(std::move(start.fd)));
  }
  return 0;
}

// Takes the caller's credentials; on failure the thread goes back to its
// own (Outcome.status says whether it could) and the caller gets EPERM.
bool TakeCaller(ThreadCreds& creds, const protocol::Creds& caller, Outcome& outcome) {
  int err = creds.Take(caller);
  if (err == 0) return true;
  spdlog::warn("gofer: taking the caller's credentials: {}", strerror(err));
  outcome.status = creds.Reset();
  outcome.answer = Errno(EPERM);
  return false;
}

Outcome Answered(Answer answer) {
  Outcome outcome;
  outcome.answer = std::move(answer);
  return outcome;
}

}  // namespace

Outcome Perform(const ServerOptions& options, int root_fd, ThreadCreds& creds,
                protocol::Incoming<protocol::Request>& request) {
  const RequestBody& body = request.message.body;
  Handler handler = FindHandler(protocol::TypeOf(body));
  std::optional<protocol::Creds> wire_creds = CredsOf(body, options.id_maps);
  if (handler == nullptr || !wire_creds) return Answered(Errno(ENOSYS));  // the reader handles Hello
  std::optional<protocol::Creds> caller = MapCreds(*wire_creds, options.id_maps);
  if (!caller) return Answered(Errno(EPERM));  // an id the gofer's namespace does not map
  Outcome outcome;
  if (!TakeCaller(creds, *caller, outcome)) return outcome;
  Call call{options, root_fd, {}, {}};
  int err = OpenStarts(call, body, request.fds);
  if (err != 0) {
    // With the gofer's own credentials, as a native call needs none to
    // start at its cwd or dirfd; then the caller's again for the call.
    outcome.status = creds.Reset();
    if (!outcome.status.ok()) {
      outcome.answer = Errno(EIO);
      return outcome;
    }
    err = OpenStarts(call, body, request.fds);
    if (err != 0) return Answered(Errno(err));
    if (!TakeCaller(creds, *caller, outcome)) return outcome;
  }
  call.received = std::move(request.fds);
  outcome.answer = handler(call, body);
  outcome.moved_cwd = call.moved_cwd;
  return outcome;
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
