#ifndef JKOFLOW_CORE_GAUSSIAN_ORACLE_H_
#define JKOFLOW_CORE_GAUSSIAN_ORACLE_H_

#include <vector>

namespace jkoflow {

// GaussianJkoStep is the exact JKO step from N(m, s² I) with V = |x|²/2:
// p' = N(m', s'² I) and the minimal per-block loss over all maps.
struct GaussianJkoStep {
  std::vector<double> mean;  // m' = m / (1 + h)
  double std = 0;            // s' = [s + √(s² + 4h(1 + h))] / (2(1 + h))
  double loss =
      0;  // |m'|²/2 + d s'²/2 − d log(s'/s) + (|m − m'|² + d(s − s')²)/(2h)
};

// ExactGaussianJkoStep() evaluates the closed form above; it expects s > 0
// and h > 0. Example: m = (3, 3), s = 1, h = 0.5 → m' = (2, 2), s' = 1, L = 7.
GaussianJkoStep ExactGaussianJkoStep(const std::vector<double>& mean,
                                     double std, double h);

// DiagonalGaussian is N(mean, diag(std²)).
struct DiagonalGaussian {
  std::vector<double> mean;
  std::vector<double> std;  // > 0, one per coordinate
};

// ExactDiagonalJkoStep() is the exact JKO step (V = |x|²/2) from `p`: the
// problem separates over coordinates, each taking ExactGaussianJkoStep()
// in one dimension.
DiagonalGaussian ExactDiagonalJkoStep(const DiagonalGaussian& p, double h);

// GaussianKl() is KL(p ‖ N(0, I)) = ½ Σ (s² + m² − 1 − log s²).
double GaussianKl(const DiagonalGaussian& p);

// GaussianW2ToStandard() is W2²(p, N(0, I)) = Σ (m² + (s − 1)²).
double GaussianW2ToStandard(const DiagonalGaussian& p);

// GaussianEntropy() is H(p) = ½ Σ log(2πe s²).
double GaussianEntropy(const DiagonalGaussian& p);

}  // namespace jkoflow

#endif  // JKOFLOW_CORE_GAUSSIAN_ORACLE_H_
