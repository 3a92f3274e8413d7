#include "base/points_wire.h"

#include <cstring>
#include <limits>

#include "absl/strings/str_cat.h"

namespace jkoflow {

void CopyLittleEndianFloats(const void* from, int64_t count, void* to) {
  if (count <= 0) return;  // `from` may then be null, which memcpy forbids
  const size_t bytes = static_cast<size_t>(count) * sizeof(float);
  if (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__) {
    std::memcpy(to, from, bytes);
    return;
  }
  const auto* src = static_cast<const unsigned char*>(from);
  auto* dst = static_cast<unsigned char*>(to);
  for (size_t i = 0; i < bytes; i += sizeof(float)) {
    for (size_t b = 0; b < sizeof(float); ++b) {
      dst[i + b] = src[i + sizeof(float) - 1 - b];
    }
  }
}

absl::Status CheckPointsData(int64_t rows, int64_t cols, size_t bytes,
                             absl::string_view field) {
  if (rows < 0 || cols < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": negative shape ", rows, " x ", cols));
  }
  constexpr int64_t kMaxValues =
      std::numeric_limits<int64_t>::max() / sizeof(float);
  if (cols != 0 && rows > kMaxValues / cols) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ".data: shape ", rows, " x ", cols, " overflows"));
  }
  const uint64_t needed = static_cast<uint64_t>(rows * cols) * sizeof(float);
  if (bytes != needed) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ".data: shape ", rows, " x ", cols, " needs ",
                     needed, " bytes, got ", bytes));
  }
  return absl::OkStatus();
}

}  // namespace jkoflow
