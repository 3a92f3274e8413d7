#ifndef JKOFLOW_CORE_TORCH_STATUS_H_
#define JKOFLOW_CORE_TORCH_STATUS_H_

// The edge of core/: LibTorch throws c10::Error; callers of core get a Status.

#include <c10/util/Exception.h>

#include <exception>
#include <new>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace jkoflow {

// StatusFromTorchError() turns a LibTorch error into a Status without its
// backtrace: RESOURCE_EXHAUSTED for out-of-memory, INTERNAL otherwise (core
// validates its inputs first, so what remains is our defect, not the caller's).
inline absl::Status StatusFromTorchError(const c10::Error& e) {
  const std::string message = e.what_without_backtrace();
  if (absl::StrContains(message, "out of memory")) {
    return absl::ResourceExhaustedError(message);
  }
  return absl::InternalError(absl::StrCat("libtorch: ", message));
}

// StatusFromCurrentException() converts the exception being handled (call
// it only inside a catch block) into an error Status: StatusFromTorchError()
// for LibTorch's, RESOURCE_EXHAUSTED for std::bad_alloc, INTERNAL for any
// other. A non-empty `where` prefixes the message ("where: ...").
inline absl::Status StatusFromCurrentException(absl::string_view where) {
  absl::Status status;
  try {
    throw;
  } catch (const c10::Error& e) {
    status = StatusFromTorchError(e);
  } catch (const std::bad_alloc&) {
    status = absl::ResourceExhaustedError("out of host memory");
  } catch (const std::exception& e) {
    status = absl::InternalError(e.what());
  } catch (...) {
    status = absl::InternalError("unknown exception");
  }
  if (where.empty()) return status;
  return absl::Status(status.code(),
                      absl::StrCat(where, ": ", status.message()));
}

// GuardTorch() runs `fn` (returning absl::Status or absl::StatusOr<T>) and
// converts any exception it throws into an error Status of the same type
// (StatusFromCurrentException(where)). The one exception edge of core/.
template <typename Fn>
auto GuardTorch(absl::string_view where, Fn&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (...) {
    return StatusFromCurrentException(where);
  }
}

template <typename Fn>
auto GuardTorch(Fn&& fn) -> decltype(fn()) {
  return GuardTorch(absl::string_view(), std::forward<Fn>(fn));
}

}  // namespace jkoflow

#endif  // JKOFLOW_CORE_TORCH_STATUS_H_
