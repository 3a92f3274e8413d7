#ifndef JKOFLOW_BASE_STATUS_MACROS_H_
#define JKOFLOW_BASE_STATUS_MACROS_H_

// Abseil 20220623 has no RETURN_IF_ERROR / ASSIGN_OR_RETURN: these are ours.

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define JKOFLOW_CONCAT_INNER_(a, b) a##b
#define JKOFLOW_CONCAT_(a, b) JKOFLOW_CONCAT_INNER_(a, b)

// RETURN_IF_ERROR(expr) returns the status of `expr` from the enclosing
// function when it is not OK.
#define RETURN_IF_ERROR(expr)                          \
  do {                                                 \
    const ::absl::Status jkoflow_status_ = (expr);     \
    if (!jkoflow_status_.ok()) return jkoflow_status_; \
  } while (false)

#define JKOFLOW_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                   \
  if (!tmp.ok()) return tmp.status();                  \
  lhs = std::move(tmp).value()

// ASSIGN_OR_RETURN(lhs, expr) evaluates the StatusOr `expr`; on error it
// returns the status, otherwise it moves the value into `lhs` (which may be a
// declaration such as `auto x`).
#define ASSIGN_OR_RETURN(lhs, expr)                                            \
  JKOFLOW_ASSIGN_OR_RETURN_IMPL_(JKOFLOW_CONCAT_(jkoflow_statusor_, __LINE__), \
                                 lhs, expr)

#endif  // JKOFLOW_BASE_STATUS_MACROS_H_
