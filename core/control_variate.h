#ifndef JKOFLOW_CORE_CONTROL_VARIATE_H_
#define JKOFLOW_CORE_CONTROL_VARIATE_H_

// The mean of a per-row quantity with regression control variates whose
// means are known more precisely from other rows (docs/numerics.md,
// "Diagnostics").

#include <torch/types.h>

#include <cstdint>

#include "core/mean_estimate.h"

namespace jkoflow {

// PlainMean() is the mean of values v [m ≥ 2] and its standard error
// sd/√m (sd with m − 1): ControlledMean() without controls.
MeanEstimate PlainMean(const torch::Tensor& v);

// ControlledMean() estimates E[v] from values v [m] at m rows, controls c
// [m, p] at the same rows and the controls at N other rows of the same
// distribution, `reference` [N, p], independent of the m rows:
//   v̄ − β·(c̄ − c̄_ref),  β the least-squares slope of v on c at the m rows.
// Its standard error adds the reference mean's own error to the
// residual's: √(Σ r²/((m − p − 1) m) + βᵀ Σ_ref β / N), r the regression
// residuals, Σ_ref the reference rows' covariance.
// Unbiased up to O(p/m) from the fitted β; where the controls explain
// nothing it is the plain mean with its usual error. Expects m > p + 1,
// N ≥ 2, float64 or float32 tensors on one device.
MeanEstimate ControlledMean(const torch::Tensor& v, const torch::Tensor& c,
                            const torch::Tensor& reference);

// kKernelControls is how many Gaussian-kernel features ControlFeatures()
// adds at most.
inline constexpr int64_t kKernelControls = 64;

// ControlFeatures() are control variates for a smooth function of the
// rows x [n, d] (float64 [n, p]), sized for a mean over m rows: |x|²/2;
// where m > 10 (d + 1) also x itself and exp(−|x − c_j|²/(2b²)) for the
// first min(kKernelControls, m/10 − d − 1) rows c_j of `centres` [≥ 2, d],
// b² the median squared distance from a centre to its nearest other
// centre (local, so that the features follow the function within modes,
// where |x|² and x do not). The same `centres` must serve the rows and
// the reference of ControlledMean().
torch::Tensor ControlFeatures(const torch::Tensor& x,
                              const torch::Tensor& centres, int64_t m);

}  // namespace jkoflow

#endif  // JKOFLOW_CORE_CONTROL_VARIATE_H_
