// Internal to syscall_table.cc: the rows of the table and the numbers
// libseccomp 2.5.4 does not know yet.
#ifndef RUNSC_SENTRY_SYSCALL_TABLE_ROWS_H_
#define RUNSC_SENTRY_SYSCALL_TABLE_ROWS_H_

#include <optional>
#include <string_view>
#include <vector>

#include "sentry/syscall_table.h"

namespace sentry::internal {

// Every row, in x86_64 syscall-number order, numbers not yet resolved.
std::vector<SyscallEntry> SyscallRows();

// The x86_64 number of a syscall newer than libseccomp 2.5.4 (from the
// kernel's arch/x86/entry/syscalls/syscall_64.tbl), or nullopt.
std::optional<int> NewerX86_64Number(std::string_view name);

}  // namespace sentry::internal

#endif  // RUNSC_SENTRY_SYSCALL_TABLE_ROWS_H_
