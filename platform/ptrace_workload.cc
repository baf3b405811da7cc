// The ptrace platform's registration (refused until it is built).
#include "platform/platform_registration.h"

namespace platform {
namespace {

absl::Status CheckPtrace() { return absl::InvalidArgumentError("not implemented yet"); }

absl::StatusOr<std::unique_ptr<Platform>> CreatePtrace(int) { return CheckPtrace(); }

const WorkloadSide& NoSide() { static const WorkloadSide* none = nullptr; return *none; }

}  // namespace

const PlatformRegistration& PtraceRegistration() {
  static const PlatformRegistration registration{"ptrace", CheckPtrace, CreatePtrace, NoSide};
  return registration;
}

}  // namespace platform
