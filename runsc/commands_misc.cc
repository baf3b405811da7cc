// spec, features.
#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <iostream>

#include "fmt/format.h"
#include "platform/errors.h"
#include "runsc/commands.h"
#include "runsc/spec.h"

namespace runsc {

absl::StatusOr<int> SpecCommand(const std::string& bundle, bool rootless) {
  std::string dir = bundle.empty() ? "." : bundle;
  std::string path = dir + "/config.json";
  // O_EXCL: never overwrite a config the user has (runc refuses too).
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0 && errno == EEXIST) {
    return absl::AlreadyExistsError(fmt::format("file {} exists: remove it first", path));
  }
  if (fd < 0) return platform::LastError(fmt::format("creating {}", path));
  std::string text = DefaultSpec(rootless).dump(1, '\t') + "\n";
  ssize_t written = write(fd, text.data(), text.size());
  close(fd);
  if (written != static_cast<ssize_t>(text.size())) return platform::LastError(fmt::format("writing {}", path));
  return 0;
}

absl::StatusOr<int> FeaturesCommand() {
  std::cout << FeaturesDocument().dump(4) << "\n";
  return 0;
}

}  // namespace runsc
