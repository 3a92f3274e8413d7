#ifndef JKOFLOW_CORE_ROW_CHUNKS_H_
#define JKOFLOW_CORE_ROW_CHUNKS_H_

#include <torch/types.h>

#include <cstdint>
#include <functional>
#include <vector>

#include "absl/status/statusor.h"
#include "core/rk4.h"

namespace jkoflow {

// Rows per chunk of the chunked inference path: small enough that a chunk's
// activations ([rows, width] floats) stay in a core's L2 cache, large enough
// that the per-operation overhead of LibTorch stays small.
inline constexpr int64_t kInferenceChunkRows = 512;

// RowsFn computes the outputs for some rows of the inputs (each [rows, ...]);
// every output must have one row per input row. `stop` is safe to call from
// any thread.
using RowsFn = std::function<absl::StatusOr<std::vector<torch::Tensor>>(
    const std::vector<torch::Tensor>& rows, const StopCheck& stop)>;

// MapRowChunks() evaluates `fn` on consecutive chunks of at most `chunk_rows`
// rows of `inputs` (all with the same number of rows) and concatenates each
// output along rows. On the CPU the chunks run in parallel over the intra-op
// threads, each chunk on one thread (BLAS included) with its working set in
// cache, in equal chunks, a multiple of the thread count of them; otherwise,
// or when there is only one chunk, `fn` sees all rows at once. The split
// depends only on the row count and the thread count, so results are
// deterministic for a given thread count.
// `stop` (may be null) is serialised across threads; the first error of any
// chunk stops the others at their next check and is returned.
absl::StatusOr<std::vector<torch::Tensor>> MapRowChunks(
    const std::vector<torch::Tensor>& inputs, int64_t chunk_rows,
    const StopCheck& stop, const RowsFn& fn);

}  // namespace jkoflow

#endif  // JKOFLOW_CORE_ROW_CHUNKS_H_
