#include "core/velocity_field.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>
#include <torch/utils.h>

#include <cmath>

#include "core/divergence.h"

namespace jkoflow {
namespace {

// Trace of the central finite-difference Jacobian of f at each point.
torch::Tensor FiniteDifferenceTrace(const VelocityFieldImpl& f,
                                    const torch::Tensor& x, double t) {
  const double eps = 1e-6;
  torch::Tensor trace = torch::zeros({x.size(0)}, x.options());
  for (int64_t i = 0; i < x.size(1); ++i) {
    torch::Tensor e = torch::zeros_like(x);
    e.select(1, i).fill_(eps);
    trace +=
        (f.Velocity(x + e, t) - f.Velocity(x - e, t)).select(1, i) / (2 * eps);
  }
  return trace;
}

class VelocityFieldTest
    : public ::testing::TestWithParam<VelocityFieldOptions> {};

TEST_P(VelocityFieldTest, ExactDivergenceMatchesFiniteDifferences) {
  torch::NoGradGuard no_grad;
  VelocityField f(GetParam());
  f->InitializeParameters(/*seed=*/7);
  f->to(torch::kFloat64);
  at::Generator gen = at::detail::createCPUGenerator(3);
  torch::Tensor x = at::randn({50, GetParam().dim()}, gen, torch::kFloat64);
  DivergenceOptions exact;
  torch::Tensor tangents =
      MakeTangents(exact, x.size(0), x.size(1), x.options(), gen);
  auto [v, jv] = f->VelocityAndJvp(x, 0.3, tangents);
  EXPECT_TRUE(torch::allclose(v, f->Velocity(x, 0.3), 0, 1e-12));
  torch::Tensor div = DivergenceFromJvp(exact, tangents, jv);
  torch::Tensor reference = FiniteDifferenceTrace(*f, x, 0.3);
  const double relative =
      ((div - reference).abs() / reference.abs().clamp_min(1e-3))
          .max()
          .item<double>();
  EXPECT_LT(relative, 1e-6);  // tolerance of the issue: 1e-6 relative
}

TEST_P(VelocityFieldTest, HutchinsonMeanWithinThreeStandardErrors) {
  torch::NoGradGuard no_grad;
  VelocityField f(GetParam());
  f->InitializeParameters(/*seed=*/11);
  f->to(torch::kFloat64);
  at::Generator gen = at::detail::createCPUGenerator(5);
  torch::Tensor x = at::randn({4, GetParam().dim()}, gen, torch::kFloat64);
  DivergenceOptions exact;
  torch::Tensor eye = MakeTangents(exact, 4, x.size(1), x.options(), gen);
  torch::Tensor reference =
      DivergenceFromJvp(exact, eye, f->VelocityAndJvp(x, 0.5, eye).second);
  for (ProbeDistribution distribution :
       {ProbeDistribution::kRademacher, ProbeDistribution::kGaussian}) {
    DivergenceOptions hutchinson{DivergenceMethod::kHutchinson, 10000,
                                 distribution};
    torch::Tensor probes =
        MakeTangents(hutchinson, 4, x.size(1), x.options(), gen);
    ASSERT_EQ(probes.sizes(), (std::vector<int64_t>{4, 10000, x.size(1)}));
    torch::Tensor jv = f->VelocityAndJvp(x, 0.5, probes).second;
    torch::Tensor per_probe = (probes * jv).sum(-1);  // [4, 10000]
    torch::Tensor mean = per_probe.mean(1);
    torch::Tensor standard_error = per_probe.std(1) / std::sqrt(10000.0);
    EXPECT_TRUE(torch::allclose(mean, DivergenceFromJvp(hutchinson, probes, jv),
                                0, 1e-9));
    for (int64_t i = 0; i < 4; ++i) {
      EXPECT_LE(std::abs(mean[i].item<double>() - reference[i].item<double>()),
                3 * standard_error[i].item<double>() + 1e-12)
          << "point " << i;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Activations, VelocityFieldTest,
    ::testing::Values(VelocityFieldOptions(2),
                      VelocityFieldOptions(5)
                          .width(32)
                          .activation(Activation::kTanh)
                          .time_input(true),
                      VelocityFieldOptions(3).width(16).depth(2).activation(
                          Activation::kSilu)));

// The hidden-layer trace equals the trace through d unit tangents, for
// every activation, with and without a time input, when width < dim.
TEST(VelocityFieldTest, HiddenTraceMatchesTheTangentTrace) {
  torch::NoGradGuard no_grad;
  for (Activation activation :
       {Activation::kSoftplus, Activation::kTanh, Activation::kSilu}) {
    for (bool time_input : {false, true}) {
      VelocityFieldOptions options = VelocityFieldOptions(24)
                                         .width(8)
                                         .depth(3)
                                         .activation(activation)
                                         .time_input(time_input);
      VelocityField f(options);
      f->InitializeParameters(11);
      f->to(torch::kFloat64);
      ASSERT_TRUE(f->HiddenTraceCheaper());
      at::Generator gen = at::detail::createCPUGenerator(5);
      torch::Tensor x = at::randn({30, 24}, gen, torch::kFloat64);
      auto [v, trace] = f->VelocityAndTrace(x, 0.4);
      const torch::Tensor eye = torch::eye(24, x.options());
      auto [v_ref, jv] = f->VelocityAndJvpReference(x, 0.4, eye);
      EXPECT_TRUE(torch::allclose(v, v_ref, 0, 1e-12));
      EXPECT_TRUE(
          torch::allclose(trace, jv.diagonal(0, 1, 2).sum(-1), 1e-10, 1e-10))
          << ActivationName(activation) << " time_input " << time_input;
    }
  }
}

// VelocityAtTimes() with every row at time t is Velocity(x, t).
TEST(VelocityFieldTest, PerRowTimesMatchOneTime) {
  torch::NoGradGuard no_grad;
  VelocityField f(VelocityFieldOptions(3).width(16).time_input(true));
  f->InitializeParameters(2);
  f->to(torch::kFloat64);
  at::Generator gen = at::detail::createCPUGenerator(1);
  torch::Tensor x = at::randn({20, 3}, gen, torch::kFloat64);
  torch::Tensor t = torch::full({20}, 0.7, torch::kFloat64);
  EXPECT_TRUE(torch::allclose(f->VelocityAtTimes(x, t),
                              f->VelocityReference(x, 0.7), 1e-12, 1e-12));
}

TEST(VelocityFieldOptionsTest, RejectsOutOfRange) {
  EXPECT_FALSE(ValidateVelocityFieldOptions(VelocityFieldOptions(0)).ok());
  EXPECT_FALSE(
      ValidateVelocityFieldOptions(VelocityFieldOptions(2).width(0)).ok());
  EXPECT_FALSE(
      ValidateVelocityFieldOptions(VelocityFieldOptions(2).softplus_beta(-1))
          .ok());
  EXPECT_TRUE(ValidateVelocityFieldOptions(VelocityFieldOptions(2)).ok());
}

TEST(VelocityFieldTest, SeedFixesTheWeights) {
  VelocityField a(VelocityFieldOptions(2)), b(VelocityFieldOptions(2));
  a->InitializeParameters(1);
  b->InitializeParameters(1);
  auto pa = a->parameters(), pb = b->parameters();
  ASSERT_EQ(pa.size(), 8u);  // 4 layers × (weight, bias)
  for (size_t i = 0; i < pa.size(); ++i)
    EXPECT_TRUE(torch::equal(pa[i], pb[i]));
  b->InitializeParameters(2);
  EXPECT_FALSE(torch::equal(a->parameters()[0], b->parameters()[0]));
}

}  // namespace
}  // namespace jkoflow
