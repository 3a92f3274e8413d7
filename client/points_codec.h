#ifndef JKOFLOW_CLIENT_POINTS_CODEC_H_
#define JKOFLOW_CLIENT_POINTS_CODEC_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "client/point_matrix.h"
#include "jkoflow/v1/flow.pb.h"

namespace jkoflow {

// EncodePoints() writes `m` into `out` as the wire format of flow.proto:
// rows, cols and rows * cols float32 values, little-endian, row-major.
// Returns InvalidArgument (see CheckShape) when `m` is malformed; `out` is
// then left unchanged.
absl::Status EncodePoints(const PointMatrix& m, v1::Points* out);

// DecodePoints() is the inverse of EncodePoints(). Returns InvalidArgument
// for negative rows or cols, a shape whose byte size overflows, or `data`
// whose length is not rows * cols * 4 bytes (the message names both lengths).
// Values are not checked for finiteness.
absl::StatusOr<PointMatrix> DecodePoints(const v1::Points& points);

}  // namespace jkoflow

#endif  // JKOFLOW_CLIENT_POINTS_CODEC_H_
