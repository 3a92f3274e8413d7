#ifndef JKOFLOW_CORE_STEP_SIZE_H_
#define JKOFLOW_CORE_STEP_SIZE_H_

#include <cstdint>
#include <vector>

namespace jkoflow {

// StepSizeSchedule: h_k = min(h0 ρ^{k−1}, h_max), optionally corrected by the
// adaptive rule that keeps the per-block movement even.
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
// h_max) is corrected towards even movement:
//   h_k = min(c + η (S̄ c / S_{k−1} − c), h_max),  S̄ = mean_j S_j.
double NextStepSize(const StepSizeSchedule& schedule,
                    const std::vector<double>& previous_h,
                    const std::vector<double>& mean_displacements);

}  // namespace jkoflow

#endif  // JKOFLOW_CORE_STEP_SIZE_H_
