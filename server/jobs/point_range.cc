#include "server/jobs/point_range.h"

#include <cmath>

#include "absl/strings/str_cat.h"

namespace jkoflow {

absl::Status CheckSquaredNorm(double squared_norm, int64_t row,
                              absl::string_view field) {
  if (squared_norm <= kMaxSquaredNorm) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(field, ": row ", row,
                   " is too far out for float32: |x|² = ", squared_norm,
                   " exceeds the limit of ", kMaxSquaredNorm, " (|x| ≤ 1e15)"));
}

absl::Status CheckPointRange(const torch::Tensor& x, absl::string_view field) {
  if (!x.defined() || x.dim() != 2 || x.scalar_type() != torch::kFloat32 ||
      !x.device().is_cpu() || !x.is_contiguous()) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": expected a contiguous CPU float32 matrix"));
  }
  const int64_t rows = x.size(0);
  const int64_t cols = x.size(1);
  const float* data = x.data_ptr<float>();
  for (int64_t r = 0; r < rows; ++r) {
    double squared_norm = 0;
    for (int64_t c = 0; c < cols; ++c) {
      const double v = data[r * cols + c];
      squared_norm += v * v;
    }
    // NaN fails the comparison inside CheckSquaredNorm as well.
    if (!(squared_norm <= kMaxSquaredNorm)) {
      return CheckSquaredNorm(squared_norm, r, field);
    }
  }
  return absl::OkStatus();
}

}  // namespace jkoflow
