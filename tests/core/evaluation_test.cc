#include "core/evaluation.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>
#include <torch/types.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace jkoflow {
namespace {

at::Tensor Randn(std::vector<int64_t> shape, uint64_t seed) {
  at::Generator gen = at::detail::createCPUGenerator(seed);
  return torch::randn(shape, gen, at::kDouble);
}

at::Tensor Rand(std::vector<int64_t> shape, uint64_t seed) {
  at::Generator gen = at::detail::createCPUGenerator(seed);
  return torch::rand(shape, gen, at::kDouble);
}

TEST(MedianPairwiseDistanceTest, SmallExactCases) {
  // Points 0, 1, 3 on a line: distances 1, 2, 3 -> median 2.
  const at::Tensor x = at::tensor({0.0, 1.0, 3.0}, at::kDouble).reshape({3, 1});
  absl::StatusOr<double> m = MedianPairwiseDistance(x, 100, 0);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_NEAR(*m, 2.0, 1e-12);
  // Points 0, 1, 3, 7: distances 1, 3, 7, 2, 6, 4 -> median (3 + 4) / 2.
  const at::Tensor y =
      at::tensor({0.0, 1.0, 3.0, 7.0}, at::kFloat).reshape({4, 1});
  m = MedianPairwiseDistance(y, 100, 0);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_NEAR(*m, 3.5, 1e-6);
  EXPECT_FALSE(MedianPairwiseDistance(x.slice(0, 0, 1), 100, 0).ok());
  EXPECT_FALSE(MedianPairwiseDistance(x, 1, 0).ok());
  EXPECT_FALSE(MedianPairwiseDistance(x.reshape({3}), 100, 0).ok());
}

TEST(MedianPairwiseDistanceTest, SubsamplingIsSeeded) {
  const at::Tensor x = Randn({3000, 2}, 1);
  absl::StatusOr<double> a = MedianPairwiseDistance(x, 500, 3);
  absl::StatusOr<double> b = MedianPairwiseDistance(x, 500, 3);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, *b);
  // Median distance of N(0, I_2) pairs: |a - b| ~ sqrt(2) Rayleigh, median
  // sqrt(2) * sqrt(2 ln 2) = 1.665.
  EXPECT_NEAR(*a, 1.665, 0.08);
}

TEST(GaussianMmdTest, SameDistributionMuchSmallerThanShifted) {
  const at::Tensor x = Randn({1500, 2}, 1);
  const at::Tensor y = Randn({1500, 2}, 2);
  const at::Tensor shift = at::tensor({1.0, 0.0}, at::kDouble);
  absl::StatusOr<double> same = GaussianMmd(x, y, 0);
  absl::StatusOr<double> shifted1 = GaussianMmd(x, y + shift, 0);
  absl::StatusOr<double> shifted2 = GaussianMmd(x, y + 2.0 * shift, 0);
  ASSERT_TRUE(same.ok()) << same.status();
  ASSERT_TRUE(shifted1.ok()) << shifted1.status();
  ASSERT_TRUE(shifted2.ok()) << shifted2.status();
  // Unbiased: the same distribution gives about 0 (either sign).
  EXPECT_LT(std::abs(*same), 1e-3);
  EXPECT_GT(*shifted1, 20.0 * std::abs(*same));
  EXPECT_LT(*shifted1, *shifted2);
}

// For identical samples the U-statistic is 2 (mean_{i≠j} k − 1) / n
// per bandwidth: at most 2/n below zero.
TEST(GaussianMmdTest, IdenticalSamplesGiveAboutZero) {
  const at::Tensor x = Randn({800, 3}, 5);
  absl::StatusOr<double> m = GaussianMmd(x, x, 0);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_LE(*m, 0.0);
  EXPECT_GE(*m, -2.0 / 800);
  // Float32 input takes the same path.
  absl::StatusOr<double> f = GaussianMmd(x.to(at::kFloat), x.to(at::kFloat), 0);
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_NEAR(*f, *m, 1e-9);  // float32 rounding of the inputs
}

TEST(GaussianMmdTest, SeededAndValidated) {
  const at::Tensor x = Randn({3000, 2}, 1);
  const at::Tensor y = Randn({2500, 2}, 2);
  absl::StatusOr<double> a = GaussianMmd(x, y, 9, 1000);
  absl::StatusOr<double> b = GaussianMmd(x, y, 9, 1000);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, *b);
  const auto kInvalid = absl::StatusCode::kInvalidArgument;
  EXPECT_EQ(GaussianMmd(x, Randn({10, 3}, 1), 0).status().code(), kInvalid);
  EXPECT_EQ(GaussianMmd(x, at::zeros({0, 2}), 0).status().code(), kInvalid);
  EXPECT_EQ(GaussianMmd(at::zeros({0, 2}), y, 0).status().code(), kInvalid);
  EXPECT_EQ(GaussianMmd(x, y.reshape({-1}), 0).status().code(), kInvalid);
  at::Tensor bad = y.clone();
  bad[0][0] = std::numeric_limits<double>::quiet_NaN();
  EXPECT_EQ(GaussianMmd(x, bad, 0).status().code(), kInvalid);
}

double BruteForceMin(const at::Tensor& cost) {
  const int64_t n = cost.size(0);
  std::vector<int64_t> p(n);
  std::iota(p.begin(), p.end(), 0);
  const at::Tensor c = cost.contiguous();
  const double* a = c.data_ptr<double>();
  double best = std::numeric_limits<double>::infinity();
  do {
    double s = 0.0;
    for (int64_t i = 0; i < n; ++i) s += a[i * n + p[i]];
    best = std::min(best, s);
  } while (std::next_permutation(p.begin(), p.end()));
  return best;
}

