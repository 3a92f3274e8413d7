#ifndef JKOFLOW_CORE_ROW_CHUNKS_H_
#define JKOFLOW_CORE_ROW_CHUNKS_H_

#include <ATen/Parallel.h>
#include <ATen/core/grad_mode.h>
#include <torch/types.h>

#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "core/rk4.h"

namespace jkoflow {

// Rows per chunk of the chunked inference path: small enough that a chunk's
// activations ([rows, width] floats) stay in a core's L2 cache, large enough
// that the per-operation overhead of LibTorch stays small.
inline constexpr int64_t kInferenceChunkRows = 512;

// RowSplit cuts `rows` rows into consecutive chunks of `chunk_rows` rows
// (the last may be shorter); chunk c starts at row c * chunk_rows. It is the
// one row splitter of the core: MapRowChunks() and the fused kernels
// (core/fused_velocity_jvp) both use it.
//
// Reduction order: whatever combines chunks (concatenation along rows, a
// sum of per-chunk gradients) runs after the parallel region, in chunk
// order 0, 1, 2, ... (ReduceInChunkOrder). The split depends only on its
// arguments, never on which thread ran which chunk, so a result is
// bit-for-bit repeatable for the same split.
class RowSplit {
 public:
  // Chunks of `chunk_rows` (values below 1 count as 1) rows; at least one
  // chunk (an empty one when `rows` is 0).
  RowSplit(int64_t rows, int64_t chunk_rows);

  // Balanced() is the split of MapRowChunks: as many chunks as
  // `max_chunk_rows` needs, rounded up to a multiple of `threads` so that
  // every thread gets the same number of rows (never more chunks than rows).
  static RowSplit Balanced(int64_t rows, int64_t max_chunk_rows,
                           int64_t threads);

  int64_t count() const { return count_; }
  int64_t first_row(int64_t c) const { return c * chunk_rows_; }
  int64_t rows_in(int64_t c) const;
  // Rows() is chunk c of `t` (a view of its rows; `t` has rows() rows).
  torch::Tensor Rows(const torch::Tensor& t, int64_t c) const;

 private:
  int64_t rows_;
  int64_t chunk_rows_;
  int64_t count_;
};

// ForEachRowChunk() runs fn(c) for c in [0, chunks): in parallel over the
// intra-op threads, one chunk at a time per thread, unless already inside a
// parallel region (then in order on this thread). Each worker runs with the
// caller's grad mode (grad mode is thread-local). An exception from `fn`
// ends the loop and is rethrown here.
template <typename Fn>
void ForEachRowChunk(int64_t chunks, const Fn& fn) {
  const bool grad = at::GradMode::is_enabled();
  at::parallel_for(0, chunks, 1, [&](int64_t begin, int64_t end) {
    at::AutoGradMode mode(grad);
    for (int64_t c = begin; c < end; ++c) fn(c);
  });
}

// ReduceInChunkOrder() folds per-chunk results in chunk order:
// add(add(parts[0], parts[1]), parts[2]) ... ; `parts` is not empty.
template <typename T, typename Add>
T ReduceInChunkOrder(std::vector<T> parts, const Add& add) {
  T total = std::move(parts.front());
  for (size_t c = 1; c < parts.size(); ++c) {
    total = add(std::move(total), parts[c]);
  }
  return total;
}

// RowsFn computes the outputs for some rows of the inputs (each [rows, ...]);
// every output must have one row per input row. `stop` is safe to call from
// any thread.
using RowsFn = std::function<absl::StatusOr<std::vector<torch::Tensor>>(
    const std::vector<torch::Tensor>& rows, const StopCheck& stop)>;

// MapRowChunks() evaluates `fn` on consecutive chunks of at most `chunk_rows`
// rows of `inputs` (all with the same number of rows) and concatenates each
// output along rows, in chunk order. On the CPU the chunks (the
// RowSplit::Balanced split for the intra-op thread count) run through
// ForEachRowChunk(), each on one thread (BLAS included) with its working set
// in cache; otherwise, or when there is only one chunk, `fn` sees all rows
// at once. Results are deterministic for a given thread count.
// `stop` (may be null) is serialised across threads; the first error of any
// chunk stops the others at their next check and is returned.
absl::StatusOr<std::vector<torch::Tensor>> MapRowChunks(
    const std::vector<torch::Tensor>& inputs, int64_t chunk_rows,
    const StopCheck& stop, const RowsFn& fn);

}  // namespace jkoflow

#endif  // JKOFLOW_CORE_ROW_CHUNKS_H_
