#include "core/convergence_bound.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/gaussian_oracle.h"

namespace jkoflow {
namespace {

TEST(ConvergenceBoundTest, OneStepIsTheStatedArithmetic) {
  const ConvergenceBound b = ConvergenceStep(4.0, 1.0, 0.5);
  EXPECT_DOUBLE_EQ(b.w2, (4.0 + 2 * 1.0 * 0.5) / 1.5);
  EXPECT_DOUBLE_EQ(b.kl, 4.0 / 2 + 0.5);
  EXPECT_TRUE(std::isnan(ConvergenceStep(-1, 1, 0).w2));
  EXPECT_TRUE(std::isnan(ConvergenceStep(1, 0, 0).kl));
  EXPECT_TRUE(std::isnan(ConvergenceStep(1, 1, std::nan("")).kl));
}

TEST(ConvergenceBoundTest, ANanInputSpoilsThatBlockAndTheRest) {
  const std::vector<ConvergenceBound> curve =
      ConvergenceCurve(9.0, {0.5, 0.5, 0.5}, {0.1, std::nan(""), 0.1});
  ASSERT_EQ(curve.size(), 3u);
  EXPECT_TRUE(std::isfinite(curve[0].kl));
  EXPECT_TRUE(std::isnan(curve[1].kl));
  EXPECT_TRUE(std::isnan(curve[2].w2));
}

TEST(ConvergenceBoundTest, WithoutResidualsItContractsGeometrically) {
  const std::vector<ConvergenceBound> curve = ConvergenceCurve(
      8.0, std::vector<double>(5, 1.0), std::vector<double>(5, 0.0));
  for (size_t k = 0; k < curve.size(); ++k) {
    EXPECT_NEAR(curve[k].w2, 8.0 * std::pow(1.5, -(k + 1.0)), 1e-12);
  }
}

// A JKO step of h' taken where h was asked for: the exact Gaussian step of
// h' is the map, so ξ = (y − T̃y)(1/h − 1/h') and ε² = E|y − T̃y|² (1/h −
// 1/h')², with E|y − T̃y|² the W2² of the step. The bound must hold for the
// exact p_k whatever the start, h and mismatch (h' = h: ε = 0).
TEST(ConvergenceBoundTest, BoundsTheExactGaussianSequence) {
  for (const double m0 : {0.0, 3.0, 10.0}) {
    for (const double s0 : {0.05, 1.0, 5.0}) {
      for (const double h : {0.05, 0.5, 1.0}) {
        for (const double mismatch : {1.0, 0.3, 3.0}) {
          DiagonalGaussian p{{m0, -0.5 * m0}, {s0, 1.7 * s0}};
          double w2 = GaussianW2ToStandard(p);
          for (int k = 1; k <= 30; ++k) {
            const DiagonalGaussian next = ExactDiagonalJkoStep(p, h * mismatch);
            double moved = 0;
            for (size_t i = 0; i < p.mean.size(); ++i) {
              moved += std::pow(p.mean[i] - next.mean[i], 2) +
                       std::pow(p.std[i] - next.std[i], 2);
            }
            const double eps2 = moved * std::pow(1 / h - 1 / (h * mismatch), 2);
            const ConvergenceBound b = ConvergenceStep(w2, h, eps2);
            EXPECT_GE(b.w2, GaussianW2ToStandard(next) * (1 - 1e-12))
                << m0 << " " << s0 << " " << h << " " << mismatch << " " << k;
            EXPECT_GE(b.kl, GaussianKl(next) * (1 - 1e-12))
                << m0 << " " << s0 << " " << h << " " << mismatch << " " << k;
            w2 = b.w2;
            p = next;
          }
        }
      }
    }
  }
}

TEST(ConvergenceBoundTest, TargetDistanceIsNearTheTrueOne) {
  at::Generator draws = at::detail::createCPUGenerator(5);
  at::Generator generator = at::detail::createCPUGenerator(6);
  const at::Tensor z = at::randn({1000, 2}, draws, at::kDouble);
  // Two samples of N(0, I): only sampling keeps them apart.
  absl::StatusOr<double> same = TargetDistance(z, generator);
  ASSERT_TRUE(same.ok()) << same.status();
  EXPECT_GT(*same, 0);
  EXPECT_LT(*same, 0.15);
  // W2²(N(m, I), N(0, I)) = |m|² = 10; the sample means move it by about
  // 2|m| √(2/n) ≈ 0.3 (one s.d.).
  const at::Tensor shift = at::tensor({3.0, -1.0}, at::kDouble);
  absl::StatusOr<double> shifted = TargetDistance(z + shift, generator);
  ASSERT_TRUE(shifted.ok()) << shifted.status();
  EXPECT_NEAR(*shifted, 10.0, 1.0);
  EXPECT_FALSE(TargetDistance(at::zeros({3}), generator).ok());
}

}  // namespace
}  // namespace jkoflow
