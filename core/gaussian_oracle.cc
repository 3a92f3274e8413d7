#include "core/gaussian_oracle.h"

#include <cmath>

namespace jkoflow {

GaussianJkoStep ExactGaussianJkoStep(const std::vector<double>& mean,
                                     double std, double h) {
  const double d = static_cast<double>(mean.size());
  GaussianJkoStep step;
  step.std = (std + std::sqrt(std * std + 4 * h * (1 + h))) / (2 * (1 + h));
  double mean_sq = 0, shift_sq = 0;
  for (double m : mean) {
    const double next = m / (1 + h);
    step.mean.push_back(next);
    mean_sq += next * next;
    shift_sq += (m - next) * (m - next);
  }
  step.loss = mean_sq / 2 + d * step.std * step.std / 2 -
              d * std::log(step.std / std) +
              (shift_sq + d * (std - step.std) * (std - step.std)) / (2 * h);
  return step;
}

}  // namespace jkoflow
