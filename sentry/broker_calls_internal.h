// Internal to broker_calls*.cc: helpers shared by the argument parsers.
#ifndef RUNSC_SENTRY_BROKER_CALLS_INTERNAL_H_
#define RUNSC_SENTRY_BROKER_CALLS_INTERNAL_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "sentry/broker_calls.h"

namespace sentry::broker_internal {

using Args = std::array<uint64_t, 6>;

// The low 32 bits of a register, as the kernel reads an int argument.
inline int Int(uint64_t reg) { return static_cast<int>(static_cast<uint32_t>(reg)); }
inline uint32_t U32(uint64_t reg) { return static_cast<uint32_t>(reg); }

// A RemoteMemory failure as the workload's errno (gone calls stay gone).
absl::Status MemoryFailure(const absl::Status& status);

// A NUL-terminated path, read once: ENAMETOOLONG past kMaxPathLength bytes.
absl::StatusOr<std::string> ReadPath(platform::RemoteMemory& memory, uint64_t addr);

// `len` bytes at `addr`, read once.
absl::Status ReadBytes(platform::RemoteMemory& memory, uint64_t addr, void* out, size_t len);

// An extensible struct (copy_struct_from_user): EINVAL below `known` bytes,
// E2BIG above a page or when bytes past `known` are not zero.
absl::StatusOr<std::string> ReadExtensibleStruct(platform::RemoteMemory& memory, uint64_t addr, uint64_t size,
                                                 size_t known);

inline ParsedCall Answer(platform::CallResult result) { return ParsedCall(std::move(result)); }

// A call on one path; `make(creds, operand)` builds the request body.
template <typename Make>
ParsedCall OnePath(PathOperand operand, Make make) {
  BrokeredCall call;
  call.operands.push_back(std::move(operand));
  call.make = [make](const gofer::protocol::Creds& creds, const std::vector<ResolvedOperand>& ops) {
    return gofer::protocol::RequestBody(make(creds, ops[0]));
  };
  return ParsedCall(std::move(call));
}

// `flags` with AT_EMPTY_PATH when a magic link was sent as its directory.
inline uint32_t WithEmptyPath(uint32_t flags, const ResolvedOperand& op) {
  return op.empty_path_added ? flags | AT_EMPTY_PATH : flags;
}

// The handlers of the chmod, chown, utimes, truncate and xattr families, of
// bind and of file_setattr (broker_calls_attrs.cc).
std::vector<BrokerHandler> AttributeHandlers();

}  // namespace sentry::broker_internal

#endif  // RUNSC_SENTRY_BROKER_CALLS_INTERNAL_H_
