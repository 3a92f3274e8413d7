#ifndef JKOFLOW_SERVER_RPC_POINTS_CODEC_H_
#define JKOFLOW_SERVER_RPC_POINTS_CODEC_H_

#include <torch/types.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "jkoflow/v1/flow.pb.h"

namespace jkoflow {

// PointsLimits are what a `Points` message must satisfy besides being
// well formed.
struct PointsLimits {
  // Required number of columns (the model's dimension); -1 accepts any.
  int64_t cols = -1;
  // Most rows accepted, and the name of the setting that fixes it, used in
  // the error message.
  int64_t max_rows = std::numeric_limits<int64_t>::max();
  std::string max_rows_name = "--max_samples_per_request";
};

// ValidatePointsMessage() checks a `Points` message without copying it:
// rows ≥ 1, cols ≥ 1, data holding exactly rows × cols × 4 bytes, every value
// finite, every row's |x|² within kMaxSquaredNorm (point_range.h), the limits
// above. Errors are INVALID_ARGUMENT naming the field
// ("<field>.rows", "<field>.data", …), the expected value and the actual one.
absl::Status ValidatePointsMessage(const v1::Points& points,
                                   absl::string_view field,
                                   const PointsLimits& limits);

// DecodePoints() validates `points` as above and returns them as a CPU
// float32 tensor [rows, cols] (a copy; the message may be freed after).
absl::StatusOr<torch::Tensor> DecodePoints(const v1::Points& points,
                                           absl::string_view field,
                                           const PointsLimits& limits);

// AppendPointsData() appends the float32 values of a validated `points`
// message to `values` in row-major order (host byte order).
void AppendPointsData(const v1::Points& points, std::vector<float>* values);

// EncodePoints() writes x [n, d] (any floating dtype, any device) into `out`
// as float32 little-endian row-major bytes with its shape. Returns
// INVALID_ARGUMENT for a tensor that is not a floating matrix.
absl::Status EncodePoints(const torch::Tensor& x, v1::Points* out);

}  // namespace jkoflow

#endif  // JKOFLOW_SERVER_RPC_POINTS_CODEC_H_
