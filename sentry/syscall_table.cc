#include "sentry/syscall_table.h"

#include <seccomp.h>

#include <algorithm>
#include <cerrno>
#include <unordered_map>

#include "fmt/format.h"
#include "fmt/ranges.h"
#include "sentry/broker_calls.h"
#include "sentry/emulation.h"
#include "sentry/syscall_table_rows.h"

namespace sentry {
namespace {

// Name and number indexes over SyscallTable().
struct Index {
  std::unordered_map<std::string_view, const SyscallEntry*> by_name;
  std::unordered_map<int, const SyscallEntry*> by_number;
};

const Index& TableIndex() {
  static const Index* const index = [] {
    auto* built = new Index;
    for (const SyscallEntry& entry : SyscallTable()) {
      built->by_name.emplace(entry.name, &entry);
      if (entry.number >= 0) built->by_number.emplace(entry.number, &entry);
    }
    return built;
  }();
  return *index;
}

// "brokered calls: bind, chmod, ..." or "emulated calls: ...": the rows of
// the table that have a `disposition` handler.
std::string HandledCalls(Disposition disposition) {
  std::vector<std::string_view> names;
  for (const SyscallEntry& entry : SyscallTable()) {
    if (HasHandler(entry, disposition)) names.push_back(entry.name);
  }
  std::sort(names.begin(), names.end());
  const char* what = disposition == Disposition::kBroker ? "brokered" : "emulated";
  return fmt::format("{} calls: {}", what, fmt::join(names, ", "));
}

absl::Status NoHandlerError(std::string_view name, Disposition disposition) {
  return absl::InvalidArgumentError(fmt::format("policy: syscall \"{}\": \"{}\" has no handler for {} ({})", name,
                                                DispositionName(disposition), name, HandledCalls(disposition)));
}

}  // namespace

const std::vector<SyscallEntry>& SyscallTable() {
  static const std::vector<SyscallEntry>* const table = [] {
    auto* rows = new std::vector<SyscallEntry>(internal::SyscallRows());
    for (SyscallEntry& entry : *rows) {
      entry.number = SyscallNumber(entry.name).value_or(-1);
      entry.broker = FindBrokerHandler(entry.name);
      entry.emulate = FindEmulateHandler(entry.name);
    }
    return rows;
  }();
  return *table;
}

const SyscallEntry* FindSyscall(std::string_view name) {
  auto it = TableIndex().by_name.find(name);
  return it == TableIndex().by_name.end() ? nullptr : it->second;
}

const SyscallEntry* FindSyscall(int number) {
  auto it = TableIndex().by_number.find(number);
  return it == TableIndex().by_number.end() ? nullptr : it->second;
}

std::optional<int> SyscallNumber(std::string_view name, uint32_t arch) {
  if (arch == 0) arch = seccomp_arch_native();
  const std::string terminated(name);
  // libseccomp answers negative pseudo numbers for syscalls the arch lacks.
  int number = seccomp_syscall_resolve_name_arch(arch, terminated.c_str());
  if (number >= 0) return number;
  if (arch == SCMP_ARCH_X86_64) return internal::NewerX86_64Number(name);
  return std::nullopt;
}

std::string SyscallName(int number) {
  const SyscallEntry* entry = FindSyscall(number);
  return entry != nullptr ? entry->name : fmt::format("syscall_{}", number);
}

bool HasHandler(const SyscallEntry& entry, Disposition disposition) {
  switch (disposition) {
    case Disposition::kBroker:
      return entry.broker != nullptr;
    case Disposition::kEmulate:
      return entry.emulate != nullptr;
    case Disposition::kPassthrough:
    case Disposition::kDeny:
      return true;
  }
  return false;
}

std::string_view DispositionName(Disposition disposition) {
  switch (disposition) {
    case Disposition::kPassthrough:
      return "passthrough";
    case Disposition::kBroker:
      return "broker";
    case Disposition::kEmulate:
      return "emulate";
    case Disposition::kDeny:
      return "deny";
  }
  return "unknown";
}

std::string_view SupportName(Support support) {
  switch (support) {
    case Support::kFull:
      return "full";
    case Support::kPartial:
      return "partial";
    case Support::kNone:
      return "none";
  }
  return "unknown";
}

std::optional<Disposition> ParseDisposition(std::string_view name) {
  for (Disposition d : {Disposition::kPassthrough, Disposition::kBroker, Disposition::kEmulate, Disposition::kDeny}) {
    if (DispositionName(d) == name) return d;
  }
  return std::nullopt;
}

Policy::Policy() = default;

Policy Policy::ForTesting(std::vector<SyscallEntry> entries) {
  Policy policy;
  policy.own_ = std::move(entries);
  return policy;
}

std::vector<SyscallEntry>& Policy::MutableEntries() {
  if (!own_) own_ = SyscallTable();
  return *own_;
}

absl::Status Policy::Override(std::string_view name, Disposition disposition, int errno_value) {
  const std::vector<SyscallEntry>& rows = entries();
  auto found = std::find_if(rows.begin(), rows.end(), [&](const SyscallEntry& e) { return e.name == name; });
  if (found == rows.end()) return absl::InvalidArgumentError(fmt::format("policy: unknown syscall \"{}\"", name));
  if (disposition == Disposition::kDeny && errno_value == 0) errno_value = EPERM;
  if (disposition != Disposition::kDeny && errno_value != 0) {
    return absl::InvalidArgumentError(fmt::format("policy: syscall \"{}\": an errno is only for deny", name));
  }
  if (errno_value < 0 || errno_value > 4095) {
    return absl::InvalidArgumentError(fmt::format("policy: syscall \"{}\": errno {} is out of range", name, errno_value));
  }
  if (!HasHandler(*found, disposition)) return NoHandlerError(name, disposition);
  const size_t index = static_cast<size_t>(found - rows.begin());
  SyscallEntry* it = &MutableEntries()[index];  // `rows` may be the table, not these rows
  it->disposition = disposition;
  it->errno_value = errno_value;
  it->rules.clear();
  it->conditions = "set by policy";
  if (disposition == Disposition::kDeny) {
    it->support = Support::kNone;
  } else if (it->support == Support::kNone) {
    it->support = Support::kFull;
  }
  return absl::OkStatus();
}

}  // namespace sentry
