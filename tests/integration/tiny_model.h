#ifndef JKOFLOW_TESTS_INTEGRATION_TINY_MODEL_H_
#define JKOFLOW_TESTS_INTEGRATION_TINY_MODEL_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"

namespace jkoflow {
namespace integration {

// UntrainedModelSpec describes a model of randomly initialised blocks:
// enough to exercise serving (its map is smooth and invertible) without the
// cost of training.
struct UntrainedModelSpec {
  int64_t dim = 2;
  int blocks = 2;
  int64_t width = 16;
  int64_t depth = 2;
  int64_t steps = 2;  // RK4 steps per block
  uint64_t seed = 1;  // block k draws its weights from seed + k
};

// ModelVersionDir() is where the server's model store keeps a version:
// <model_dir>/<name>/v<version> (docs/design.md §7,
// server/serving/model_registry.h).
std::string ModelVersionDir(const std::string& model_dir,
                            const std::string& name, int64_t version);

// WriteUntrainedModel() saves such a model with core's SaveModel() as
// version `version` of `name` in the model store `model_dir`, with a
// provenance of 8gaussians (n = 2000, seed = 1) so that TrainBlock can
// default to it.
absl::Status WriteUntrainedModel(const std::string& model_dir,
                                 const std::string& name, int64_t version,
                                 const UntrainedModelSpec& spec);

}  // namespace integration
}  // namespace jkoflow

#endif  // JKOFLOW_TESTS_INTEGRATION_TINY_MODEL_H_
