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
  const double proposal = std::min(schedule.rho * previous_h.back(),
                                   schedule.h_max);
  const double mean_s =
      std::accumulate(mean_displacements.begin(), mean_displacements.end(),
                      0.0) /
      static_cast<double>(k);
  const double last_s = mean_displacements.back();
  if (!(last_s > 0)) return proposal;
  const double h =
      proposal + schedule.eta * (mean_s * proposal / last_s - proposal);
  return std::min(std::max(h, 1e-6), schedule.h_max);
}

}  // namespace jkoflow
