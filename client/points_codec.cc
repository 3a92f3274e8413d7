#include "client/points_codec.h"

#include <string>
#include <utility>

#include "base/points_wire.h"
#include "base/status_macros.h"

namespace jkoflow {

absl::Status EncodePoints(const PointMatrix& m, v1::Points* out) {
  RETURN_IF_ERROR(CheckShape(m));
  std::string data(m.values.size() * sizeof(float), '\0');
  CopyLittleEndianFloats(m.values.data(), m.values.size(), data.data());
  out->set_rows(m.rows);
  out->set_cols(m.cols);
  out->set_data(std::move(data));
  return absl::OkStatus();
}

absl::StatusOr<PointMatrix> DecodePoints(const v1::Points& points) {
  RETURN_IF_ERROR(CheckPointsData(points.rows(), points.cols(),
                                  points.data().size(), "points"));
  PointMatrix m;
  m.rows = points.rows();
  m.cols = points.cols();
  m.values.resize(static_cast<size_t>(m.rows * m.cols));
  CopyLittleEndianFloats(points.data().data(), m.rows * m.cols,
                         m.values.data());
  return m;
}

}  // namespace jkoflow
