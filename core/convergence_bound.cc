#include "core/convergence_bound.h"

#include <ATen/ATen.h>

#include <cmath>

#include "base/status_macros.h"
#include "core/evaluation.h"
#include "core/torch_status.h"

namespace jkoflow {

ConvergenceBound ConvergenceStep(double w2, double h, double residual) {
  if (!(w2 >= 0) || !(h > 0) || !(residual >= 0)) return {};
  return {(w2 + 2 * h * residual) / (1 + h / 2), w2 / (2 * h) + residual};
}

std::vector<ConvergenceBound> ConvergenceCurve(
    double start_w2, const std::vector<double>& steps,
    const std::vector<double>& residuals) {
  std::vector<ConvergenceBound> curve;
  double w2 = start_w2;
  for (size_t k = 0; k < steps.size() && k < residuals.size(); ++k) {
    curve.push_back(ConvergenceStep(w2, steps[k], residuals[k]));
    w2 = curve.back().w2;
  }
  return curve;
}

absl::StatusOr<double> TargetDistance(const torch::Tensor& x,
                                      at::Generator& generator) {
  if (x.dim() != 2 || x.size(0) < 1) {
    return absl::InvalidArgumentError(
        "TargetDistance: x must hold at least 1 point [n, d]");
  }
  return GuardTorch([&]() -> absl::StatusOr<double> {
    const at::Tensor xd = x.to(at::kDouble).cpu();
    ASSIGN_OR_RETURN(
        const double w2,
        W2Distance(xd, at::randn(xd.sizes(), generator, at::kDouble)));
    return w2 * w2;
  });
}

}  // namespace jkoflow
