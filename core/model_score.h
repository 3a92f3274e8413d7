#ifndef JKOFLOW_CORE_MODEL_SCORE_H_
#define JKOFLOW_CORE_MODEL_SCORE_H_

// The exact score of a model's intermediate densities where its starting
// density is known (the Gaussian oracle): no kernel estimate, so the
// first-order residual can be measured without an estimator's bias.

#include <torch/types.h>

#include <cstdint>
#include <functional>

#include "absl/status/statusor.h"
#include "core/flow_model.h"

namespace jkoflow {

// LogDensity maps points [n, d] (float64, differentiable) to log p [n].
using LogDensity = std::function<torch::Tensor(const torch::Tensor&)>;

// LogDensityByChangeOfVariables() is log p_k(y) [n] (float64, CPU), p_k as
// below; the same errors.
absl::StatusOr<torch::Tensor> LogDensityByChangeOfVariables(
    const FlowModel& model, int64_t blocks, const torch::Tensor& y,
    const LogDensity& log_p0);

// ScoreByChangeOfVariables() is ∇log p_k(y) [n, d] (float64, CPU) at points
// y [n, d] of the flow's space, p_k the density of p_0 pushed through the
// first `blocks` blocks of `model`: log p_k(y) = log p_0(x) + Σ_j ∫_1^0
// div f_j along the backward RK4 paths to x (exact divergences, float64
// copies of the blocks), differentiated by autograd. Up to the RK4 error
// (BlockDiagnostics::log_det_error) it is the exact score of the learned
// density. INVALID_ARGUMENT for `blocks` outside [0, num_blocks()] or y
// not [n, FlowDim()].
absl::StatusOr<torch::Tensor> ScoreByChangeOfVariables(
    const FlowModel& model, int64_t blocks, const torch::Tensor& y,
    const LogDensity& log_p0);

}  // namespace jkoflow

#endif  // JKOFLOW_CORE_MODEL_SCORE_H_
