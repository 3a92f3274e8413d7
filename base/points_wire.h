#ifndef JKOFLOW_BASE_POINTS_WIRE_H_
#define JKOFLOW_BASE_POINTS_WIRE_H_

#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace jkoflow {

// The byte layout of flow.proto's `Points` message, shared by the client
// and the server: `data` holds rows × cols float32 values, little-endian,
// row-major.

// CopyLittleEndianFloats() copies `count` float32 values between wire order
// (little-endian) and host order; the conversion is its own inverse. With
// count ≤ 0 it does nothing (`from` and `to` may then be null).
void CopyLittleEndianFloats(const void* from, int64_t count, void* to);

// CheckPointsData() is OK when rows ≥ 0, cols ≥ 0 and `bytes` is exactly
// rows × cols × 4; otherwise INVALID_ARGUMENT naming `field` ("points"):
// "<field>: negative shape R x C", "<field>.data: shape R x C overflows" or
// "<field>.data: shape R x C needs N bytes, got B".
absl::Status CheckPointsData(int64_t rows, int64_t cols, size_t bytes,
                             absl::string_view field);

}  // namespace jkoflow

#endif  // JKOFLOW_BASE_POINTS_WIRE_H_
