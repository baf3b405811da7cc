// Status helpers. Debian's Abseil (20220623) has no status macros, so the
// project keeps its own here, in one place.
#ifndef RUNSC_PLATFORM_STATUS_MACROS_H_
#define RUNSC_PLATFORM_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define RUNSC_CONCAT_INNER_(a, b) a##b
#define RUNSC_CONCAT_(a, b) RUNSC_CONCAT_INNER_(a, b)

// Returns `expr` from the current function if it is not OK.
#define RETURN_IF_ERROR(expr)                        \
  do {                                               \
    ::absl::Status runsc_status_ = (expr);           \
    if (!runsc_status_.ok()) return runsc_status_;   \
  } while (0)

// `ASSIGN_OR_RETURN(auto x, MaybeX());` declares `x` from an OK StatusOr or
// returns its error status.
#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL_(RUNSC_CONCAT_(runsc_statusor_, __LINE__), lhs, expr)
#define ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                           \
  if (!tmp.ok()) return std::move(tmp).status(); \
  lhs = std::move(tmp).value()

namespace platform {

// Returns `status` with `context: ` prefixed to its message (same code).
absl::Status Annotate(const absl::Status& status, std::string_view context);

// Like Annotate, for StatusOr.
template <typename T>
absl::StatusOr<T> Annotate(absl::StatusOr<T> value, std::string_view context) {
  if (value.ok()) return value;
  return Annotate(value.status(), context);
}

}  // namespace platform

// Returns `expr` annotated with `context` if it is not OK.
#define RETURN_IF_ERROR_CTX(expr, context)                               \
  do {                                                                   \
    ::absl::Status runsc_status_ = (expr);                               \
    if (!runsc_status_.ok())                                             \
      return ::platform::Annotate(runsc_status_, (context));             \
  } while (0)

#endif  // RUNSC_PLATFORM_STATUS_MACROS_H_
