#include "gofer/protocol/byte_io.h"

#include <cstring>

#include "fmt/format.h"

namespace gofer::protocol {
namespace {

absl::Status FieldError(const std::string& context, std::string_view field, std::string_view what) {
  return absl::InvalidArgumentError(fmt::format("{}.{}: {}", context, field, what));
}

bool HasNul(const uint8_t* data, size_t size) { return memchr(data, 0, size) != nullptr; }

}  // namespace

void PutLittle(uint8_t* at, uint64_t value, size_t width) {
  for (size_t i = 0; i < width; ++i) at[i] = static_cast<uint8_t>(value >> (8 * i));
}

uint64_t GetLittle(const uint8_t* at, size_t width) {
  uint64_t value = 0;
  for (size_t i = 0; i < width; ++i) value |= uint64_t{at[i]} << (8 * i);
  return value;
}

// ---- Reader ----

absl::Status Reader::Need(size_t count, std::string_view field) const {
  if (count > remaining()) {
    return FieldError(context_, field,
                      fmt::format("truncated: needs {} bytes, {} left", count, remaining()));
  }
  return absl::OkStatus();
}

uint64_t Reader::Little(size_t width) {
  uint64_t value = GetLittle(bytes_.data() + offset_, width);
  offset_ += width;
  return value;
}

absl::Status Reader::U8(std::string_view field, uint8_t& out) {
  if (auto status = Need(1, field); !status.ok()) return status;
  out = static_cast<uint8_t>(Little(1));
  return absl::OkStatus();
}

absl::Status Reader::U16(std::string_view field, uint16_t& out) {
  if (auto status = Need(2, field); !status.ok()) return status;
  out = static_cast<uint16_t>(Little(2));
  return absl::OkStatus();
}

absl::Status Reader::U32(std::string_view field, uint32_t& out) {
  if (auto status = Need(4, field); !status.ok()) return status;
  out = static_cast<uint32_t>(Little(4));
  return absl::OkStatus();
}

absl::Status Reader::U64(std::string_view field, uint64_t& out) {
  if (auto status = Need(8, field); !status.ok()) return status;
  out = Little(8);
  return absl::OkStatus();
}

absl::Status Reader::I64(std::string_view field, int64_t& out) {
  uint64_t raw = 0;
  if (auto status = U64(field, raw); !status.ok()) return status;
  out = static_cast<int64_t>(raw);
  return absl::OkStatus();
}

absl::Status Reader::String(std::string_view field, std::string& out, size_t max_length,
                            bool allow_nul) {
  uint32_t length = 0;
  if (auto status = U32(field, length); !status.ok()) return status;
  if (length > max_length) {
    return FieldError(context_, field, fmt::format("length {} exceeds {}", length, max_length));
  }
  if (auto status = Need(length, field); !status.ok()) return status;
  const uint8_t* data = bytes_.data() + offset_;
  if (!allow_nul && HasNul(data, length)) return FieldError(context_, field, "contains a NUL byte");
  out.assign(reinterpret_cast<const char*>(data), length);
  offset_ += length;
  return absl::OkStatus();
}

absl::Status Reader::U32List(std::string_view field, std::vector<uint32_t>& out, size_t max_count) {
  uint32_t count = 0;
  if (auto status = U32(field, count); !status.ok()) return status;
  if (count > max_count) {
    return FieldError(context_, field, fmt::format("count {} exceeds {}", count, max_count));
  }
  // count <= max_count keeps count * 4 far from overflow.
  if (auto status = Need(size_t{count} * 4, field); !status.ok()) return status;
  out.resize(count);
  for (uint32_t& value : out) value = static_cast<uint32_t>(Little(4));
  return absl::OkStatus();
}

absl::Status Reader::Check(bool condition, std::string_view field, std::string_view what) const {
  return condition ? absl::OkStatus() : FieldError(context_, field, what);
}

absl::Status Reader::Finish() const {
  if (remaining() == 0) return absl::OkStatus();
  return absl::InvalidArgumentError(
      fmt::format("{}: {} trailing bytes after the last field", context_, remaining()));
}

// ---- Writer ----

void Writer::Little(uint64_t value, size_t width) {
  size_t at = out_.size();
  out_.resize(at + width);
  PutLittle(out_.data() + at, value, width);
}

absl::Status Writer::U8(std::string_view, const uint8_t& value) {
  Little(value, 1);
  return absl::OkStatus();
}

absl::Status Writer::U16(std::string_view, const uint16_t& value) {
  Little(value, 2);
  return absl::OkStatus();
}

absl::Status Writer::U32(std::string_view, const uint32_t& value) {
  Little(value, 4);
  return absl::OkStatus();
}

absl::Status Writer::U64(std::string_view, const uint64_t& value) {
  Little(value, 8);
  return absl::OkStatus();
}

absl::Status Writer::I64(std::string_view, const int64_t& value) {
  Little(static_cast<uint64_t>(value), 8);
  return absl::OkStatus();
}

absl::Status Writer::String(std::string_view field, const std::string& value, size_t max_length,
                            bool allow_nul) {
  if (value.size() > max_length) {
    return FieldError(context_, field, fmt::format("length {} exceeds {}", value.size(), max_length));
  }
  const auto* data = reinterpret_cast<const uint8_t*>(value.data());
  if (!allow_nul && HasNul(data, value.size())) {
    return FieldError(context_, field, "contains a NUL byte");
  }
  Little(value.size(), 4);
  out_.insert(out_.end(), data, data + value.size());
  return absl::OkStatus();
}

absl::Status Writer::U32List(std::string_view field, const std::vector<uint32_t>& values,
                             size_t max_count) {
  if (values.size() > max_count) {
    return FieldError(context_, field, fmt::format("count {} exceeds {}", values.size(), max_count));
  }
  Little(values.size(), 4);
  for (uint32_t value : values) Little(value, 4);
  return absl::OkStatus();
}

absl::Status Writer::Check(bool condition, std::string_view field, std::string_view what) const {
  return condition ? absl::OkStatus() : FieldError(context_, field, what);
}

}  // namespace gofer::protocol
