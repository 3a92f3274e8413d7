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
// 0 when the condition holds exactly. The estimate is the unbiased
// U-statistic mean_{i≠j} u(y_i, y_j) with
//   u = k(y_i, y_j) [g_i·g_j + (g_j − g_i)·(y_i − y_j)/b² + d/b² − r²/b⁴],
// r = |y_i − y_j|, k = exp(−r²/(2b²)), b² half the median r² (the median
// heuristic); it can come out negative. Its standard error is
// 2 sd_i(mean_{j≠i} u_ij)/√n (the U-statistic's first-order term).
MeanEstimate SteinResidual(const torch::Tensor& y, const torch::Tensor& partner,
                           double h);

}  // namespace jkoflow

#endif  // JKOFLOW_CORE_STEIN_RESIDUAL_H_
