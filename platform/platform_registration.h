// How a platform registers itself (internal to platform/): the one entry
// platform.cc's registry lists for it.
#ifndef RUNSC_PLATFORM_PLATFORM_REGISTRATION_H_
#define RUNSC_PLATFORM_PLATFORM_REGISTRATION_H_

#include <memory>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "platform/platform.h"

namespace platform {

// One platform: its name, whether this kernel can run it, and its two sides.
struct PlatformRegistration {
  std::string_view name;
  // OK when this kernel has what the platform needs; else FailedPrecondition
  // naming it (CheckPlatform adds the "--platform <name>" prefix).
  absl::Status (*check)();
  // The sentry's side.
  absl::StatusOr<std::unique_ptr<Platform>> (*create)();
  // The workload's side (a static instance).
  const WorkloadSide& (*workload_side)();
};

// Defined in each platform's own files.
const PlatformRegistration& SeccompNotifyRegistration();
const PlatformRegistration& PtraceRegistration();

}  // namespace platform

#endif  // RUNSC_PLATFORM_PLATFORM_REGISTRATION_H_
