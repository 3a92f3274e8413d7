#include "core/control_variate.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace jkoflow {
namespace {

// Rows of a ~ N(1, 1) with controls (a, a²/2) and values
// v = 3 + 2a + a² + 0.3 ε: E[v] = 3 + 2 + 2 = 7.
struct Rows {
  at::Tensor v, c;
};

Rows Draw(int64_t m, at::Generator& generator) {
  const at::Tensor a = 1 + at::randn({m}, generator, at::kDouble);
  const at::Tensor noise = at::randn({m}, generator, at::kDouble);
  return {3 + 2 * a + a.pow(2) + 0.3 * noise,
          at::stack({a, 0.5 * a.pow(2)}, 1)};
}

TEST(ControlVariateTest, UnbiasedWithACalibratedAndSmallerError) {
  at::Generator generator = at::detail::createCPUGenerator(17);
  std::vector<double> values, errors, plain_errors;
  for (int repeat = 0; repeat < 200; ++repeat) {
    const Rows rows = Draw(400, generator);
    const Rows reference = Draw(20000, generator);
    const MeanEstimate e = ControlledMean(rows.v, rows.c, reference.c);
    values.push_back(e.value);
    errors.push_back(e.std_error);
    plain_errors.push_back(rows.v.std().item<double>() / std::sqrt(400.0));
  }
  const at::Tensor v = at::tensor(values, at::kDouble);
  const double spread = v.std().item<double>();
  const double reported = at::tensor(errors, at::kDouble).mean().item<double>();
  EXPECT_NEAR(v.mean().item<double>(), 7.0, 3 * spread / std::sqrt(200.0));
  EXPECT_GT(reported, 0.8 * spread);
  EXPECT_LT(reported, 1.25 * spread);
  const double plain =
      at::tensor(plain_errors, at::kDouble).mean().item<double>();
  EXPECT_GT(plain, 5 * reported);
}

TEST(ControlVariateTest, ControlsThatExplainNothingLeaveThePlainMean) {
  at::Generator generator = at::detail::createCPUGenerator(3);
  const at::Tensor v = at::randn({2000}, generator, at::kDouble);
  const Rows unrelated = Draw(2000, generator);
  const Rows reference = Draw(20000, generator);
  const MeanEstimate e = ControlledMean(v, unrelated.c, reference.c);
  const double plain_error = v.std().item<double>() / std::sqrt(2000.0);
  EXPECT_NEAR(e.value, v.mean().item<double>(), 2 * plain_error);
  EXPECT_NEAR(e.std_error, plain_error, 0.05 * plain_error);
}

// Points of three well-separated modes in 2-D and a value that is a
// smooth, non-polynomial function of them (as a block's KL decrease is of
// its input), without noise.
at::Tensor Modes(int64_t n, at::Generator& generator) {
  const at::Tensor centre =
      at::tensor({-4.0, 0.0, 4.0}, at::kDouble)
          .index_select(0, at::randint(3, {n}, generator, at::kLong));
  const at::Tensor offset = 0.4 * at::randn({n, 2}, generator, at::kDouble);
  return at::stack({centre + offset.select(1, 0), offset.select(1, 1)}, 1);
}

at::Tensor Value(const at::Tensor& x) {
  return at::sin(3 * x.select(1, 0)) + x.select(1, 1).pow(2) +
         0.3 * x.select(1, 0).abs();
}

TEST(ControlVariateTest, KernelFeaturesFollowASmoothFunctionWithinModes) {
  at::Generator generator = at::detail::createCPUGenerator(29);
  const double truth = Value(Modes(4000000, generator)).mean().item<double>();
  std::vector<double> values, errors, polynomial_errors;
  for (int repeat = 0; repeat < 100; ++repeat) {
    const at::Tensor x = Modes(2000, generator);
    const at::Tensor reference = Modes(40000, generator);
    const at::Tensor v = Value(x);
    const at::Tensor c = ControlFeatures(x, reference, 2000);
    const at::Tensor c_reference = ControlFeatures(reference, reference, 2000);
    const MeanEstimate e = ControlledMean(v, c, c_reference);
    values.push_back(e.value);
    errors.push_back(e.std_error);
    // |x|²/2 and x alone.
    polynomial_errors.push_back(
        ControlledMean(v, c.narrow(1, 0, 3), c_reference.narrow(1, 0, 3))
            .std_error);
  }
  const at::Tensor v = at::tensor(values, at::kDouble);
  const double spread = v.std().item<double>();
  const double reported = at::tensor(errors, at::kDouble).mean().item<double>();
  EXPECT_NEAR(v.mean().item<double>(), truth, 3 * spread / std::sqrt(100.0));
  EXPECT_GT(reported, 0.75 * spread);
  EXPECT_LT(reported, 1.33 * spread);
  const double polynomial =
      at::tensor(polynomial_errors, at::kDouble).mean().item<double>();
  EXPECT_GT(polynomial, 1.5 * reported);
  EXPECT_EQ(ControlFeatures(v.unsqueeze(1), v.unsqueeze(1), 5).size(1), 1);
}

}  // namespace
}  // namespace jkoflow
