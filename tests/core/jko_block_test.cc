#include "core/jko_block.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>
#include <torch/utils.h>

namespace jkoflow {
namespace {

TEST(JkoBlockTest, InverseUndoesMapInFloat32) {
  torch::NoGradGuard no_grad;
  auto block = JkoBlock::Create(JkoBlockConfig(), /*seed=*/1);  // default block
  ASSERT_TRUE(block.ok()) << block.status();
  at::Generator gen = at::detail::createCPUGenerator(2);
  torch::Tensor x =
      2.0 * at::randn({1000, 2}, gen, torch::kFloat32);  // N(0, 4I)
  auto z = block->Map(x);
  ASSERT_TRUE(z.ok());
  EXPECT_GT((*z - x).abs().max().item<double>(), 1e-2);  // it does move x
  auto back = block->Inverse(*z);
  ASSERT_TRUE(back.ok());
  const double error = (*back - x).abs().max().item<double>();
  EXPECT_LE(error, 1e-4);  // issue bound: max |x − T⁻¹(T(x))| ≤ 1e-4
}

TEST(JkoBlockTest, LossTermsAddUpAndMatchTheirDefinitions) {
  JkoBlockConfig config;
  config.h = 0.5;
  config.field = VelocityFieldOptions(2).width(16);
  auto block = JkoBlock::Create(config, 3);
  ASSERT_TRUE(block.ok());
  at::Generator gen = at::detail::createCPUGenerator(4);
  torch::Tensor x = at::randn({64, 2}, gen, torch::kFloat64);
  block->field()->to(torch::kFloat64);
  auto terms = block->Loss(x, DivergenceOptions(), gen);
  ASSERT_TRUE(terms.ok()) << terms.status();
  torch::NoGradGuard no_grad;
  auto solution = block->MapWithDivergence(x, DivergenceOptions(), gen);
  ASSERT_TRUE(solution.ok());
  const torch::Tensor& y = solution->x;
  EXPECT_NEAR(terms->potential.item<double>(),
              (0.5 * y.pow(2).sum(1)).mean().item<double>(), 1e-12);
  EXPECT_NEAR(terms->neg_divergence.item<double>(),
              -solution->divergence_integral.mean().item<double>(), 1e-12);
  EXPECT_NEAR(terms->movement.item<double>(),
              (y - x).pow(2).sum(1).mean().item<double>() / (2 * 0.5), 1e-12);
  EXPECT_NEAR(terms->total.item<double>(),
              terms->potential.item<double>() +
                  terms->neg_divergence.item<double>() +
                  terms->movement.item<double>(),
              1e-12);
  EXPECT_TRUE(terms->total.requires_grad());
}

TEST(JkoBlockTest, CreateRejectsBadConfig) {
  JkoBlockConfig config;
  config.h = 0;
  EXPECT_EQ(JkoBlock::Create(config, 0).status().code(),
            absl::StatusCode::kInvalidArgument);
  config.h = 0.5;
  config.steps = 0;
  EXPECT_EQ(JkoBlock::Create(config, 0).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(JkoBlockTest, CloneIsIndependent) {
  auto block = JkoBlock::Create(JkoBlockConfig(), 5);
  ASSERT_TRUE(block.ok());
  JkoBlock copy = block->Clone(/*h=*/0.7);
  EXPECT_DOUBLE_EQ(copy.config().h, 0.7);
  torch::NoGradGuard no_grad;
  copy.field()->parameters()[0].add_(1.0);
  EXPECT_FALSE(torch::equal(copy.field()->parameters()[0],
                            block->field()->parameters()[0]));
}

}  // namespace
}  // namespace jkoflow
