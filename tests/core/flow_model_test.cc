#include "core/flow_model.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "core/data_transform.h"

namespace jkoflow {
namespace {

// A random 2-block flow whose blocks move points noticeably.
FlowModel RandomFlow(uint64_t seed) {
  FlowModel model(2);
  for (int k = 0; k < 2; ++k) {
    JkoBlockConfig config;
    config.h = 0.5;
    config.steps = 4;
    config.field =
        VelocityFieldOptions(2).width(32).activation(Activation::kTanh);
    auto block = JkoBlock::Create(config, seed + k);
    EXPECT_TRUE(block.ok());
    EXPECT_TRUE(model.AppendBlock(*block, BlockStats()).ok());
  }
  return model;
}

TEST(FlowModelTest, DensityIntegratesToOne) {
  FlowModel model = RandomFlow(21);
  const int64_t n = 400;
  const double lo = -8, hi = 8, cell = (hi - lo) / n;
  torch::Tensor centres =
      torch::arange(n, torch::kFloat64).mul_(cell).add_(lo + cell / 2);
  auto grid = torch::meshgrid({centres, centres}, "ij");
  torch::Tensor points = torch::stack({grid[0].flatten(), grid[1].flatten()}, 1)
                             .to(torch::kFloat32);
  auto log_prob = model.LogProb(points);
  ASSERT_TRUE(log_prob.ok()) << log_prob.status();
  const double mass =
      log_prob->to(torch::kFloat64).exp().sum().item<double>() * cell * cell;
  EXPECT_NEAR(mass, 1.0, 0.01);  // issue bound: 1 ± 0.01
}

TEST(FlowModelTest, LogProbOfEmptyModelIsStandardNormal) {
  FlowModel model(3);
  torch::Tensor x = torch::tensor({{0.0, 0.0, 0.0}, {1.0, 2.0, -1.0}});
  auto log_prob = model.LogProb(x);
  ASSERT_TRUE(log_prob.ok());
  const double c = -1.5 * std::log(2 * M_PI);
  EXPECT_NEAR((*log_prob)[0].item<double>(), c, 1e-6);
  EXPECT_NEAR((*log_prob)[1].item<double>(), c - 3.0, 1e-6);
}

TEST(FlowModelTest, SampleIsSeededAndInvertsMapToNoise) {
  FlowModel model = RandomFlow(3);
  auto a = model.Sample(500, 9), b = model.Sample(500, 9),
       c = model.Sample(500, 10);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_TRUE(torch::equal(*a, *b));
  EXPECT_FALSE(torch::equal(*a, *c));
  auto z = model.MapToNoise(*a);
  ASSERT_TRUE(z.ok());
  auto noise = model.Noise(500, 9);
  ASSERT_TRUE(noise.ok());
  EXPECT_LT((*z - *noise).abs().max().item<double>(), 1e-4);
  auto trajectory = model.SampleTrajectory(500, 9);
  ASSERT_TRUE(trajectory.ok());
  ASSERT_EQ(trajectory->size(), 3u);
  EXPECT_TRUE(torch::equal(trajectory->back(), *a));
}

TEST(FlowModelTest, InversionErrorIsSmall) {
  FlowModel model = RandomFlow(5);
  auto x = model.Noise(1000, 1);
  ASSERT_TRUE(x.ok());
  auto report = model.InversionError(*x);
  ASSERT_TRUE(report.ok());
  ASSERT_EQ(report->per_block.size(), 2u);
  for (double e : report->per_block) EXPECT_LT(e, 1e-8);
  EXPECT_LT(report->end_to_end, 1e-8);
}

TEST(FlowModelTest, HutchinsonLogProbIsUnbiased) {
  FlowModel model = RandomFlow(8);
  torch::Tensor x = torch::tensor({{0.5, -0.3}}).repeat({4000, 1});
  auto exact = model.LogProb(x);
  DivergenceOptions hutchinson{DivergenceMethod::kHutchinson, 1,
                               ProbeDistribution::kRademacher};
  auto estimate = model.LogProb(x, hutchinson, /*probe_seed=*/1);
  ASSERT_TRUE(exact.ok() && estimate.ok());
  const double se = estimate->std().item<double>() / std::sqrt(4000.0);
  EXPECT_NEAR(estimate->mean().item<double>(), (*exact)[0].item<double>(),
              3 * se + 1e-6);
}

TEST(FlowModelTest, HutchinsonStandardErrorIsCalibrated) {
  FlowModel model = RandomFlow(8);
  auto x = model.Sample(2000, 4);
  ASSERT_TRUE(x.ok());
  auto exact = model.LogProb(*x);
  DivergenceOptions hutchinson{DivergenceMethod::kHutchinson, 16,
                               ProbeDistribution::kGaussian};
  auto estimate = model.LogProbWithError(*x, hutchinson, /*probe_seed=*/2);
  auto plain = model.LogProb(*x, hutchinson, /*probe_seed=*/2);
  ASSERT_TRUE(exact.ok() && estimate.ok() && plain.ok());
  // The same probes: the value is LogProb()'s.
  EXPECT_LT((estimate->log_prob - *plain).abs().max().item<double>(), 1e-4);
  ASSERT_TRUE(estimate->std_error.defined());
  ASSERT_EQ(estimate->std_error.size(0), 2000);
  EXPECT_GT(estimate->std_error.min().item<double>(), 0.0);
  // (estimate − exact) / se is Student-t with 15 degrees of freedom:
  // P(|t| > 3) ≈ 0.009 and E t² = 15/13.
  torch::Tensor t =
      ((estimate->log_prob - *exact) / estimate->std_error).to(torch::kFloat64);
  EXPECT_GT((t.abs() < 3).to(torch::kFloat64).mean().item<double>(), 0.97);
  EXPECT_NEAR(t.pow(2).mean().item<double>(), 15.0 / 13.0, 0.35);
  // Exact values and a single probe have no standard error.
  auto exact_estimate = model.LogProbWithError(*x, DivergenceOptions());
  hutchinson.probes = 1;
  auto one_probe = model.LogProbWithError(*x, hutchinson, 2);
  ASSERT_TRUE(exact_estimate.ok() && one_probe.ok());
  EXPECT_FALSE(exact_estimate->std_error.defined());
  EXPECT_FALSE(one_probe->std_error.defined());
}

// A 3-D model whose one block acts on the top two principal directions
// of correlated data; the third stays N(0, 1).
FlowModel ProjectedFlow() {
  at::Generator g = at::detail::createCPUGenerator(12);
  torch::Tensor mix = torch::tensor(
      {{1.0, 0.0, 0.0}, {0.8, 0.6, 0.0}, {0.2, -0.3, 0.5}}, torch::kFloat64);
  torch::Tensor x = torch::matmul(at::randn({500, 3}, g, torch::kFloat64), mix);
  auto transform =
      FitTransform(*ParseTransformSpec("whiten,project=2"), x, 0, nullptr);
  EXPECT_TRUE(transform.ok());
  FlowModel model(3);
  EXPECT_TRUE(model.set_transform(*transform).ok());
  JkoBlockConfig config;
  config.h = 0.5;
  config.steps = 4;
  config.field =
      VelocityFieldOptions(2).width(32).activation(Activation::kTanh);
  auto block = JkoBlock::Create(config, 4);
  EXPECT_TRUE(block.ok());
  EXPECT_TRUE(model.AppendBlock(*block, BlockStats()).ok());
  return model;
}

TEST(FlowModelTest, ProjectedModelIsADensityOnAllDimensions) {
  FlowModel model = ProjectedFlow();
  EXPECT_EQ(model.dim(), 3);
  EXPECT_EQ(model.FlowDim(), 2);
  // Its density integrates to one over the whole space (a 60³ grid).
  const int64_t n = 60;
  const double lo = -5, hi = 5, cell = (hi - lo) / n;
  torch::Tensor centres =
      torch::arange(n, torch::kFloat64).mul_(cell).add_(lo + cell / 2);
  auto grid = torch::meshgrid({centres, centres, centres}, "ij");
  torch::Tensor points =
      torch::stack({grid[0].flatten(), grid[1].flatten(), grid[2].flatten()}, 1)
          .to(torch::kFloat32);
  auto log_prob = model.LogProb(points);
  ASSERT_TRUE(log_prob.ok()) << log_prob.status();
  const double mass = log_prob->to(torch::kFloat64).exp().sum().item<double>() *
                      cell * cell * cell;
  EXPECT_NEAR(mass, 1.0, 0.02);
  // Samples have all three coordinates and map back to their noise; the
  // block leaves the third principal coordinate as it is.
  auto noise = model.Noise(300, 2);
  auto sample = model.Sample(300, 2);
  ASSERT_TRUE(noise.ok() && sample.ok());
  ASSERT_EQ(sample->size(1), 3);
  auto back = model.MapToNoise(*sample);
  ASSERT_TRUE(back.ok());
  EXPECT_LT((*back - *noise).abs().max().item<double>(), 1e-4);
  auto inversion = model.InversionError(*noise);
  ASSERT_TRUE(inversion.ok());
  EXPECT_LT(inversion->end_to_end, 1e-8);
  // A block of the data's full dimension does not fit.
  JkoBlockConfig config;
  config.field = VelocityFieldOptions(3);
  auto wide = JkoBlock::Create(config, 1);
  ASSERT_TRUE(wide.ok());
  EXPECT_FALSE(model.AppendBlock(*wide, BlockStats()).ok());
  EXPECT_FALSE(model.set_transform(DataTransform(3)).ok());
}

TEST(FlowModelTest, RejectsBadPoints) {
  FlowModel model = RandomFlow(1);
  EXPECT_EQ(model.LogProb(torch::zeros({3, 3})).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(model.LogProb(torch::zeros({0, 2})).status().code(),
            absl::StatusCode::kInvalidArgument);
  torch::Tensor bad = torch::zeros({2, 2});
  bad[1][0] = std::numeric_limits<float>::quiet_NaN();
  auto status = model.LogProb(bad).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("NaN"), std::string::npos);
  EXPECT_EQ(model.Sample(0, 1).status().code(),
            absl::StatusCode::kInvalidArgument);
  JkoBlockConfig three_d;
  three_d.field = VelocityFieldOptions(3);
  auto block = JkoBlock::Create(three_d, 1);
  ASSERT_TRUE(block.ok());
  EXPECT_EQ(model.AppendBlock(*block, BlockStats()).code(),
            absl::StatusCode::kInvalidArgument);
}

// With standardisation and whitening and no block, the model is the
// full-covariance Gaussian fitted to the training data.
TEST(FlowModelTest, WhitenedModelWithoutBlocksIsTheGaussianFit) {
  at::Generator g = at::detail::createCPUGenerator(4);
  torch::Tensor z = at::randn({400, 3}, g, torch::kFloat64);
  torch::Tensor mix = torch::tensor(
      {{2.0, 0.0, 0.0}, {1.0, 0.5, 0.0}, {0.3, -0.2, 4.0}}, torch::kFloat64);
  torch::Tensor x = torch::matmul(z, mix.t()) + 3;
  auto spec = ParseTransformSpec("standardize,whiten");
  ASSERT_TRUE(spec.ok());
  auto transform = FitTransform(*spec, x, 0, nullptr);
  ASSERT_TRUE(transform.ok());
  FlowModel model(3, torch::kCPU, torch::kFloat64);
  ASSERT_TRUE(model.set_transform(*transform).ok());
  auto log_prob = model.LogProb(x);
  ASSERT_TRUE(log_prob.ok());
  const torch::Tensor mean = x.mean(0);
  const torch::Tensor centred = x - mean;
  const torch::Tensor cov = torch::matmul(centred.t(), centred) / (400 - 1);
  const torch::Tensor solved =
      torch::linalg_solve(cov, centred.t()).t();  // Σ⁻¹ (x − μ)
  const torch::Tensor expected = -0.5 * (centred * solved).sum(1) -
                                 0.5 * torch::logdet(cov) -
                                 1.5 * std::log(2 * M_PI);
  EXPECT_TRUE(torch::allclose(*log_prob, expected, 1e-9, 1e-9));
  // Samples come back in the data's units: their mean is the data's.
  auto samples = model.Sample(20000, 1);
  ASSERT_TRUE(samples.ok());
  EXPECT_LT((samples->mean(0) - mean).abs().max().item<double>(), 0.1);
  // MapToNoise() and MapToData() are inverses through the transform.
  auto noise = model.MapToNoise(x);
  ASSERT_TRUE(noise.ok());
  auto back = model.MapToData(*noise);
  ASSERT_TRUE(back.ok());
  EXPECT_LT((*back - x).abs().max().item<double>(), 1e-9);
}

TEST(FlowModelTest, TransformOfAnotherDimensionIsRefused) {
  FlowModel model(2);
  EXPECT_FALSE(model.set_transform(DataTransform(3)).ok());
  EXPECT_TRUE(model.set_transform(DataTransform(2)).ok());
}

}  // namespace
}  // namespace jkoflow
