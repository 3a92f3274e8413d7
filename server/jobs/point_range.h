#ifndef JKOFLOW_SERVER_JOBS_POINT_RANGE_H_
#define JKOFLOW_SERVER_JOBS_POINT_RANGE_H_

#include <torch/types.h>

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace jkoflow {

// kMaxSquaredNorm bounds |x|² of every point the server accepts (requests
// and training data alike): |x| ≤ 1e15. The flow computes |x|²/2, |T(x)|²
// and their gradients in float32 (largest value ≈ 3.4e38); this bound keeps
// them finite with eight orders of magnitude to spare, where a point such as
// (3e38, −3e38) or (1e20, 1e20) would make a log-likelihood NaN or a
// training loss overflow.
inline constexpr double kMaxSquaredNorm = 1e30;

// CheckSquaredNorm() is the one home of the rule: OK when `squared_norm`
// (summed in double) is at most kMaxSquaredNorm, else INVALID_ARGUMENT
// naming `field`, the row and the limit.
absl::Status CheckSquaredNorm(double squared_norm, int64_t row,
                              absl::string_view field);

// CheckPointRange() applies CheckSquaredNorm() to every row of x [n, d]
// (CPU float32; anything else is INVALID_ARGUMENT) without allocating.
absl::Status CheckPointRange(const torch::Tensor& x, absl::string_view field);

}  // namespace jkoflow

#endif  // JKOFLOW_SERVER_JOBS_POINT_RANGE_H_
