#include "core/model_score.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cmath>

namespace jkoflow {
namespace {

// log N(x; c, 0.8² I) per row of x [n, 2].
at::Tensor LogStart(const at::Tensor& x) {
  const at::Tensor z = (x - 0.3) / 0.8;
  return -0.5 * z.pow(2).sum(1) - 2 * std::log(0.8) - std::log(2 * M_PI);
}

FlowModel RandomFlow() {
  FlowModel model(2);
  for (int k = 0; k < 2; ++k) {
    JkoBlockConfig config;
    config.steps = 4;
    config.field =
        VelocityFieldOptions(2).width(24).activation(Activation::kTanh);
    auto block = JkoBlock::Create(config, 40 + k);
    EXPECT_TRUE(model.AppendBlock(*block, BlockStats()).ok());
  }
  return model;
}

TEST(ModelScoreTest, WithoutBlocksItIsTheStartingScore) {
  const at::Tensor y = at::randn({50, 2}, at::kDouble);
  auto score = ScoreByChangeOfVariables(RandomFlow(), 0, y, LogStart);
  ASSERT_TRUE(score.ok()) << score.status();
  EXPECT_TRUE(at::allclose(*score, -(y - 0.3) / 0.64, 1e-12, 1e-12));
}

TEST(ModelScoreTest, PushedDensityIntegratesToOne) {
  const FlowModel model = RandomFlow();
  const int64_t n = 240;
  const double lo = -4, hi = 5, cell = (hi - lo) / n;
  const at::Tensor centres =
      at::arange(n, at::kDouble).mul_(cell).add_(lo + cell / 2);
  const auto grid = at::meshgrid({centres, centres}, "ij");
  const at::Tensor points =
      at::stack({grid[0].flatten(), grid[1].flatten()}, 1);
  auto log_p = LogDensityByChangeOfVariables(model, 2, points, LogStart);
  ASSERT_TRUE(log_p.ok()) << log_p.status();
  EXPECT_NEAR(log_p->exp().sum().item<double>() * cell * cell, 1.0, 0.01);
}

TEST(ModelScoreTest, ScoreIsTheGradientOfTheLogDensity) {
  const FlowModel model = RandomFlow();
  const at::Tensor y = at::randn({20, 2}, at::kDouble);
  auto score = ScoreByChangeOfVariables(model, 2, y, LogStart);
  ASSERT_TRUE(score.ok()) << score.status();
  const double delta = 1e-5;
  for (int64_t i = 0; i < 2; ++i) {
    at::Tensor step = at::zeros_like(y);
    step.select(1, i).fill_(delta);
    auto plus = LogDensityByChangeOfVariables(model, 2, y + step, LogStart);
    auto minus = LogDensityByChangeOfVariables(model, 2, y - step, LogStart);
    ASSERT_TRUE(plus.ok() && minus.ok());
    const at::Tensor difference = (*plus - *minus) / (2 * delta);
    EXPECT_TRUE(at::allclose(score->select(1, i), difference, 1e-5, 1e-6)) << i;
  }
}

TEST(ModelScoreTest, RefusesBadRequests) {
  const FlowModel model = RandomFlow();
  EXPECT_FALSE(
      ScoreByChangeOfVariables(model, 3, at::zeros({2, 2}), LogStart).ok());
  EXPECT_FALSE(
      ScoreByChangeOfVariables(model, 1, at::zeros({2, 3}), LogStart).ok());
}

}  // namespace
}  // namespace jkoflow
