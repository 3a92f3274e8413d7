#ifndef JKOFLOW_BASE_ARRAY_FILE_H_
#define JKOFLOW_BASE_ARRAY_FILE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace jkoflow {

// Array2D is a row-major matrix of doubles read from or written to a file.
// values[r * cols + c] holds row r, column c; values.size() == rows * cols.
struct Array2D {
  int64_t rows = 0;
  int64_t cols = 0;
  std::vector<double> values;
  // The shape of one row when the file gave one (an image: {28, 28});
  // empty for a flat row. Its product is cols.
  std::vector<int64_t> item_shape;
};

// ReadCsv parses the comma-separated numeric file at `path`. Spaces and tabs
// around fields are ignored, blank lines and lines starting with '#' are
// skipped, \r\n line endings and a missing final newline are accepted, and one
// header line is allowed as the first non-blank, non-comment line if none of
// its fields is a number. Returns InvalidArgument, with a message starting with
// the path and naming the 1-based line and column where relevant, for a cell
// that is not a number or is NaN/Inf, a row whose field count differs from
// the first data row, or a file with no data rows; NotFound if the file is
// missing; another error if it cannot be read.
absl::StatusOr<Array2D> ReadCsv(const std::string& path);

// ReadNpy reads the NumPy .npy file (format version 1.0, 2.0 or 3.0) at
// `path`. The dtype must be '<f4' or '<f8'; the shape (n,) gives an n x 1
// array and (n, d) an n x d array; Fortran-order data is transposed into row
// major. Returns InvalidArgument, with a message starting with the path, for
// an empty file, bad magic, unsupported version, malformed header, unsupported
// dtype or shape, zero rows or columns, data shorter ("truncated") or longer
// than the shape requires, or a NaN/Inf value (named by 1-based "line <row>,
// column <col>"); NotFound if the file is missing; another error if it cannot
// be read.
absl::StatusOr<Array2D> ReadNpy(const std::string& path);

// ReadArrayFile reads `path` with ReadCsv, ReadNpy or ReadIdx
// (base/idx_file.h) according to its extension (.csv, .npy, or an IDX
// name such as *-ubyte.gz; case-insensitive). Returns InvalidArgument naming
// the path and the accepted extensions for any other extension, else whatever
// the chosen reader returns.
absl::StatusOr<Array2D> ReadArrayFile(const std::string& path);

// WriteCsv atomically writes `a` to `path` as CSV, one row per line, values
// formatted with "%.9g" (enough digits to round-trip float32), no header.
// Returns InvalidArgument (message starting with the path) if `a` has no rows
// or no columns, if values.size() != rows * cols, or if a value is NaN/Inf
// (such files could not be read back); otherwise the WriteFileAtomically
// status.
absl::Status WriteCsv(const std::string& path, const Array2D& a);

// WriteNpy atomically writes `a` to `path` as a .npy version 1.0 file in C
// order with shape (rows, cols) and dtype '<f4' (default) or '<f8' when
// `float64` is true. Returns InvalidArgument (message starting with the path)
// if `a` has no rows or no columns, if values.size() != rows * cols, or if a
// value is NaN/Inf or, for '<f4', outside the float32 range; otherwise the
// WriteFileAtomically status.
absl::Status WriteNpy(const std::string& path, const Array2D& a,
                      bool float64 = false);

// WriteArrayFile writes `a` with WriteCsv or WriteNpy ('<f4') according to the
// extension of `path` (.csv or .npy, case-insensitive). Returns
// InvalidArgument naming the path and the accepted extensions for any other
// extension, else whatever the chosen writer returns.
absl::Status WriteArrayFile(const std::string& path, const Array2D& a);

}  // namespace jkoflow

#endif  // JKOFLOW_BASE_ARRAY_FILE_H_