TEST(ExactOtAssignmentTest, MatchesBruteForceOn6x6) {
  for (uint64_t seed = 0; seed < 20; ++seed) {
    // Mix of uniform costs and (for odd seeds) costs with negative entries
    // and a wide range.
    at::Tensor cost = Rand({6, 6}, seed);
    if (seed % 2 == 1) cost = (cost - 0.5) * 1000.0;
    absl::StatusOr<std::vector<int64_t>> perm = ExactOtAssignment(cost);
    ASSERT_TRUE(perm.ok()) << perm.status();
    ASSERT_EQ(perm->size(), 6u);
    std::vector<int64_t> sorted = *perm;
    std::sort(sorted.begin(), sorted.end());
    for (int64_t i = 0; i < 6; ++i) ASSERT_EQ(sorted[i], i) << "not a perm";
    double total = 0.0;
    for (int64_t i = 0; i < 6; ++i) {
      total += cost[i][(*perm)[i]].item<double>();
    }
    EXPECT_NEAR(total, BruteForceMin(cost), 1e-9 * (1.0 + std::abs(total)))
        << "seed " << seed;
  }
}

TEST(ExactOtAssignmentTest, EdgeCasesAndErrors) {
  absl::StatusOr<std::vector<int64_t>> empty =
      ExactOtAssignment(at::zeros({0, 0}));
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_TRUE(empty->empty());
  absl::StatusOr<std::vector<int64_t>> one =
      ExactOtAssignment(at::ones({1, 1}));
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(*one, std::vector<int64_t>{0});
  // Anti-diagonal optimum, integer dtype.
  const at::Tensor c =
      at::tensor({5, 5, 0, 5, 0, 5, 0, 5, 5}, at::kLong).reshape({3, 3});
  absl::StatusOr<std::vector<int64_t>> anti = ExactOtAssignment(c);
  ASSERT_TRUE(anti.ok()) << anti.status();
  EXPECT_EQ(*anti, (std::vector<int64_t>{2, 1, 0}));
  const auto kInvalid = absl::StatusCode::kInvalidArgument;
  EXPECT_EQ(ExactOtAssignment(at::zeros({2, 3})).status().code(), kInvalid);
  EXPECT_EQ(ExactOtAssignment(at::zeros({4})).status().code(), kInvalid);
  at::Tensor nan = at::zeros({3, 3});
  nan[1][2] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_EQ(ExactOtAssignment(nan).status().code(), kInvalid);
  at::Tensor inf = at::zeros({3, 3});
  inf[0][0] = std::numeric_limits<float>::infinity();
  EXPECT_EQ(ExactOtAssignment(inf).status().code(), kInvalid);
}

// For y = x + v the identity matching is optimal (cross terms cancel), so
// W2 = |v| exactly.
TEST(W2DistanceTest, ShiftGivesNormOfShift) {
  const at::Tensor x = Randn({300, 3}, 7);
  const at::Tensor v = at::tensor({0.3, -1.2, 2.0}, at::kDouble);
  const at::Tensor perm = at::flip(at::arange(300, at::kLong), {0});
  // Shuffle y's rows so the solver must find the matching.
  const at::Tensor y = (x + v).index_select(0, perm);
  absl::StatusOr<double> w2 = W2Distance(x, y);
  ASSERT_TRUE(w2.ok()) << w2.status();
  EXPECT_NEAR(*w2, v.norm().item<double>(), 1e-9);
  absl::StatusOr<double> zero = W2Distance(x, x);
  ASSERT_TRUE(zero.ok());
  EXPECT_NEAR(*zero, 0.0, 1e-12);
}

// In 1-D the monotone (sorted) matching is optimal for the squared cost.
TEST(W2DistanceTest, OneDimensionalMatchesSortedMatching) {
  for (uint64_t seed = 0; seed < 5; ++seed) {
    // Float32-representable values: the solver gets them as float32.
    const at::Tensor x = Randn({200, 1}, 100 + seed).to(at::kFloat);
    const at::Tensor y = 2.0 * Rand({200, 1}, 200 + seed) + 0.5;
    const at::Tensor xs = std::get<0>(x.to(at::kDouble).sort(0));
    const at::Tensor ys = std::get<0>(y.sort(0));
    const double expected = std::sqrt((xs - ys).pow(2).mean().item<double>());
    absl::StatusOr<double> w2 = W2Distance(x, y);
    ASSERT_TRUE(w2.ok()) << w2.status();
    EXPECT_NEAR(*w2, expected, 1e-9) << "seed " << seed;
  }
}

TEST(W2DistanceTest, Errors) {
  const auto kInvalid = absl::StatusCode::kInvalidArgument;
  EXPECT_EQ(W2Distance(at::zeros({3, 2}), at::zeros({4, 2})).status().code(),
            kInvalid);
  EXPECT_EQ(W2Distance(at::zeros({3, 2}), at::zeros({3, 3})).status().code(),
            kInvalid);
  EXPECT_EQ(W2Distance(at::zeros({0, 2}), at::zeros({0, 2})).status().code(),
            kInvalid);
  EXPECT_EQ(W2Distance(at::zeros({3}), at::zeros({3})).status().code(),
            kInvalid);
}

}  // namespace
}  // namespace jkoflow
