#ifndef JKOFLOW_BASE_IDX_FILE_H_
#define JKOFLOW_BASE_IDX_FILE_H_

#include <string>

#include "absl/status/statusor.h"
#include "base/array_file.h"

namespace jkoflow {

// IsIdxPath() is true for the names the MNIST family ships under:
// "*-ubyte", "*.idx", "*.idx<N>-ubyte", each optionally ending in ".gz".
bool IsIdxPath(const std::string& path);

// ReadIdx reads an IDX file (LeCun's format: two zero bytes, a type byte —
// 0x08 unsigned byte, 0x09 signed byte, 0x0B int16, 0x0C int32, 0x0D
// float32, 0x0E float64 — a dimension count, big-endian int32 extents,
// big-endian values), gzip-compressed or not. The first extent gives the
// rows; the others are flattened into the columns and kept as `item_shape`
// (e.g. {28, 28}); a 1-dimensional file is n x 1. Returns InvalidArgument
// naming the path for bad magic, an unknown type, zero extents, data shorter
// ("truncated") or longer than the header says, or a NaN/Inf value;
// NotFound if the file is missing.
absl::StatusOr<Array2D> ReadIdx(const std::string& path);

}  // namespace jkoflow

#endif  // JKOFLOW_BASE_IDX_FILE_H_
