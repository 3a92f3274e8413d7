#ifndef JKOFLOW_CLIENT_SAMPLE_ASSEMBLER_H_
#define JKOFLOW_CLIENT_SAMPLE_ASSEMBLER_H_

#include <cstdint>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "client/point_matrix.h"
#include "jkoflow/v1/flow.pb.h"

namespace jkoflow {

// SampleResult is a whole sample put back together from its stream.
struct SampleResult {
  // The n sampled points, [n, dim].
  PointMatrix points;
  // Only for a trajectory request: the K + 1 stages (0 = the noise, K = the
  // sample), each [n, dim]. Empty otherwise.
  std::vector<PointMatrix> stages;
};

// SampleAssembler puts the chunks of one Sample stream back together by their
// offsets, in any order, and checks that they cover [0, n) exactly once.
// Not thread-safe; one instance per stream.
class SampleAssembler {
 public:
  // `n` is the number of points requested; `trajectory` says whether the
  // stages of each chunk are to be kept.
  SampleAssembler(int64_t n, bool trajectory);

  // Add() copies one chunk into place. Returns DataLoss, naming the offset,
  // when the chunk is malformed, lies outside [0, n), or disagrees with
  // earlier chunks on the dimension or the number of stages.
  absl::Status Add(const v1::SampleChunk& chunk);

  // Finish() returns the assembled sample, or DataLoss when the chunks
  // overlap or do not cover all n points ("received 10 of 100 points").
  // Call it once, after the last Add().
  absl::StatusOr<SampleResult> Finish();

 private:
  // Checks `points` against the dimension and copies its rows into `into`
  // at `offset`.
  absl::Status CopyRows(const v1::Points& points, int64_t offset,
                        int64_t expected_rows, PointMatrix* into);

  const int64_t n_;
  const bool trajectory_;
  int64_t cols_ = -1;    // set by the first chunk
  int64_t stages_ = -1;  // set by the first chunk when trajectory_
  SampleResult result_;
  std::vector<std::pair<int64_t, int64_t>> ranges_;  // (offset, rows)
};

}  // namespace jkoflow

#endif  // JKOFLOW_CLIENT_SAMPLE_ASSEMBLER_H_
