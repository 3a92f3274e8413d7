#include "core/model_score.h"

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>
#include <torch/csrc/autograd/autograd.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "core/float64_copy.h"
#include "core/rk4.h"
#include "core/torch_status.h"

namespace jkoflow {
namespace {

// BackwardWithDivergence() runs x back through block `k` of `model` from
// t = 1 to 0 in float64: {its input, ∫_1^0 div f dt [n]}.
absl::StatusOr<OdeSolution> BackwardWithDivergence(const FlowModel& model,
                                                   int64_t k,
                                                   const at::Tensor& x) {
  const JkoBlock& block = model.block(k);
  const JkoBlock exact = Float64Copy(block, torch::Device(torch::kCPU));
  const VelocityField& field = exact.field();
  const at::Tensor eye = at::eye(x.size(1), x.options());
  const FieldFn fn = [&field, &eye](const at::Tensor& z, double t, bool) {
    auto [v, jv] = field->VelocityAndJvpReference(z, t, eye);
    return std::make_pair(v, jv.diagonal(0, 1, 2).sum(1));
  };
  return IntegrateRk4(fn, x, 1.0, 0.0, block.config().steps,
                      /*with_divergence=*/true);
}

// CheckRequest() validates `blocks` and the shape of y.
absl::Status CheckRequest(const FlowModel& model, int64_t blocks,
                          const torch::Tensor& y) {
  if (blocks < 0 || blocks > model.num_blocks()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "blocks: must be in [0, ", model.num_blocks(), "], got ", blocks));
  }
  if (y.dim() != 2 || y.size(1) != model.FlowDim()) {
    return absl::InvalidArgumentError(
        absl::StrCat("y: expected [n, ", model.FlowDim(), "] points"));
  }
  return absl::OkStatus();
}

// LogDensityOf() is log p_k at `input` (float64 CPU), differentiable.
absl::StatusOr<at::Tensor> LogDensityOf(const FlowModel& model, int64_t blocks,
                                        const at::Tensor& input,
                                        const LogDensity& log_p0) {
  at::Tensor x = input;
  at::Tensor log_det = at::zeros({input.size(0)}, input.options());
  for (int64_t k = blocks - 1; k >= 0; --k) {
    ASSIGN_OR_RETURN(OdeSolution back, BackwardWithDivergence(model, k, x));
    x = back.x;
    log_det = log_det + back.divergence_integral;
  }
  return log_p0(x) + log_det;
}

}  // namespace

absl::StatusOr<torch::Tensor> LogDensityByChangeOfVariables(
    const FlowModel& model, int64_t blocks, const torch::Tensor& y,
    const LogDensity& log_p0) {
  RETURN_IF_ERROR(CheckRequest(model, blocks, y));
  return GuardTorch("log density", [&]() -> absl::StatusOr<torch::Tensor> {
    c10::AutoGradMode grad_off(false);
    return LogDensityOf(model, blocks, y.to(at::kCPU, at::kDouble), log_p0);
  });
}

absl::StatusOr<torch::Tensor> ScoreByChangeOfVariables(
    const FlowModel& model, int64_t blocks, const torch::Tensor& y,
    const LogDensity& log_p0) {
  RETURN_IF_ERROR(CheckRequest(model, blocks, y));
  return GuardTorch("score", [&]() -> absl::StatusOr<torch::Tensor> {
    c10::AutoGradMode grad_on(true);
    const at::Tensor input =
        y.to(at::kCPU, at::kDouble).detach().requires_grad_(true);
    ASSIGN_OR_RETURN(const at::Tensor log_p,
                     LogDensityOf(model, blocks, input, log_p0));
    return torch::autograd::grad({log_p.sum()}, {input})[0].detach();
  });
}

}  // namespace jkoflow
