#include "core/step_size.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace jkoflow {

double NextStepSize(const StepSizeSchedule& schedule,
                    const std::vector<double>& previous_h,
                    const std::vector<double>& mean_displacements) {
  const size_t k = previous_h.size();  // blocks so far
  if (!schedule.adaptive || k == 0 || mean_displacements.size() != k) {
    return std::min(schedule.h0 * std::pow(schedule.rho, k), schedule.h_max);
  }
  const double proposal =
      std::min(schedule.rho * previous_h.back(), AdaptiveStepCap(schedule));
  const double last_s = mean_displacements.back();
  if (!(last_s > 0)) return proposal;
  return CorrectStepSize(schedule, proposal, MeanMovement(mean_displacements),
                         last_s);
}

double CorrectStepSize(const StepSizeSchedule& schedule, double h,
                       double target, double moved) {
  if (!(moved > 0) || !(target > 0)) return h;
  const double corrected = h + schedule.eta * (target * h / moved - h);
  return std::min(std::max(corrected, 1e-6), AdaptiveStepCap(schedule));
}

double AdaptiveStepCap(const StepSizeSchedule& schedule) {
  return std::min(schedule.h_max, kAdaptiveMaxStep);
}

double MeanMovement(const std::vector<double>& mean_displacements) {
  if (mean_displacements.empty()) return 0;
  return std::accumulate(mean_displacements.begin(), mean_displacements.end(),
                         0.0) /
         static_cast<double>(mean_displacements.size());
}

}  // namespace jkoflow
