// Bounds-checked little-endian reading and writing of the protocol's
// payload fields. Reader and Writer have the same field methods, so each
// message's layout is written once (wire.cc) and used in both directions.
// Errors name the field: "<message>.<field>: <what>".
#ifndef RUNSC_GOFER_PROTOCOL_BYTE_IO_H_
#define RUNSC_GOFER_PROTOCOL_BYTE_IO_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"

namespace gofer::protocol {

// Reads fields from a span, never past its end. Not thread-safe.
class Reader {
 public:
  // `context` prefixes every error ("openat").
  Reader(absl::Span<const uint8_t> bytes, std::string context)
      : bytes_(bytes), context_(std::move(context)) {}

  absl::Status U8(std::string_view field, uint8_t& out);
  absl::Status U16(std::string_view field, uint16_t& out);
  absl::Status U32(std::string_view field, uint32_t& out);
  absl::Status U64(std::string_view field, uint64_t& out);
  absl::Status I64(std::string_view field, int64_t& out);
  // A u32 length then that many bytes; the length is checked against
  // `max_length` and the bytes left before anything is copied. Unless
  // `allow_nul`, a NUL byte is an error.
  absl::Status String(std::string_view field, std::string& out, size_t max_length,
                      bool allow_nul = false);
  // A u32 count then that many u32s, count <= max_count.
  absl::Status U32List(std::string_view field, std::vector<uint32_t>& out, size_t max_count);

  // InvalidArgument "<context>.<field>: <what>" if !condition.
  absl::Status Check(bool condition, std::string_view field, std::string_view what) const;
  // OK only if every byte was consumed.
  absl::Status Finish() const;

  size_t remaining() const { return bytes_.size() - offset_; }
  const std::string& context() const { return context_; }

 private:
  absl::Status Need(size_t count, std::string_view field) const;
  uint64_t Little(size_t width);

  absl::Span<const uint8_t> bytes_;
  size_t offset_ = 0;
  std::string context_;
};

// Appends fields to a byte vector, with the same checks as Reader.
class Writer {
 public:
  Writer(std::vector<uint8_t>& out, std::string context) : out_(out), context_(std::move(context)) {}

  absl::Status U8(std::string_view field, const uint8_t& value);
  absl::Status U16(std::string_view field, const uint16_t& value);
  absl::Status U32(std::string_view field, const uint32_t& value);
  absl::Status U64(std::string_view field, const uint64_t& value);
  absl::Status I64(std::string_view field, const int64_t& value);
  absl::Status String(std::string_view field, const std::string& value, size_t max_length,
                      bool allow_nul = false);
  absl::Status U32List(std::string_view field, const std::vector<uint32_t>& values,
                       size_t max_count);
  absl::Status Check(bool condition, std::string_view field, std::string_view what) const;
  const std::string& context() const { return context_; }

 private:
  void Little(uint64_t value, size_t width);

  std::vector<uint8_t>& out_;
  std::string context_;
};

// Little-endian helpers for the fixed header.
void PutLittle(uint8_t* at, uint64_t value, size_t width);
uint64_t GetLittle(const uint8_t* at, size_t width);

}  // namespace gofer::protocol

#endif  // RUNSC_GOFER_PROTOCOL_BYTE_IO_H_
