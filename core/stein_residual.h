#ifndef JKOFLOW_CORE_STEIN_RESIDUAL_H_
#define JKOFLOW_CORE_STEIN_RESIDUAL_H_

// The first-order condition of a JKO step in kernel Stein form
// (docs/numerics.md, "Diagnostics"): no score estimate, so no bandwidth
// floor.

#include <torch/types.h>

#include "core/mean_estimate.h"

namespace jkoflow {

// SteinResidual() estimates S² = sup_{‖φ‖_H ≤ 1} (E[g·φ − div φ])² over the
// unit ball of the Gaussian kernel's RKHS, g(y) = y + (y − T̃(y))/h, from
// points y [n ≥ 2, d] of p_k and their partners T̃(y) (OtPartners()). By
// Stein's identity E[∇log p_k · φ] = −E[div φ], so E[g·φ − div φ] =
// E[ξ·φ]: S is the first-order residual ξ seen through smooth test fields,
// 0 when the condition holds exactly, and S ≤ ε = √E|ξ|² (k ≤ 1): a lower
// bound of ε, not an estimate of it. The estimate is the unbiased
// U-statistic UStatistic(SteinPairs()); it can come out negative.
MeanEstimate SteinResidual(const torch::Tensor& y, const torch::Tensor& partner,
                           double h);

// SteinPairs() is the U-statistic's kernel matrix u [n, n] (float64, zero
// diagonal) for SteinResidual():
//   u_ij = k(y_i, y_j) [g_i·g_j + (g_j − g_i)·(y_i − y_j)/b² + d/b² − r²/b⁴],
// r = |y_i − y_j|, k = exp(−r²/(2b²)), b² half the median r² (the median
// heuristic).
torch::Tensor SteinPairs(const torch::Tensor& y, const torch::Tensor& partner,
                         double h);

// FieldPairs() is k(y_i, y_j) ξ_i·ξ_j [n, n] (float64, zero diagonal) for a
// residual field ξ [n, d] known at the points (where the score is known,
// as in the Gaussian oracle): with the kernel of SteinPairs(), the
// U-statistics of both estimate the same S², so their difference
// (UStatistic(SteinPairs() − FieldPairs())) has mean 0.
torch::Tensor FieldPairs(const torch::Tensor& y, const torch::Tensor& field);

// UStatistic() is mean_{i≠j} u_ij for a symmetric kernel matrix u [n ≥ 2,
// n] with zero diagonal, and its standard error 2 sd_i(mean_{j≠i} u_ij)/√n
// (the U-statistic's first-order term).
MeanEstimate UStatistic(const torch::Tensor& pairs);

}  // namespace jkoflow

#endif  // JKOFLOW_CORE_STEIN_RESIDUAL_H_
