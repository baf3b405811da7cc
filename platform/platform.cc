#include "platform/platform.h"

#include <string.h>

#include <utility>

#include "fmt/format.h"
#include "platform/platform_registration.h"
#include "platform/status_macros.h"
#include "platform/sync_channel.h"
#include "platform/unix_socket.h"

namespace platform {

CallResult CallResult::Value(int64_t v) {
  CallResult result(Kind::kValue);
  result.value_ = v;
  return result;
}

CallResult CallResult::Error(int err) {
  CallResult result(Kind::kError);
  result.error_ = err;
  return result;
}

CallResult CallResult::InjectFd(UniqueFd fd, bool cloexec) {
  CallResult result(Kind::kInjectFd);
  result.fd_ = std::move(fd);
  result.cloexec_ = cloexec;
  return result;
}

CallResult CallResult::Continue() { return CallResult(Kind::kContinue); }

std::string CallResult::DebugString() const {
  switch (kind_) {
    case Kind::kValue:
      return fmt::format("value {}", value_);
    case Kind::kError: {
      const char* name = strerrorname_np(error_);
      return name != nullptr ? fmt::format("error {}", name)
                             : fmt::format("error {}", error_);
    }
    case Kind::kInjectFd:
      return fmt::format("inject fd {}{}", fd_.get(),
                         cloexec_ ? " (cloexec)" : "");
    case Kind::kContinue:
      return "continue";
  }
  return "?";
}

RemoteMemory::~RemoteMemory() = default;
CallHandler::~CallHandler() = default;
Platform::~Platform() = default;
WorkloadSide::~WorkloadSide() = default;

namespace {

// The registry: one line per platform, the default first.
const PlatformRegistration* const kPlatforms[] = {
    &SeccompNotifyRegistration(),
    &PtraceRegistration(),
};

absl::StatusOr<const PlatformRegistration*> Find(std::string_view name) {
  for (const PlatformRegistration* platform : kPlatforms) {
    if (platform->name == name) return platform;
  }
  return absl::InvalidArgumentError(
      fmt::format("--platform \"{}\": unknown platform (known: {})", name,
                  KnownPlatforms()));
}

}  // namespace

absl::Status SendAttach(int channel, int fd) {
  RETURN_IF_ERROR(SendMessage(channel, {{"op", std::string(kAttachOp)}}));
  return SendFd(channel, fd, "attach");
}

std::string KnownPlatforms() {
  std::string names;
  for (const PlatformRegistration* platform : kPlatforms) {
    if (!names.empty()) names += ", ";
    names += platform->name;
  }
  return names;
}

absl::Status CheckPlatform(std::string_view name) {
  ASSIGN_OR_RETURN(const PlatformRegistration* platform, Find(name));
  return Annotate(platform->check(), fmt::format("--platform {}", name));
}

absl::StatusOr<const WorkloadSide*> WorkloadSideOf(std::string_view name) {
  ASSIGN_OR_RETURN(const PlatformRegistration* platform, Find(name));
  RETURN_IF_ERROR(
      platform->check());  // a platform not built yet has no workload side
  return &platform->workload_side();
}

absl::StatusOr<std::unique_ptr<Platform>> CreatePlatform(std::string_view name) {
  RETURN_IF_ERROR(CheckPlatform(name));
  ASSIGN_OR_RETURN(const PlatformRegistration* platform, Find(name));
  return Annotate(platform->create(),
                  fmt::format("--platform {}", name));
}

}  // namespace platform
