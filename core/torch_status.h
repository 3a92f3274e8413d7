#ifndef JKOFLOW_CORE_TORCH_STATUS_H_
#define JKOFLOW_CORE_TORCH_STATUS_H_

// The edge of core/: LibTorch throws c10::Error; callers of core get a Status.

#include <c10/util/Exception.h>

#include <exception>
#include <new>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

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

// GuardTorch() runs `fn` (returning absl::Status or absl::StatusOr<T>) and
// converts any exception it throws into an error Status of the same type.
template <typename Fn>
auto GuardTorch(Fn&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const c10::Error& e) {
    return StatusFromTorchError(e);
  } catch (const std::bad_alloc&) {
    return absl::ResourceExhaustedError("out of host memory");
  } catch (const std::exception& e) {
    return absl::InternalError(e.what());
  }
}

}  // namespace jkoflow

#endif  // JKOFLOW_CORE_TORCH_STATUS_H_
