#ifndef JKOFLOW_CORE_MODEL_STORE_H_
#define JKOFLOW_CORE_MODEL_STORE_H_

#include <torch/types.h>

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/flow_model.h"

namespace jkoflow {

// kModelFormatVersion is the version of the on-disk model layout written by
// SaveModel() for a model without a transform; a model with one is written
// as kTransformFormatVersion, so that a build that cannot apply the
// transform refuses it instead of serving wrong likelihoods. LoadModel()
// reads both and refuses any other.
inline constexpr int kModelFormatVersion = 1;
inline constexpr int kTransformFormatVersion = 2;

// A model directory holds `manifest.json` (format version, dimension, dtype,
// smoothing τ, the data's transform, per-block config, statistics, weights
// file and its SHA-256, provenance), one `block_NNN.weights` file per block
// and, for a transform with fitted arrays, `transform.bin`
// (core/transform_file.h).

// SaveModel() writes `model` to directory `dir` atomically: everything is
// written and fsynced into a temporary sibling directory, which is then
// renamed over `dir` (replacing an older one). A crash leaves either the old
// directory or the new one, never a mixture.
absl::Status SaveModel(const FlowModel& model, const std::string& dir);

// BlockParameterCount() is the number of parameters of a velocity field
// with `options` (weights and biases of every layer); it saturates at
// INT64_MAX instead of overflowing.
int64_t BlockParameterCount(const VelocityFieldOptions& options);

// LoadModel() reads a model directory onto `device`. A missing, truncated or
// altered file, a wrong format version or a missing block is refused with a
// Status naming the file: NOT_FOUND (missing), DATA_LOSS (checksum,
// truncation, malformed content, a weights file that is not a plain name
// inside `dir`), FAILED_PRECONDITION (format version). With
// `max_block_params` > 0, a block whose configuration has more parameters
// is RESOURCE_EXHAUSTED before its weights are read or allocated.
absl::StatusOr<FlowModel> LoadModel(const std::string& dir,
                                    torch::Device device,
                                    int64_t max_block_params = 0);

// LoadProvenance() reads only the provenance of the manifest in `dir` (no
// weights, no checks of the blocks): NOT_FOUND without a manifest,
// DATA_LOSS for one that is not a jkoflow manifest.
absl::StatusOr<Provenance> LoadProvenance(const std::string& dir);

}  // namespace jkoflow

#endif  // JKOFLOW_CORE_MODEL_STORE_H_
