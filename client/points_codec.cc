#include "client/points_codec.h"

#include <cstdint>
#include <cstring>
#include <limits>
#include <string>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"

namespace jkoflow {
namespace {

constexpr bool kLittleEndianHost = __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__;

// Copies `count` float32 values between host order and little-endian bytes
// (the same operation in both directions).
void CopyLittleEndian(const void* from, void* to, size_t count) {
  if (count == 0) return;  // `from` may then be null, which memcpy forbids
  if (kLittleEndianHost) {
    std::memcpy(to, from, count * sizeof(float));
    return;
  }
  const auto* src = static_cast<const unsigned char*>(from);
  auto* dst = static_cast<unsigned char*>(to);
  for (size_t i = 0; i < count; ++i) {
    for (size_t b = 0; b < sizeof(float); ++b) {
      dst[i * sizeof(float) + b] =
          src[i * sizeof(float) + sizeof(float) - 1 - b];
    }
  }
}

}  // namespace

absl::Status EncodePoints(const PointMatrix& m, v1::Points* out) {
  RETURN_IF_ERROR(CheckShape(m));
  std::string data(m.values.size() * sizeof(float), '\0');
  CopyLittleEndian(m.values.data(), data.data(), m.values.size());
  out->set_rows(m.rows);
  out->set_cols(m.cols);
  out->set_data(std::move(data));
  return absl::OkStatus();
}

absl::StatusOr<PointMatrix> DecodePoints(const v1::Points& points) {
  const int64_t rows = points.rows();
  const int64_t cols = points.cols();
  if (rows < 0 || cols < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("points: negative shape ", rows, " x ", cols));
  }
  constexpr int64_t kMaxValues =
      std::numeric_limits<int64_t>::max() / sizeof(float);
  if (cols != 0 && rows > kMaxValues / cols) {
    return absl::InvalidArgumentError(
        absl::StrCat("points: shape ", rows, " x ", cols, " overflows"));
  }
  const uint64_t count = static_cast<uint64_t>(rows * cols);
  if (points.data().size() != count * sizeof(float)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "points.data: shape ", rows, " x ", cols, " needs ",
        count * sizeof(float), " bytes, got ", points.data().size()));
  }
  PointMatrix m;
  m.rows = rows;
  m.cols = cols;
  m.values.resize(count);
  CopyLittleEndian(points.data().data(), m.values.data(), count);
  return m;
}

}  // namespace jkoflow
