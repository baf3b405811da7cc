#include "platform/sync_channel.h"

#include <errno.h>
#include <unistd.h>

#include <string>

#include "fmt/format.h"
#include "platform/errors.h"

namespace platform {
namespace {

absl::Status WriteAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t written = write(fd, data, size);
    if (written < 0 && errno == EINTR) continue;
    if (written < 0) return LastError("writing to the sync channel");
    data += written;
    size -= written;
  }
  return absl::OkStatus();
}

// Reads exactly `size` bytes; returns false on EOF before the first byte.
absl::StatusOr<bool> ReadAll(int fd, char* data, size_t size) {
  size_t done = 0;
  while (done < size) {
    ssize_t got = read(fd, data + done, size - done);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return LastError("reading from the sync channel");
    if (got == 0) {
      if (done == 0) return false;
      return absl::DataLossError("sync channel: truncated message");
    }
    done += got;
  }
  return true;
}

}  // namespace

absl::Status SendMessage(int fd, const nlohmann::json& message) {
  std::string text = message.dump();
  if (text.size() > kMaxSyncMessage) return absl::InvalidArgumentError("sync message too large");
  uint32_t size = text.size();
  char header[4] = {char(size), char(size >> 8), char(size >> 16), char(size >> 24)};
  if (absl::Status status = WriteAll(fd, header, 4); !status.ok()) return status;
  return WriteAll(fd, text.data(), text.size());
}

absl::StatusOr<nlohmann::json> ReceiveMessage(int fd) {
  unsigned char header[4];
  absl::StatusOr<bool> got = ReadAll(fd, reinterpret_cast<char*>(header), 4);
  if (!got.ok()) return got.status();
  if (!*got) return absl::UnavailableError("peer closed the sync channel");
  uint32_t size = header[0] | header[1] << 8 | header[2] << 16 | uint32_t(header[3]) << 24;
  if (size > kMaxSyncMessage) return absl::DataLossError(fmt::format("sync message of {} bytes refused", size));
  std::string text(size, '\0');
  got = ReadAll(fd, text.data(), size);
  if (!got.ok()) return got.status();
  if (!*got && size > 0) return absl::DataLossError("sync channel: truncated message");
  nlohmann::json message = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (message.is_discarded()) return absl::DataLossError("sync channel: malformed message");
  return message;
}

}  // namespace platform
