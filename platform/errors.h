// Turning errno into absl::Status.
#ifndef RUNSC_PLATFORM_ERRORS_H_
#define RUNSC_PLATFORM_ERRORS_H_

#include <string_view>

#include "absl/status/status.h"

namespace platform {

// Status for a failed system call: "<what>: <strerror(err)>", code mapped
// from errno (ENOENT -> NotFound, EEXIST -> AlreadyExists, ...).
absl::Status ErrnoError(int err, std::string_view what);

// ErrnoError with the current errno.
absl::Status LastError(std::string_view what);

}  // namespace platform

#endif  // RUNSC_PLATFORM_ERRORS_H_
