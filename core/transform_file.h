#ifndef JKOFLOW_CORE_TRANSFORM_FILE_H_
#define JKOFLOW_CORE_TRANSFORM_FILE_H_

#include <string>

#include "absl/status/status.h"
#include "core/data_transform.h"

namespace jkoflow {

// The fitted arrays of a DataTransform are stored beside the blocks in one
// binary file of little-endian float64 values, in this order: for
// marginal, the CDF [dim, upper − lower + 1]; for standardize, mean [dim]
// and scale [dim]; for whiten, mean [dim], eigenvalues [dim] and basis
// [dim, dim] (row major). The scalars (steps, bounds, α, shape) live in the
// manifest.

// HasTransformArrays() is true when `steps` have arrays to store.
bool HasTransformArrays(const TransformSpec& steps);

// SerializeTransformArrays() writes the arrays of `params`' steps.
std::string SerializeTransformArrays(const DataTransform::Parameters& params);

// DeserializeTransformArrays() reads them into `params`, whose dim and steps
// must already be set; a file of the wrong size is DATA_LOSS naming `file`.
absl::Status DeserializeTransformArrays(const std::string& bytes,
                                        const std::string& file,
                                        DataTransform::Parameters& params);

}  // namespace jkoflow

#endif  // JKOFLOW_CORE_TRANSFORM_FILE_H_
