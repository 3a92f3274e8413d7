#ifndef JKOFLOW_CORE_CONVERGENCE_BOUND_H_
#define JKOFLOW_CORE_CONVERGENCE_BOUND_H_

// The seed paper's convergence of the forward process (Cheng, Lu, Tan,
// Xie, Theorem 4.3) for the target N(0, I) (V = |x|²/2, λ = 1), evaluated
// block by block with measured inputs (docs/numerics.md, "The convergence
// bound").

#include <torch/types.h>

#include <cstdint>
#include <limits>
#include <vector>

#include "absl/status/statusor.h"

namespace jkoflow {

// ConvergenceBound is where the theorem puts p_k after block k.
struct ConvergenceBound {
  double w2 = std::numeric_limits<double>::quiet_NaN();  // ≥ W2²(p_k, q)
  double kl = std::numeric_limits<double>::quiet_NaN();  // ≥ KL(p_k ‖ q)
};

// ConvergenceStep() is block k's step from a bound w2 ≥ W2²(p_{k−1}, q),
// its step size h > 0 and first-order residual ε_k² = residual ≥ 0 (the
// discrete EVI with Young's inequality, docs/numerics.md):
//   W2²(p_k, q) ≤ (w2 + 2 h ε_k²) / (1 + h/2),
//   KL(p_k ‖ q) ≤ w2 / (2h) + ε_k².
// Both NaN unless w2 ≥ 0, h > 0 and residual ≥ 0.
ConvergenceBound ConvergenceStep(double w2, double h, double residual);

// ConvergenceCurve() chains ConvergenceStep() from start_w2 ≥ W2²(p_0, q)
// over the blocks' step sizes and residuals (the same length); a NaN input
// makes that block and every later one NaN.
std::vector<ConvergenceBound> ConvergenceCurve(
    double start_w2, const std::vector<double>& steps,
    const std::vector<double>& residuals);

// TargetDistance() estimates W2²(p, N(0, I)) from points x [n ≥ 1, d] of p:
// the exact assignment between them and n draws of N(0, I) from
// `generator`, mean squared distance of the pairs. Sampling makes it an
// over-estimate on average (two samples of one distribution are apart),
// by more as d grows: a conservative input to an upper bound.
absl::StatusOr<double> TargetDistance(const torch::Tensor& x,
                                      at::Generator& generator);

}  // namespace jkoflow

#endif  // JKOFLOW_CORE_CONVERGENCE_BOUND_H_
