#include "server/rpc/points_codec.h"

#include <ATen/ATen.h>

#include <cmath>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "base/points_wire.h"
#include "base/status_macros.h"
#include "core/torch_status.h"
#include "server/jobs/point_range.h"

namespace jkoflow {
namespace {

// ReadValue() is value `index` of a Points message's data (inline on
// little-endian hosts: validation reads every value this way).
float ReadValue(const std::string& data, int64_t index) {
  float value;
  if (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__) {
    std::memcpy(&value, data.data() + 4 * index, sizeof(value));
  } else {
    CopyLittleEndianFloats(data.data() + 4 * index, 1, &value);
  }
  return value;
}

}  // namespace

absl::Status ValidatePointsMessage(const v1::Points& points,
                                   absl::string_view field,
                                   const PointsLimits& limits) {
  const int64_t rows = points.rows();
  const int64_t cols = points.cols();
  if (rows < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ".rows: must be at least 1, got ", rows));
  }
  if (rows > limits.max_rows) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ".rows: ", rows, " exceeds the limit of ",
                     limits.max_rows, " (", limits.max_rows_name, ")"));
  }
  if (cols < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ".cols: must be at least 1, got ", cols));
  }
  if (limits.cols >= 0 && cols != limits.cols) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ".cols: expected ", limits.cols,
                     " (the model's dimension), got ", cols));
  }
  RETURN_IF_ERROR(CheckPointsData(rows, cols, points.data().size(), field));
  const std::string data_field = absl::StrCat(field, ".data");
  for (int64_t row = 0; row < rows; ++row) {
    double squared_norm = 0;
    for (int64_t col = 0; col < cols; ++col) {
      const float value = ReadValue(points.data(), row * cols + col);
      if (!std::isfinite(value)) {
        return absl::InvalidArgumentError(absl::StrCat(
            data_field, ": value at row ", row, ", column ", col, " is ",
            std::isnan(value) ? "NaN" : "Inf", "; values must be finite"));
      }
      squared_norm += static_cast<double>(value) * value;
    }
    RETURN_IF_ERROR(CheckSquaredNorm(squared_norm, row, data_field));
  }
  return absl::OkStatus();
}

absl::StatusOr<torch::Tensor> DecodePoints(const v1::Points& points,
                                           absl::string_view field,
                                           const PointsLimits& limits) {
  absl::Status valid = ValidatePointsMessage(points, field, limits);
  if (!valid.ok()) return valid;
  return GuardTorch([&]() -> absl::StatusOr<torch::Tensor> {
    torch::Tensor x =
        torch::empty({points.rows(), points.cols()}, torch::kFloat32);
    CopyLittleEndianFloats(points.data().data(), x.numel(), x.data_ptr());
    return x;
  });
}

void AppendPointsData(const v1::Points& points, std::vector<float>* values) {
  const int64_t count = points.rows() * points.cols();
  const size_t old_size = values->size();
  values->resize(old_size + static_cast<size_t>(count));
  CopyLittleEndianFloats(points.data().data(), count,
                         values->data() + old_size);
}

absl::Status EncodePoints(const torch::Tensor& x, v1::Points* out) {
  if (!x.defined() || x.dim() != 2 || !at::isFloatingType(x.scalar_type())) {
    return absl::InvalidArgumentError(
        "points: expected a floating-point matrix [n, d]");
  }
  return GuardTorch([&]() -> absl::Status {
    const torch::Tensor host = x.to(torch::kCPU, torch::kFloat32).contiguous();
    out->set_rows(host.size(0));
    out->set_cols(host.size(1));
    std::string* data = out->mutable_data();
    data->resize(static_cast<size_t>(host.numel()) * sizeof(float));
    CopyLittleEndianFloats(host.data_ptr(), host.numel(), data->data());
    return absl::OkStatus();
  });
}

}  // namespace jkoflow
