// syscalls: the syscall table, which is the compatibility list.
#include <iostream>

#include "platform/status_macros.h"
#include "runsc/commands.h"
#include "sentry/syscall_table.h"
#include "sentry/syscall_table_format.h"

namespace runsc {

absl::StatusOr<int> SyscallsCommand(const std::string& format) {
  ASSIGN_OR_RETURN(sentry::TableFormat parsed, sentry::ParseTableFormat(format));
  std::cout << sentry::FormatSyscallTable(sentry::Policy(), parsed) << std::flush;
  return 0;
}

}  // namespace runsc
