#ifndef JKOFLOW_CLIENT_POINT_MATRIX_H_
#define JKOFLOW_CLIENT_POINT_MATRIX_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "base/array_file.h"

namespace jkoflow {

// PointMatrix is a row-major float32 matrix of `rows` points in `cols`
// dimensions, the client-side form of the wire message `Points`.
// values[r * cols + c] holds point r, coordinate c; a well-formed matrix has
// values.size() == rows * cols.
struct PointMatrix {
  int64_t rows = 0;
  int64_t cols = 0;
  std::vector<float> values;
};

// CheckShape() returns OK when `m` has rows ≥ 0, cols ≥ 0 and exactly
// rows * cols values; InvalidArgument naming `what` and both sizes otherwise.
absl::Status CheckShape(const PointMatrix& m, const char* what = "points");

// ToArray2D() widens `m` to the double matrix that base/array_file.h writes.
Array2D ToArray2D(const PointMatrix& m);

// FromArray2D() narrows `a` (as read by ReadArrayFile) to float32. Returns
// InvalidArgument for a shape mismatch or a value that is not finite or is
// outside the float32 range (it names the 1-based row and column).
absl::StatusOr<PointMatrix> FromArray2D(const Array2D& a);

}  // namespace jkoflow

#endif  // JKOFLOW_CLIENT_POINT_MATRIX_H_
