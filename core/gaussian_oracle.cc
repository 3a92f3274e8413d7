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

DiagonalGaussian ExactDiagonalJkoStep(const DiagonalGaussian& p, double h) {
  DiagonalGaussian next;
  for (size_t i = 0; i < p.mean.size(); ++i) {
    const GaussianJkoStep step = ExactGaussianJkoStep({p.mean[i]}, p.std[i], h);
    next.mean.push_back(step.mean[0]);
    next.std.push_back(step.std);
  }
  return next;
}

double GaussianKl(const DiagonalGaussian& p) {
  double kl = 0;
  for (size_t i = 0; i < p.mean.size(); ++i) {
    const double var = p.std[i] * p.std[i];
    kl += 0.5 * (var + p.mean[i] * p.mean[i] - 1 - std::log(var));
  }
  return kl;
}

double GaussianW2ToStandard(const DiagonalGaussian& p) {
  double w2 = 0;
  for (size_t i = 0; i < p.mean.size(); ++i) {
    w2 += p.mean[i] * p.mean[i] + (p.std[i] - 1) * (p.std[i] - 1);
  }
  return w2;
}

double GaussianEntropy(const DiagonalGaussian& p) {
  double h = 0;
  for (double s : p.std) h += 0.5 * std::log(2 * M_PI * M_E * s * s);
  return h;
}

}  // namespace jkoflow
