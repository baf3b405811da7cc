#include "platform/errors.h"

#include <errno.h>
#include <string.h>

#include <string>

#include "fmt/format.h"
#include "platform/status_macros.h"

// Note: Debian's Abseil has its own absl::string_view (not std::string_view),
// so messages are built with fmt rather than absl::StrCat.
namespace platform {

absl::Status ErrnoError(int err, std::string_view what) {
  const char* description = strerrordesc_np(err);
  std::string message =
      fmt::format("{}: {}", what, description != nullptr ? description : "unknown error");
  return absl::Status(absl::ErrnoToStatus(err, "").code(), message);
}

absl::Status LastError(std::string_view what) { return ErrnoError(errno, what); }

absl::Status Annotate(const absl::Status& status, std::string_view context) {
  if (status.ok()) return status;
  return absl::Status(status.code(),
                      fmt::format("{}: {}", context, std::string(status.message())));
}

}  // namespace platform
