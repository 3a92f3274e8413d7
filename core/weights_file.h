#ifndef JKOFLOW_CORE_WEIGHTS_FILE_H_
#define JKOFLOW_CORE_WEIGHTS_FILE_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/velocity_field.h"

namespace jkoflow {

// SerializeWeights() encodes every named parameter of `field` as
//   "JKOFLOWW" | u32 version | u32 count | per tensor: u32 name length, name,
//   u8 dtype (1 = float32, 2 = float64), u8 rank, i64 sizes[rank], raw data
// (little-endian, row-major).
absl::StatusOr<std::string> SerializeWeights(const VelocityFieldImpl& field);

// DeserializeWeights() copies the parameters in `bytes` into `field`. Every
// parameter of `field` must be present with the same shape, and nothing
// else; `file` names the source in error messages (DATA_LOSS).
absl::Status DeserializeWeights(const std::string& bytes,
                                const std::string& file,
                                VelocityFieldImpl& field);

}  // namespace jkoflow

#endif  // JKOFLOW_CORE_WEIGHTS_FILE_H_
