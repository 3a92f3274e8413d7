#include "client/sample_assembler.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "client/points_codec.h"

namespace jkoflow {
namespace {

// Makes an empty [n, cols] matrix.
PointMatrix Zeros(int64_t n, int64_t cols) {
  PointMatrix m;
  m.rows = n;
  m.cols = cols;
  m.values.assign(static_cast<size_t>(n * cols), 0.0f);
  return m;
}

}  // namespace

SampleAssembler::SampleAssembler(int64_t n, bool trajectory)
    : n_(n), trajectory_(trajectory) {}

absl::Status SampleAssembler::CopyRows(const v1::Points& points, int64_t offset,
                                       int64_t expected_rows,
                                       PointMatrix* into) {
  absl::StatusOr<PointMatrix> chunk = DecodePoints(points);
  if (!chunk.ok()) {
    return absl::DataLossError(absl::StrCat("sample chunk at offset ", offset,
                                            ": ", chunk.status().message()));
  }
  if (chunk->cols != cols_ || chunk->rows != expected_rows) {
    return absl::DataLossError(absl::StrCat(
        "sample chunk at offset ", offset, ": expected ", expected_rows, " x ",
        cols_, " points, got ", chunk->rows, " x ", chunk->cols));
  }
  if (!chunk->values.empty()) {  // an empty vector's data() may be null
    std::memcpy(into->values.data() + offset * cols_, chunk->values.data(),
                chunk->values.size() * sizeof(float));
  }
  return absl::OkStatus();
}

absl::Status SampleAssembler::Add(const v1::SampleChunk& chunk) {
  const int64_t offset = chunk.offset();
  const int64_t rows = chunk.points().rows();
  if (offset < 0 || rows < 1 || offset > n_ - rows) {
    return absl::DataLossError(
        absl::StrCat("sample chunk at offset ", offset, " with ", rows,
                     " points lies outside [0, ", n_, ")"));
  }
  if (cols_ < 0) {
    if (chunk.points().cols() < 1) {
      return absl::DataLossError(absl::StrCat("sample chunk at offset ", offset,
                                              ": dimension ",
                                              chunk.points().cols(), " < 1"));
    }
    cols_ = chunk.points().cols();
    result_.points = Zeros(n_, cols_);
  }
  RETURN_IF_ERROR(CopyRows(chunk.points(), offset, rows, &result_.points));
  if (trajectory_) {
    if (stages_ < 0) {
      stages_ = chunk.stages_size();
      result_.stages.assign(stages_, Zeros(n_, cols_));
    }
    if (chunk.stages_size() != stages_) {
      return absl::DataLossError(absl::StrCat(
          "sample chunk at offset ", offset, ": expected ", stages_,
          " trajectory stages, got ", chunk.stages_size()));
    }
    for (int s = 0; s < chunk.stages_size(); ++s) {
      RETURN_IF_ERROR(
          CopyRows(chunk.stages(s), offset, rows, &result_.stages[s]));
    }
  }
  ranges_.emplace_back(offset, rows);
  return absl::OkStatus();
}

absl::StatusOr<SampleResult> SampleAssembler::Finish() {
  std::sort(ranges_.begin(), ranges_.end());
  int64_t covered = 0;
  for (const auto& [offset, rows] : ranges_) {
    if (offset < covered) {
      return absl::DataLossError(
          absl::StrCat("sample chunks overlap at offset ", offset));
    }
    if (offset > covered) break;  // a gap: reported below
    covered = offset + rows;
  }
  if (covered != n_) {
    int64_t received = 0;
    for (const auto& range : ranges_) received += range.second;
    return absl::DataLossError(absl::StrCat("sample stream ended after ",
                                            received, " of ", n_, " points"));
  }
  if (trajectory_ && stages_ < 1) {
    return absl::DataLossError("sample stream carried no trajectory stages");
  }
  return std::move(result_);
}

}  // namespace jkoflow
