// The syscall table as text: `runsc syscalls` and docs/syscalls.md.
#ifndef RUNSC_SENTRY_SYSCALL_TABLE_FORMAT_H_
#define RUNSC_SENTRY_SYSCALL_TABLE_FORMAT_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "sentry/syscall_table.h"

namespace sentry {

// The output formats of `runsc syscalls --format`.
enum class TableFormat { kTable, kCsv, kJson, kMarkdown };

// "table", "csv", "json" or "markdown". Error: InvalidArgument naming the
// formats.
absl::StatusOr<TableFormat> ParseTableFormat(std::string_view name);

// The symbolic name of `errno_value` ("EPERM"), "" for 0.
std::string ErrnoName(int errno_value);

// `policy`'s rows with the columns name, number, disposition, errno,
// support, conditions and note. kMarkdown is a whole page (docs/syscalls.md).
std::string FormatSyscallTable(const Policy& policy, TableFormat format);

}  // namespace sentry

#endif  // RUNSC_SENTRY_SYSCALL_TABLE_FORMAT_H_
