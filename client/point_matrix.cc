#include "client/point_matrix.h"

#include <cmath>
#include <cstddef>
#include <limits>

#include "absl/strings/str_cat.h"

namespace jkoflow {

absl::Status CheckShape(const PointMatrix& m, const char* what) {
  if (m.rows < 0 || m.cols < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": negative shape ", m.rows, " x ", m.cols));
  }
  if (m.cols != 0 && m.rows > std::numeric_limits<int64_t>::max() / m.cols) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": shape ", m.rows, " x ", m.cols, " overflows"));
  }
  if (static_cast<uint64_t>(m.rows * m.cols) != m.values.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": shape ", m.rows, " x ", m.cols, " needs ",
                     m.rows * m.cols, " values, got ", m.values.size()));
  }
  return absl::OkStatus();
}

Array2D ToArray2D(const PointMatrix& m) {
  Array2D a;
  a.rows = m.rows;
  a.cols = m.cols;
  a.values.assign(m.values.begin(), m.values.end());
  return a;
}

absl::StatusOr<PointMatrix> FromArray2D(const Array2D& a) {
  if (a.rows < 0 || a.cols < 0 ||
      static_cast<uint64_t>(a.rows) * static_cast<uint64_t>(a.cols) !=
          a.values.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("array: shape ", a.rows, " x ", a.cols, " needs ",
                     a.rows * a.cols, " values, got ", a.values.size()));
  }
  PointMatrix m;
  m.rows = a.rows;
  m.cols = a.cols;
  m.values.resize(a.values.size());
  constexpr double kMax = std::numeric_limits<float>::max();
  for (size_t i = 0; i < a.values.size(); ++i) {
    const double v = a.values[i];
    if (!std::isfinite(v) || std::fabs(v) > kMax) {
      const int64_t row = static_cast<int64_t>(i) / a.cols + 1;
      const int64_t col = static_cast<int64_t>(i) % a.cols + 1;
      return absl::InvalidArgumentError(
          absl::StrCat("array: value ", v, " at row ", row, ", column ", col,
                       " is not a finite float32"));
    }
    m.values[i] = static_cast<float>(v);
  }
  return m;
}

}  // namespace jkoflow
