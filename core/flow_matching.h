#ifndef JKOFLOW_CORE_FLOW_MATCHING_H_
#define JKOFLOW_CORE_FLOW_MATCHING_H_

// Conditional flow matching (Lipman et al. 2023; Liu et al. 2023, the
// linear path with independent coupling), the peer method our defaults are
// measured against, trained by the same engine: one time-conditioned
// velocity field whose flow from s = 0 (data) to s = 1 (noise) is served
// as a single block, with the same RK4 and the same exact likelihood.

#include <ATen/core/Generator.h>
#include <torch/types.h>

#include <string>

#include "absl/status/statusor.h"
#include "core/velocity_field.h"

namespace jkoflow {

// TrainingMethod: the progressive JKO scheme (one block per step) or
// conditional flow matching (one block).
enum class TrainingMethod { kJko, kFlowMatching };

// TrainingMethodName() is "jko" or "flow_matching"; ParseTrainingMethod()
// inverts it (anything else is INVALID_ARGUMENT naming "method").
std::string TrainingMethodName(TrainingMethod method);
absl::StatusOr<TrainingMethod> ParseTrainingMethod(const std::string& name);

// FlowMatchingLoss() is E‖f(x_s, s) − (z − x)‖² over the rows of x
// [batch, dim], with z ~ N(0, I) and s ~ U(0, 1) per row drawn from
// `generator` and x_s = (1 − s) x + s z: the regression whose minimiser
// carries the data (s = 0) to N(0, I) (s = 1). Differentiable in the
// field's parameters; `field` must take time as an input.
absl::StatusOr<torch::Tensor> FlowMatchingLoss(const VelocityFieldImpl& field,
                                               const torch::Tensor& x,
                                               at::Generator& generator);

}  // namespace jkoflow

#endif  // JKOFLOW_CORE_FLOW_MATCHING_H_
