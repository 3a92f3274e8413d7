#include "core/flow_matching.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>

#include <cmath>

#include "core/progressive_trainer.h"

namespace jkoflow {
namespace {

torch::Tensor Data(uint64_t seed) {
  at::Generator gen = at::detail::createCPUGenerator(seed);
  return 1.0 + 0.5 * at::randn({2000, 2}, gen, torch::kFloat32);
}

TEST(FlowMatchingTest, MethodNamesRoundTrip) {
  for (TrainingMethod m :
       {TrainingMethod::kJko, TrainingMethod::kFlowMatching}) {
    auto parsed = ParseTrainingMethod(TrainingMethodName(m));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, m);
  }
  auto bad = ParseTrainingMethod("diffusion");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("method:"), std::string::npos);
}

TEST(FlowMatchingTest, LossNeedsATimeInput) {
  VelocityField f(VelocityFieldOptions(2).width(8));
  at::Generator gen = at::detail::createCPUGenerator(0);
  EXPECT_FALSE(FlowMatchingLoss(*f, Data(0), gen).ok());
}

// For N(m, s² I) data the optimal field is known in closed form; training
// must get the loss well below an untrained field's, and the trained block
// must carry the data close to N(0, I).
TEST(FlowMatchingTest, TrainsOneBlockThatReachesTheNoise) {
  TrainerOptions options;
  options.method = TrainingMethod::kFlowMatching;
  options.iterations_per_block = 600;
  options.batch_size = 256;
  options.field = VelocityFieldOptions(2).width(32).depth(2);
  options.diagnostic_points = 0;
  options.seed = 3;
  auto trainer = ProgressiveTrainer::Create(options, Data(1));
  ASSERT_TRUE(trainer.ok()) << trainer.status();
  FlowModel model = (*trainer)->NewModel("gaussian");
  ASSERT_TRUE((*trainer)->Train(model).ok());
  ASSERT_EQ(model.num_blocks(), 1);
  EXPECT_TRUE(model.block(0).config().field.time_input());
  EXPECT_EQ(model.block(0).config().steps, options.steps * options.max_blocks);
  auto z = model.MapToNoise(Data(2));
  ASSERT_TRUE(z.ok());
  EXPECT_LT(z->mean(0).abs().max().item<double>(), 0.1);
  EXPECT_NEAR(z->pow(2).mean().item<double>(), 1.0, 0.15);
  // The exact likelihood of a held-out set beats N(0, I) on the raw data by
  // far (the data has mean 1 and scale 0.5).
  auto log_prob = model.LogProb(Data(2));
  ASSERT_TRUE(log_prob.ok());
  const double model_nll = -log_prob->mean().item<double>();
  const double true_nll = 2 * (std::log(0.5) + 0.5 * std::log(2 * M_PI) + 0.5);
  EXPECT_LT(model_nll, true_nll + 0.1);
  bool recorded = false;
  for (const auto& [key, value] : model.provenance().hyperparameters) {
    if (key == "method") recorded = value == "flow_matching";
  }
  EXPECT_TRUE(recorded);
}

}  // namespace
}  // namespace jkoflow
