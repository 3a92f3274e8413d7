#ifndef JKOFLOW_CORE_STEP_SIZE_H_
#define JKOFLOW_CORE_STEP_SIZE_H_

#include <cstdint>
#include <vector>

namespace jkoflow {

// StepSizeSchedule: h_k = min(h0 ρ^{k−1}, h_max), optionally corrected by the
// adaptive rule that keeps the per-block movement even (docs/design.md §3):
// block k is trained at a proposal, its own movement S_k = E|x_k − x_{k−1}| is
// measured, and while S_k misses the target S̄ (the mean movement of blocks
// 1..k−1) by more than kAdaptiveTolerance the block is retrained at
// CorrectStepSize(), at most kAdaptiveRetries times. Block 1 sets the scale.
struct StepSizeSchedule {
  double h0 = 0.25;
  double rho = 1.4;
  double h_max = 5.0;
  bool adaptive = false;
  double eta = 0.5;
};

// NextStepSize() returns h for the block that follows `previous_h` (the step
// sizes used so far, in order); `mean_displacements` are their S_j =
// E|x_j − x_{j−1}|. Without the adaptive rule, or for the first block, this is
// min(h0 ρ^{k−1}, h_max). With it, the geometric proposal c = min(ρ h_{k−1},
// cap) is corrected towards even movement, cap = AdaptiveStepCap():
//   h_k = min(c + η (S̄ c / S_{k−1} − c), cap),  S̄ = mean_j S_j.
double NextStepSize(const StepSizeSchedule& schedule,
                    const std::vector<double>& previous_h,
                    const std::vector<double>& mean_displacements);

// The adaptive rule never sets h above min(h_max, kAdaptiveMaxStep): the
// seed paper's analysis assumes h ≤ 1, and late in training the target
// S̄ (earlier blocks' mean movement) cannot be met at any h — a block moves
// at most W2(p_k, N(0, I)), which shrinks — so without the cap the rule
// would push h to h_max. A block already at the cap is not retrained.
inline constexpr double kAdaptiveMaxStep = 1.0;

// AdaptiveStepCap() is min(h_max, kAdaptiveMaxStep).
double AdaptiveStepCap(const StepSizeSchedule& schedule);

// The adaptive rule retrains a block whose movement is off the target by
// more than this fraction of it...
inline constexpr double kAdaptiveTolerance = 0.2;
// ...at most this many times per block.
inline constexpr int kAdaptiveRetries = 3;

// CorrectStepSize() is docs/design.md §3's rule for a block trained at `h` that
// moved S = `moved` against the target S̄ = `target` (both > 0):
//   h ← min(h + η (S̄ h / S − h), AdaptiveStepCap()), kept ≥ 1e-6.
double CorrectStepSize(const StepSizeSchedule& schedule, double h,
                       double target, double moved);

// MeanMovement() is S̄, the mean of `mean_displacements` (0 when empty).
double MeanMovement(const std::vector<double>& mean_displacements);

}  // namespace jkoflow

#endif  // JKOFLOW_CORE_STEP_SIZE_H_
