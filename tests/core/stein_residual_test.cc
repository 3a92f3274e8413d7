#include "core/stein_residual.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/gaussian_oracle.h"

namespace jkoflow {
namespace {

// An exact JKO step from N(m, s² I) (the map y = m' + (s'/s)(x − m), whose
// OT partners are the x themselves): ξ is 0 there.
struct ExactStep {
  at::Tensor x, y;
  double h;
  at::Tensor score;  // ∇log p_k(y), p_k = N(m', s'² I)
};

ExactStep Draw(int64_t n, int64_t d, double h, uint64_t seed) {
  at::Generator generator = at::detail::createCPUGenerator(seed);
  const std::vector<double> mean(d, 1.5);
  const double s = 0.7;
  const GaussianJkoStep step = ExactGaussianJkoStep(mean, s, h);
  const at::Tensor m = at::tensor(mean, at::kDouble);
  const at::Tensor x = m + s * at::randn({n, d}, generator, at::kDouble);
  const at::Tensor y =
      at::tensor(step.mean, at::kDouble) + (step.std / s) * (x - m);
  const at::Tensor score =
      (at::tensor(step.mean, at::kDouble) - y) / (step.std * step.std);
  return {x, y, h, score};
}

TEST(SteinResidualTest, ExactStepIsZeroWithinItsError) {
  for (const int64_t d : {2, 5}) {
    const ExactStep step = Draw(800, d, 0.5, 3 + d);
    const MeanEstimate s = SteinResidual(step.y, step.x, step.h);
    EXPECT_LT(std::abs(s.value), 4 * s.std_error) << d;
    EXPECT_GT(s.std_error, 0);
  }
}

TEST(SteinResidualTest, AStepOfTheWrongSizeIsSeen) {
  // The points of a step of h = 0.5 read as if h were 1: ξ ≠ 0.
  const ExactStep step = Draw(800, 2, 0.5, 7);
  const MeanEstimate s = SteinResidual(step.y, step.x, 1.0);
  EXPECT_GT(s.value, 8 * s.std_error);
}

TEST(SteinResidualTest, AgreesWithTheExactScoreFormWithinItsError) {
  // Read with the wrong h, ξ = y + score + (y − x)/h ≠ 0 is known exactly:
  // the score-free U-statistic and the one of k ξ·ξ' estimate the same S².
  for (const int64_t d : {2, 5}) {
    const ExactStep step = Draw(800, d, 0.5, 11 + d);
    const double h = 0.25;
    const at::Tensor xi = step.y + step.score + (step.y - step.x) / h;
    const at::Tensor stein = SteinPairs(step.y, step.x, h);
    const at::Tensor exact = FieldPairs(step.y, xi);
    const MeanEstimate s = UStatistic(stein);
    const MeanEstimate gap = UStatistic(stein - exact);
    EXPECT_GT(s.value, 8 * s.std_error) << d;
    EXPECT_LT(std::abs(gap.value), 3 * gap.std_error) << d;
    EXPECT_LT(std::abs(gap.value), 0.2 * s.value) << d;
    // S ≤ ε: the RKHS norm of ξ is below its L² norm.
    EXPECT_LT(s.value, xi.pow(2).sum(1).mean().item<double>()) << d;
  }
}

TEST(SteinResidualTest, StandardErrorMatchesTheSpreadOfRepeats) {
  std::vector<double> values, errors;
  for (uint64_t seed = 0; seed < 30; ++seed) {
    const ExactStep step = Draw(200, 2, 0.5, 100 + seed);
    const MeanEstimate s = SteinResidual(step.y, step.x, 0.8);
    values.push_back(s.value);
    errors.push_back(s.std_error);
  }
  const at::Tensor v = at::tensor(values, at::kDouble);
  const double spread = v.std().item<double>();
  const double reported = at::tensor(errors, at::kDouble).mean().item<double>();
  EXPECT_GT(reported, spread / 2);
  EXPECT_LT(reported, spread * 2);
}

}  // namespace
}  // namespace jkoflow
