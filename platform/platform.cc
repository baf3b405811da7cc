#include "platform/platform.h"

#include <string.h>

#include <utility>

#include "fmt/format.h"
#include "platform/seccomp_notify.h"
#include "platform/status_macros.h"

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
      return name != nullptr ? fmt::format("error {}", name) : fmt::format("error {}", error_);
    }
    case Kind::kInjectFd:
      return fmt::format("inject fd {}{}", fd_.get(), cloexec_ ? " (cloexec)" : "");
    case Kind::kContinue:
      return "continue";
  }
  return "?";
}

RemoteMemory::~RemoteMemory() = default;
CallHandler::~CallHandler() = default;
Platform::~Platform() = default;

absl::StatusOr<std::unique_ptr<Platform>> CreatePlatform(std::string_view name, int handler_threads) {
  if (name == "seccomp-notify") {
    RETURN_IF_ERROR_CTX(DetectNotifyFeatures().status(), "--platform seccomp-notify");
    SeccompNotifyOptions options;
    options.workers = handler_threads;
    ASSIGN_OR_RETURN(std::unique_ptr<SeccompNotifyPlatform> platform,
                     Annotate(SeccompNotifyPlatform::Create(options), "--platform seccomp-notify"));
    return std::unique_ptr<Platform>(std::move(platform));
  }
  if (name == "ptrace") {
    return absl::InvalidArgumentError("--platform ptrace: not implemented yet");
  }
  return absl::InvalidArgumentError(
      fmt::format("--platform \"{}\": unknown platform (known: seccomp-notify, ptrace)", name));
}

}  // namespace platform
