#include "core/block_diagnostics.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <string>

#include "core/gaussian_oracle.h"
#include "core/model_store.h"
#include "core/progressive_trainer.h"

namespace jkoflow {
namespace {

// ConstantBlock() is a block whose velocity is the constant `shift`: all
// weights zero but the last bias, so T(x) = x + shift exactly.
JkoBlock ConstantBlock(double shift, int64_t dim = 2) {
  JkoBlockConfig config;
  config.h = 0.5;
  config.steps = 3;
  config.field = VelocityFieldOptions(dim).width(8).depth(2);
  JkoBlock block = JkoBlock::Create(config, 1).value();
  torch::NoGradGuard no_grad;
  auto parameters = block.field()->parameters();
  for (auto& p : parameters) p.zero_();
  parameters.back().fill_(shift);  // the output layer's bias
  return block;
}

TEST(BlockDiagnosticsTest, KernelScoreOfAGaussianPointsInwards) {
  at::Generator gen = at::detail::createCPUGenerator(1);
  const at::Tensor y = 2.0 * at::randn({4000, 2}, gen, at::kDouble);
  const double b = KernelScoreBandwidth(y);
  // Silverman: σ (4 / (4 n))^{1/6} with σ = 2.
  EXPECT_NEAR(b, 2.0 * std::pow(1.0 / 4000, 1.0 / 6), 0.1);
  const at::Tensor score = KernelScore(y, b);
  // The true score is −y/4; the kernel estimate is biased towards 0 (it
  // sees the density smoothed by b) but follows it: regress score on y.
  const double slope =
      (score * y).sum().item<double>() / (y * y).sum().item<double>();
  EXPECT_LT(slope, -0.15);
  EXPECT_GT(slope, -0.3);
}

TEST(BlockDiagnosticsTest, ResidualOfTheExactGaussianStepIsItsFloor) {
  at::Generator gen = at::detail::createCPUGenerator(2);
  const double h = 0.5;
  const at::Tensor x = 3.0 + at::randn({1000, 2}, gen, at::kDouble);
  const GaussianJkoStep step = ExactGaussianJkoStep({3, 3}, 1.0, h);
  const at::Tensor exact =
      at::tensor(step.mean, at::kDouble) + step.std * (x - 3.0);
  std::vector<int64_t> pairing;
  absl::StatusOr<at::Tensor> partner = OtPartners(x, exact, &pairing);
  ASSERT_TRUE(partner.ok()) << partner.status();
  const MeanEstimate floor = FirstOrderResidual(
      exact, *partner, KernelScore(exact, KernelScoreBandwidth(exact)), h);
  EXPECT_GT(floor.std_error, 0);
  // With the exact score (of N(m', s'² I)) only the OT's error remains: none
  // here, as the pairing is the identity.
  const at::Tensor exact_score =
      -(exact - at::tensor(step.mean, at::kDouble)) / (step.std * step.std);
  EXPECT_LT(FirstOrderResidual(exact, *partner, exact_score, h).value, 1e-20);
  // A map that stops halfway violates the first-order condition.
  const at::Tensor half = 0.5 * (x + exact);
  absl::StatusOr<at::Tensor> half_partner = OtPartners(x, half, nullptr);
  ASSERT_TRUE(half_partner.ok());
  const MeanEstimate wrong = FirstOrderResidual(
      half, *half_partner, KernelScore(half, KernelScoreBandwidth(half)), h);
  EXPECT_GT(wrong.value, 10 * floor.value) << "floor " << floor.value;
  // The exact step is a translation: the OT pairing is the identity.
  int64_t fixed = 0;
  for (size_t i = 0; i < pairing.size(); ++i) fixed += pairing[i] == int64_t(i);
  EXPECT_EQ(fixed, 1000);
}

TEST(BlockDiagnosticsTest, TranslationIsOptimalLipschitzOneAndExactInRk4) {
  JkoBlock block = ConstantBlock(0.3);
  at::Generator gen = at::detail::createCPUGenerator(3);
  const at::Tensor x = at::randn({500, 2}, gen, at::kFloat);
  DiagnosticOptions options;
  options.points = 400;
  options.power_iterations = 5;
  absl::StatusOr<BlockDiagnostics> d = DiagnoseBlock(block, x, 7, options);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->points, 400);
  // Central differences in float32: about 1e-4.
  EXPECT_NEAR(d->lipschitz, 1.0, 1e-3);
  EXPECT_NEAR(d->inverse_lipschitz, 1.0, 1e-3);
  EXPECT_NEAR(d->ot_gap, 0.0, 1e-12);
  EXPECT_NEAR(d->discretisation_error, 0.0, 1e-12);
  // A translation has ∂T = I and div f = 0: both log-determinants are 0.
  EXPECT_NEAR(d->log_det_error, 0.0, 1e-12);
  EXPECT_TRUE(std::isfinite(d->first_order_residual));
  EXPECT_GT(d->first_order_residual_std_error, 0);
  EXPECT_TRUE(std::isfinite(d->stein_residual));
  EXPECT_GT(d->stein_residual_std_error, 0);
  EXPECT_TRUE(std::isfinite(d->residual_floor));
  EXPECT_GT(d->score_bandwidth, 0);
}

TEST(BlockDiagnosticsTest, PowerIterationAboveSixteenDimensions) {
  JkoBlock block = ConstantBlock(-0.2, 20);
  at::Generator gen = at::detail::createCPUGenerator(4);
  const at::Tensor x = at::randn({200, 20}, gen, at::kFloat);
  DiagnosticOptions options;
  options.points = 200;
  options.power_iterations = 3;
  absl::StatusOr<BlockDiagnostics> d = DiagnoseBlock(block, x, 7, options);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_NEAR(d->lipschitz, 1.0, 1e-6);
  EXPECT_NEAR(d->inverse_lipschitz, 1.0, 1e-6);
  EXPECT_TRUE(std::isnan(d->log_det_error));  // full Jacobians up to 16
}

TEST(BlockDiagnosticsTest, StopRuleComparesHalfTheMovementOverHSquared) {
  BlockStats stats;
  stats.movement = 0.5;
  stats.relative_movement = 1e-9;  // no longer what the rule reads
  EXPECT_DOUBLE_EQ(StopQuantity(stats, 0.5), 1.0);  // ½ · 0.5 / 0.25
  EXPECT_TRUE(StopRuleMet(stats, 0.5, 1.01));
  EXPECT_FALSE(StopRuleMet(stats, 0.5, 0.99));
  EXPECT_FALSE(StopRuleMet(stats, 0.5, 0));  // 0 disables the rule
  // Certificate() with ε = 0 is the same quantity.
  EXPECT_DOUBLE_EQ(Certificate(stats.movement, 0.5, 0), 1.0);
}

TEST(BlockDiagnosticsTest, CertificateIsTheLogSobolevBound) {
  // ½ (√4 / 2 + √1)² = 2.
  EXPECT_DOUBLE_EQ(Certificate(4, 2, 1), 2.0);
  EXPECT_TRUE(std::isnan(Certificate(4, 2, std::nan(""))));
  EXPECT_TRUE(std::isnan(Certificate(4, 0, 1)));
}

TEST(BlockDiagnosticsTest, RejectsBadOptions) {
  JkoBlock block = ConstantBlock(0.0);
  const at::Tensor x = at::zeros({10, 2});
  DiagnosticOptions options;
  options.points = 1;
  EXPECT_EQ(DiagnoseBlock(block, x, 0, options).status().code(),
            absl::StatusCode::kInvalidArgument);
  options.points = 10;
  options.power_iterations = 0;
  EXPECT_EQ(DiagnoseBlock(block, x, 0, options).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// The data and options of the trained-model tests: two small blocks with
// diagnostics on 300 points.
at::Tensor TwoBlockData() {
  at::Generator gen = at::detail::createCPUGenerator(4);
  return 2.0 + at::randn({3000, 2}, gen, at::kFloat);
}

TrainerOptions TwoBlockOptions() {
  TrainerOptions options;
  options.max_blocks = 2;
  options.iterations_per_block = 60;
  options.batch_size = 256;
  options.field = VelocityFieldOptions(2).width(16).depth(2);
  options.stop_tolerance = 0;
  options.stats_points = 500;
  options.diagnostic_points = 300;
  return options;
}

FlowModel TrainTwoBlocks() {
  auto trainer = ProgressiveTrainer::Create(TwoBlockOptions(), TwoBlockData());
  EXPECT_TRUE(trainer.ok()) << trainer.status();
  FlowModel model = (*trainer)->NewModel("test");
  EXPECT_TRUE((*trainer)->Train(model).ok());
  return model;
}

TEST(BlockDiagnosticsTest, TrainedBlocksCarryDiagnosticsAndATrajectory) {
  const at::Tensor data = TwoBlockData();
  TrainerOptions options = TwoBlockOptions();
  FlowModel model = TrainTwoBlocks();
  ASSERT_EQ(model.num_blocks(), 2);
  for (int64_t k = 0; k < 2; ++k) {
    const BlockDiagnostics& d = model.stats(k).diagnostics;
    EXPECT_EQ(d.points, 300);
    EXPECT_GT(d.lipschitz, 0.5);
    EXPECT_GT(d.inverse_lipschitz, 0.5);
    EXPECT_GE(d.ot_gap, 0);
    EXPECT_GE(d.discretisation_error, 0);
    // RK4's log-determinant against the discrete map's: small, not zero.
    EXPECT_GT(d.log_det_error, 0);
    EXPECT_LT(d.log_det_error, 1e-3);
    EXPECT_TRUE(std::isfinite(d.first_order_residual));
  }
  const std::vector<TrajectoryPoint> trajectory = ModelTrajectory(model);
  ASSERT_EQ(trajectory.size(), 2u);
  const double h1 = model.block(0).config().h;
  const double h2 = model.block(1).config().h;
  EXPECT_DOUBLE_EQ(trajectory[1].step_sum, h1 + h2);
  EXPECT_NEAR(trajectory[1].lipschitz_product,
              model.stats(0).diagnostics.lipschitz *
                  model.stats(1).diagnostics.lipschitz,
              1e-12);
  const double kl1 = model.stats(0).potential + model.stats(0).neg_divergence +
                     std::log(2 * M_PI);
  EXPECT_NEAR(trajectory[0].kl_plus_entropy, kl1, 1e-12);
  EXPECT_FALSE(trajectory[0].step_above_bound);
  // The manifest keeps them.
  const std::string dir =
      (std::filesystem::path(::testing::TempDir()) / "diagnostics_model")
          .string();
  ASSERT_TRUE(SaveModel(model, dir).ok());
  absl::StatusOr<FlowModel> loaded = LoadModel(dir, torch::Device("cpu"));
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  for (int64_t k = 0; k < 2; ++k) {
    const BlockDiagnostics& a = model.stats(k).diagnostics;
    const BlockDiagnostics& b = loaded->stats(k).diagnostics;
    EXPECT_EQ(a.points, b.points);
    for (const BlockDiagnosticField& field : kBlockDiagnosticFields) {
      if (std::isnan(a.*field.member)) {
        EXPECT_TRUE(std::isnan(b.*field.member)) << field.name;
      } else {
        EXPECT_DOUBLE_EQ(a.*field.member, b.*field.member) << field.name;
      }
    }
  }
  std::filesystem::remove_all(dir);
  // Off: no diagnostics.
  options.diagnostic_points = 0;
  options.max_blocks = 1;
  auto quiet = ProgressiveTrainer::Create(options, data);
  ASSERT_TRUE(quiet.ok());
  FlowModel plain = (*quiet)->NewModel("test");
  ASSERT_TRUE((*quiet)->Train(plain).ok());
  EXPECT_EQ(plain.stats(0).diagnostics.points, 0);
}

TEST(BlockDiagnosticsTest, TrajectoryHasPairedDecreasesAndACertificate) {
  FlowModel model = TrainTwoBlocks();
  ASSERT_EQ(model.num_blocks(), 2);
  const std::vector<TrajectoryPoint> trajectory = ModelTrajectory(model);
  // The KL decrease on fixed rows: the trajectory's own difference (exact
  // divergence in 2-D), with a paired error below the unpaired one.
  const BlockStats& second = model.stats(1);
  EXPECT_NEAR(second.kl_decrease,
              trajectory[0].kl_plus_entropy - trajectory[1].kl_plus_entropy,
              1e-4);
  EXPECT_GT(second.kl_decrease_std_error, 0);
  EXPECT_LT(second.kl_decrease_std_error,
            second.kl_decrease_unpaired_std_error);
  EXPECT_DOUBLE_EQ(trajectory[1].certificate,
                   Certificate(second.movement, model.block(1).config().h,
                               second.diagnostics.first_order_residual));
  // Theorem 4.3 starts from W2²(p_0, N(0, I)), measured on block 1 only.
  const double start = model.stats(0).diagnostics.start_distance;
  EXPECT_GT(start, 0);
  EXPECT_TRUE(std::isnan(second.diagnostics.start_distance));
  const std::vector<ConvergenceBound> curve = ConvergenceCurve(
      start, {model.block(0).config().h, model.block(1).config().h},
      {model.stats(0).diagnostics.first_order_residual,
       second.diagnostics.first_order_residual});
  EXPECT_DOUBLE_EQ(trajectory[1].bound.kl, curve[1].kl);
  EXPECT_DOUBLE_EQ(trajectory[1].bound.w2, curve[1].w2);
  EXPECT_LT(trajectory[1].bound.w2, start);
}

}  // namespace
}  // namespace jkoflow
