#include "core/row_chunks.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <atomic>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "core/torch_status.h"

namespace jkoflow {

RowSplit::RowSplit(int64_t rows, int64_t chunk_rows)
    : rows_(std::max<int64_t>(0, rows)),
      chunk_rows_(std::max<int64_t>(1, chunk_rows)),
      count_(std::max<int64_t>(1, (rows_ + chunk_rows_ - 1) / chunk_rows_)) {}

RowSplit RowSplit::Balanced(int64_t rows, int64_t max_chunk_rows,
                            int64_t threads) {
  threads = std::max<int64_t>(1, threads);
  max_chunk_rows = std::max<int64_t>(1, max_chunk_rows);
  int64_t chunks = (rows + max_chunk_rows - 1) / max_chunk_rows;
  chunks = std::min(rows, (chunks + threads - 1) / threads * threads);
  if (chunks <= 1) return RowSplit(rows, std::max<int64_t>(1, rows));
  return RowSplit(rows, (rows + chunks - 1) / chunks);
}

int64_t RowSplit::rows_in(int64_t c) const {
  return std::max<int64_t>(0, std::min(chunk_rows_, rows_ - first_row(c)));
}

torch::Tensor RowSplit::Rows(const torch::Tensor& t, int64_t c) const {
  return t.narrow(0, first_row(c), rows_in(c));
}

namespace {

using ChunkResults = std::vector<absl::StatusOr<std::vector<torch::Tensor>>>;

// CheckRowInputs() refuses no inputs, chunk_rows < 1, or inputs whose row
// counts differ.
absl::Status CheckRowInputs(const std::vector<torch::Tensor>& inputs,
                            int64_t chunk_rows) {
  if (inputs.empty() || chunk_rows < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("MapRowChunks: need inputs and chunk_rows ≥ 1, got ",
                     inputs.size(), " inputs and chunk_rows ", chunk_rows));
  }
  const int64_t rows = inputs.front().size(0);
  for (const torch::Tensor& input : inputs) {
    if (input.size(0) != rows) {
      return absl::InvalidArgumentError(absl::StrCat(
          "MapRowChunks: inputs have ", rows, " and ", input.size(0), " rows"));
    }
  }
  return absl::OkStatus();
}

// JoinChunks() is the root cause among the chunks' errors (not the
// "another chunk failed" echoes), or each output concatenated over the
// chunks in order.
absl::StatusOr<std::vector<torch::Tensor>> JoinChunks(
    const ChunkResults& results) {
  const absl::Status* first_error = nullptr;
  for (const auto& result : results) {
    if (result.ok()) continue;
    if (first_error == nullptr ||
        first_error->code() == absl::StatusCode::kAborted) {
      first_error = &result.status();
    }
  }
  if (first_error != nullptr) return *first_error;
  return GuardTorch([&]() -> absl::StatusOr<std::vector<torch::Tensor>> {
    const size_t outputs = results.front()->size();
    std::vector<torch::Tensor> joined;
    for (size_t o = 0; o < outputs; ++o) {
      std::vector<torch::Tensor> pieces;
      pieces.reserve(results.size());
      for (const auto& result : results) pieces.push_back((*result)[o]);
      joined.push_back(torch::cat(pieces, 0));
    }
    return joined;
  });
}

}  // namespace

absl::StatusOr<std::vector<torch::Tensor>> MapRowChunks(
    const std::vector<torch::Tensor>& inputs, int64_t chunk_rows,
    const StopCheck& stop, const RowsFn& fn) {
  if (absl::Status valid = CheckRowInputs(inputs, chunk_rows); !valid.ok()) {
    return valid;
  }
  if (!inputs.front().is_cpu() || at::in_parallel_region()) {
    return fn(inputs, stop);
  }
  const RowSplit split = RowSplit::Balanced(inputs.front().size(0), chunk_rows,
                                            at::get_num_threads());
  const int64_t chunks = split.count();
  if (chunks <= 1) return fn(inputs, stop);

  ChunkResults results(chunks, absl::AbortedError("chunk not run"));
  std::atomic<bool> failed{false};
  std::mutex stop_mu;
  const StopCheck chunk_stop = [&]() -> absl::Status {
    if (failed.load(std::memory_order_relaxed)) {
      return absl::AbortedError("another chunk failed");
    }
    if (!stop) return absl::OkStatus();
    std::lock_guard<std::mutex> lock(stop_mu);
    return stop();
  };
  ForEachRowChunk(chunks, [&](int64_t c) {
    if (failed.load(std::memory_order_relaxed)) return;
    std::vector<torch::Tensor> part;
    part.reserve(inputs.size());
    for (const torch::Tensor& input : inputs) {
      part.push_back(split.Rows(input, c));
    }
    results[c] = GuardTorch([&] { return fn(part, chunk_stop); });
    if (!results[c].ok()) failed.store(true, std::memory_order_relaxed);
  });
  return JoinChunks(results);
}

}  // namespace jkoflow
