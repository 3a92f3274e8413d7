#include "core/compute_setup.h"

#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <c10/util/Exception.h>

#include <algorithm>

namespace jkoflow {

void SetUpCompute(int threads) {
  threads = std::max(1, threads);
  at::set_num_threads(threads);
  // The inter-op pool can be sized once only, before its first use; when
  // it already runs, it keeps its size.
  if (at::get_num_interop_threads() != threads) {
    try {
      at::set_num_interop_threads(threads);
    } catch (const c10::Error&) {
    }
  }
  at::globalContext().setFlushDenormal(true);
}

}  // namespace jkoflow
