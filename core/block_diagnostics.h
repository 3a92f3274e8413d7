#ifndef JKOFLOW_CORE_BLOCK_DIAGNOSTICS_H_
#define JKOFLOW_CORE_BLOCK_DIAGNOSTICS_H_

#include <torch/types.h>

#include <cstdint>
#include <limits>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/convergence_bound.h"
#include "core/flow_model.h"
#include "core/jko_block.h"
#include "core/mean_estimate.h"

namespace jkoflow {

// The per-block checks of the seed paper's assumptions (Cheng, Lu, Tan,
// Xie: convergence of JKO flow models): Assumption 1 (the first-order
// condition holds up to ε_k), Assumption 2 (invertibility, measured by
// BlockStats::inversion_error), lower bounds of the Lipschitz constants of
// T_k and T_k⁻¹ seen at the points (Section 5.2.1), and Assumption 5
// (h_k ≤ 1).

// The range of DiagnosticOptions::points (and of TrainerOptions'
// diagnostic_points, where 0 also means none): at most an n × n exact
// assignment that stays affordable.
inline constexpr int64_t kMinDiagnosticPoints = 2;
inline constexpr int64_t kMaxDiagnosticPoints = 5000;

// DiagnosticOptions says how much DiagnoseBlock() measures.
struct DiagnosticOptions {
  int64_t points = 2000;          // n: the exact OT is an n × n assignment
  int64_t power_iterations = 20;  // for the largest singular values
  // Also estimate W2²(p_{k−1}, N(0, I)) on the points (the trainer asks on
  // block 1, for the convergence bound).
  bool start_distance = false;
};

// ValidateDiagnosticOptions() names the first out-of-range field
// (points in [2, 5000], power_iterations in [1, 1000]).
absl::Status ValidateDiagnosticOptions(const DiagnosticOptions& options);

// DiagnoseBlock() measures `block` (trained, frozen; V = |x|²/2) on x [n, d],
// points of its input distribution p_{k−1}, with y = T_k(x):
// - the first-order residual ε_k² = mean |ξ(y)|² with
//   ξ(y) = y + ∇log p_k(y) + (y − T̃_k(y))/h_k, T̃_k the exact discrete OT
//   map from {y} back to {x} (an n × n assignment, ExactOtAssignment()) and
//   ∇log p_k the leave-one-out Gaussian kernel score of {y}
//   (KernelScoreBandwidth()), and that estimator's value on an exact
//   Gaussian JKO step of the same n, d and h (what the estimator reports
//   when ε = 0 for an isotropic Gaussian p_k: for a multimodal p_k its
//   bias is larger, so this is no floor there); ε²'s standard error;
// - the kernel Stein form of the first-order condition, without a score
//   estimate (core/stein_residual.h), with its standard error;
// - mean |log|det ∂T_k(x)| − ∫div f_k| of the RK4 map for d ≤ 16;
// - mean |T_k(x) − T_OT(x)|² (ot_gap);
// - the largest singular values of ∂T_k at x and of ∂T_k⁻¹ at y: for
//   d ≤ 16 of the full Jacobian by central differences in the block's
//   precision (about 1e-4 relative error in float32); above, by power
//   iteration in float64 (Jacobian-vector products by central differences,
//   vector-Jacobian products by autograd);
// - E|T_k^{S}(x) − T_k^{2S}(x)|² with S the block's RK4 steps (in the
//   block's precision);
// - with options.start_distance, W2²(p_{k−1}, N(0, I)) (TargetDistance()).
// `seed` fixes every random choice. Errors: INVALID_ARGUMENT for bad
// options or fewer than 2 points.
absl::StatusOr<BlockDiagnostics> DiagnoseBlock(
    const JkoBlock& block, const torch::Tensor& x, uint64_t seed,
    const DiagnosticOptions& options = DiagnosticOptions());

// KernelScoreBandwidth() is Silverman's rule for y [n, d]:
// b = σ̄ (4 / ((d + 2) n))^{1/(d + 4)}, σ̄ the mean per-coordinate std.
double KernelScoreBandwidth(const torch::Tensor& y);

// KernelScore() is ∇log p̂(y_i) at every row of y [n, d] (float64) for the
// leave-one-out Gaussian kernel density p̂ of the other rows with
// bandwidth `b`: Σ_{j≠i} w_ij (y_j − y_i) / b², w_i· the kernel weights
// normalised to sum to 1.
torch::Tensor KernelScore(const torch::Tensor& y, double b);

// OtPartners() is T̃(y_j) [n, d] (float64) for samples x of p_{k−1} and y
// of p_k (the same n): the x_i paired with y_j by the exact discrete OT
// between them. `ot_pairing` (may be null) receives the partner of each
// x_i: the index j of y_j = T_OT(x_i).
absl::StatusOr<torch::Tensor> OtPartners(const torch::Tensor& x,
                                         const torch::Tensor& y,
                                         std::vector<int64_t>* ot_pairing);

// FirstOrderResidual() is ε² = mean |ξ|², ξ = y + score + (y − partner)/h,
// for y [n, d], its T̃ partners (OtPartners()) and a score ∇log p_k(y)
// [n, d] (KernelScore(), or an exact one where p_k is known), with the
// standard error of that mean (sd/√n; the points' OT partners and kernel
// scores are not independent, so it is a guide, not an exact error).
MeanEstimate FirstOrderResidual(const torch::Tensor& y,
                                const torch::Tensor& partner,
                                const torch::Tensor& score, double h);

// kTheoryStepBound is the largest step size the seed paper's convergence
// analysis assumes (Assumption 5, Section 4: h_k ≤ 1; other bounds change
// only its constants).
inline constexpr double kTheoryStepBound = 1.0;

// TrajectoryPoint is where the model stands after block k.
struct TrajectoryPoint {
  double step_sum = 0;  // Σ_{j≤k} h_j
  // KL(p_k ‖ N(0, I)) + H(p_0), H the entropy of the data: from the
  // stored terms, E|y_k|²/2 + Σ_{j≤k} (−E∫div f_j) + (d/2) log 2π.
  double kl_plus_entropy = 0;
  // Π_{j≤k} of the blocks' Lipschitz lower bounds (NaN when not measured):
  // a product of lower bounds, which bounds nothing.
  double lipschitz_product = 0;
  double inverse_lipschitz_product = 0;
  bool step_above_bound = false;  // h_k > kTheoryStepBound
  // The log-Sobolev certificate KL(p_k ‖ N(0, I)) ≤ ½ I(p_k) ≤ ½ (√W_k/h_k
  // + ε_k)²: ξ = (y + ∇log p_k) + (y − T̃y)/h gives √I ≤ ε_k + W2/h_k and
  // W2² ≤ W_k = E|T_k(x) − x|². NaN without ε_k; as good as ε_k's estimate.
  double certificate = std::numeric_limits<double>::quiet_NaN();
  // The seed paper's Theorem 4.3 after block k (ConvergenceCurve() from
  // block 1's start_distance with each block's h_j and ε_j²): bounds on
  // W2²(p_k, N(0, I)) and KL(p_k ‖ N(0, I)); NaN where an input is missing.
  ConvergenceBound bound;
};

// StopQuantity() is ½ W_k / h_k², W_k = stats.movement: the movement's
// share of the log-Sobolev certificate (Certificate() with ε = 0), i.e.
// half the relative Fisher information's proxy |(T(x) − x)/h|², in nats
// of the KL bound. Unlike W_k / E|T(x)|² it does not shrink as d grows or
// as h does; the stop rule compares it with the tolerance.
double StopQuantity(const BlockStats& stats, double h);

// StopRuleMet() is true when tolerance > 0 and StopQuantity() is below it:
// adding blocks stops after this one.
bool StopRuleMet(const BlockStats& stats, double h, double tolerance);

// Certificate() is ½ (√movement / h + √residual)² (TrajectoryPoint), NaN
// unless movement ≥ 0, h > 0 and residual (ε²) ≥ 0.
double Certificate(double movement, double h, double residual);

// ModelTrajectory() is the trajectory of `model`, one point per block.
std::vector<TrajectoryPoint> ModelTrajectory(const FlowModel& model);

}  // namespace jkoflow

#endif  // JKOFLOW_CORE_BLOCK_DIAGNOSTICS_H_
