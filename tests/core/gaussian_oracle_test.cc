// Trains one block on Gaussian data and compares it with the closed-form JKO
// step of DESIGN.md §3 (the exact minimiser over all maps). Slow: ~minutes.
#include "core/gaussian_oracle.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>
#include <torch/utils.h>

#include <cmath>
#include <thread>

#include "core/progressive_trainer.h"

namespace jkoflow {
namespace {

TEST(GaussianOracleTest, ClosedFormExample) {
  GaussianJkoStep step = ExactGaussianJkoStep({3, 3}, 1.0, 0.5);
  EXPECT_NEAR(step.mean[0], 2.0, 1e-12);
  EXPECT_NEAR(step.mean[1], 2.0, 1e-12);
  EXPECT_NEAR(step.std, 1.0, 1e-12);
  EXPECT_NEAR(step.loss, 7.0, 1e-12);
  EXPECT_NEAR(ExactGaussianJkoStep({0, 0}, 2.0, 0.5).std,
              (2 + std::sqrt(7.0)) / 3, 1e-12);
}

// TrainOneBlock() fits one block with step size 0.5 to 100,000 points of
// N(mean, std² I) and returns the trained model.
FlowModel TrainOneBlock(double mean, double std, uint64_t seed) {
  torch::set_num_threads(std::max(1u, std::thread::hardware_concurrency()));
  at::Generator gen = at::detail::createCPUGenerator(seed);
  torch::Tensor data = mean + std * at::randn({100000, 2}, gen, torch::kFloat32);
  TrainerOptions options;
  options.max_blocks = 1;
  options.iterations_per_block = 1500;
  options.batch_size = 1000;
  options.learning_rate = 2e-3;
  options.step_size.h0 = 0.5;
  options.field = VelocityFieldOptions(2).width(64);
  options.seed = seed;
  auto trainer = ProgressiveTrainer::Create(options, data);
  EXPECT_TRUE(trainer.ok()) << trainer.status();
  FlowModel model = (*trainer)->NewModel("gaussian");
  EXPECT_TRUE((*trainer)->Train(model).ok());
  EXPECT_EQ(model.num_blocks(), 1);
  return model;
}

TEST(GaussianOracleTest, ShiftedGaussianReachesTheExactStep) {
  FlowModel model = TrainOneBlock(3.0, 1.0, 1);
  // Fresh points, measured after training.
  at::Generator gen = at::detail::createCPUGenerator(99);
  torch::Tensor x = 3.0 + at::randn({100000, 2}, gen, torch::kFloat32);
  auto y = model.MapToNoise(x);
  ASSERT_TRUE(y.ok());
  torch::Tensor m = y->mean(0).to(torch::kFloat64);
  torch::Tensor centred = y->to(torch::kFloat64) - m;
  torch::Tensor cov = torch::matmul(centred.t(), centred) / (x.size(0) - 1);
  EXPECT_NEAR(m[0].item<double>(), 2.0, 0.05);
  EXPECT_NEAR(m[1].item<double>(), 2.0, 0.05);
  EXPECT_NEAR(cov[0][0].item<double>(), 1.0, 0.05);
  EXPECT_NEAR(cov[1][1].item<double>(), 1.0, 0.05);
  EXPECT_NEAR(cov[0][1].item<double>(), 0.0, 0.05);
  torch::NoGradGuard no_grad;
  auto terms = model.block(0).Loss(x, DivergenceOptions(), gen);
  ASSERT_TRUE(terms.ok());
  EXPECT_NEAR(terms->total.item<double>(), 7.0, 0.05);
}

TEST(GaussianOracleTest, WideGaussianContractsToTheExactStd) {
  FlowModel model = TrainOneBlock(0.0, 2.0, 2);
  at::Generator gen = at::detail::createCPUGenerator(98);
  torch::Tensor x = 2.0 * at::randn({100000, 2}, gen, torch::kFloat32);
  auto y = model.MapToNoise(x);
  ASSERT_TRUE(y.ok());
  const double expected = ExactGaussianJkoStep({0, 0}, 2.0, 0.5).std;
  torch::Tensor s = y->to(torch::kFloat64).std(0);
  EXPECT_NEAR(s[0].item<double>(), expected, 0.03);
  EXPECT_NEAR(s[1].item<double>(), expected, 0.03);
}

}  // namespace
}  // namespace jkoflow
