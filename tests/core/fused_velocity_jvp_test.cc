#include "core/fused_velocity_jvp.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>
#include <torch/autograd.h>

#include <string>
#include <vector>

#include "core/divergence.h"
#include "core/velocity_field.h"

namespace jkoflow {
namespace {

struct FusedCase {
  std::string name;
  VelocityFieldOptions field;
  bool shared_tangents;  // exact divergence: eye(d) shared by all points
  int64_t probes;        // per-point tangents otherwise
};

class FusedVelocityJvpTest : public ::testing::TestWithParam<FusedCase> {
 protected:
  void SetUp() override {
    field_ = VelocityField(GetParam().field);
    field_->InitializeParameters(/*seed=*/11);
    at::Generator gen = at::detail::createCPUGenerator(4);
    const int64_t d = GetParam().field.dim();
    // Wide enough that Softplus(20) sees both signs and its saturated tails.
    x_ = at::randn({300, d}, gen, torch::kFloat32) * 2;
    DivergenceOptions divergence;
    if (!GetParam().shared_tangents) {
      divergence = {DivergenceMethod::kHutchinson, GetParam().probes,
                    ProbeDistribution::kGaussian};
    }
    tangents_ = MakeTangents(divergence, x_.size(0), d, x_.options(), gen);
    // Random output weights so every gradient path carries signal.
    gf_ = at::randn({x_.size(0), d}, gen, torch::kFloat32);
    gjvp_ =
        at::randn({x_.size(0), tangents_.size(-2), d}, gen, torch::kFloat32);
  }

  // Loss() and its gradients for x and every parameter, by either path.
  std::vector<torch::Tensor> Gradients(bool fused, torch::Tensor* f,
                                       torch::Tensor* jvp) {
    torch::Tensor x = x_.clone().requires_grad_(true);
    field_->zero_grad();
    auto [v, jv] = fused ? field_->VelocityAndJvp(x, 0.3, tangents_)
                         : field_->VelocityAndJvpReference(x, 0.3, tangents_);
    ((v * gf_).sum() + (jv * gjvp_).sum()).backward();
    *f = v.detach();
    *jvp = jv.detach();
    std::vector<torch::Tensor> grads = {x.grad().clone()};
    for (const auto& p : field_->parameters())
      grads.push_back(p.grad().clone());
    return grads;
  }

  VelocityField field_{VelocityFieldOptions(2)};
  torch::Tensor x_, tangents_, gf_, gjvp_;
};

// Largest |a − b| relative to the largest |b| (float32 tolerance).
double RelativeError(const torch::Tensor& a, const torch::Tensor& b) {
  return (a - b).abs().max().item<double>() /
         std::max(1e-12, b.abs().max().item<double>());
}

TEST_P(FusedVelocityJvpTest, ValuesMatchThePlainPath) {
  torch::NoGradGuard no_grad;
  auto [f, jvp] = field_->VelocityAndJvp(x_, 0.3, tangents_);
  auto [f_ref, jvp_ref] = field_->VelocityAndJvpReference(x_, 0.3, tangents_);
  ASSERT_EQ(f.sizes(), f_ref.sizes());
  ASSERT_EQ(jvp.sizes(), jvp_ref.sizes());
  EXPECT_LT(RelativeError(f, f_ref), 1e-5);
  EXPECT_LT(RelativeError(jvp, jvp_ref), 1e-5);
}

TEST_P(FusedVelocityJvpTest, VelocityMatchesThePlainPath) {
  torch::NoGradGuard no_grad;
  for (int64_t rows : {1, 7, 300, 1000}) {
    const torch::Tensor x = x_.repeat({4, 1}).narrow(0, 0, rows);
    const torch::Tensor f = field_->Velocity(x, 0.7);
    const torch::Tensor f_ref = field_->VelocityReference(x, 0.7);
    ASSERT_EQ(f.sizes(), f_ref.sizes());
    EXPECT_LT(RelativeError(f, f_ref), 1e-5) << rows << " rows";
  }
}

TEST_P(FusedVelocityJvpTest, GradientsMatchThePlainPath) {
  torch::Tensor f, jvp, f_ref, jvp_ref;
  const std::vector<torch::Tensor> fused = Gradients(true, &f, &jvp);
  const std::vector<torch::Tensor> plain = Gradients(false, &f_ref, &jvp_ref);
  EXPECT_LT(RelativeError(f, f_ref), 1e-5);
  EXPECT_LT(RelativeError(jvp, jvp_ref), 1e-5);
  ASSERT_EQ(fused.size(), plain.size());
  for (size_t i = 0; i < fused.size(); ++i) {
    ASSERT_EQ(fused[i].sizes(), plain[i].sizes()) << "gradient " << i;
    EXPECT_LT(RelativeError(fused[i], plain[i]), 1e-4) << "gradient " << i;
  }
}

TEST_P(FusedVelocityJvpTest, FusedPathIsTaken) {
  FusedMlp mlp;
  for (const auto& p : field_->parameters()) {
    (p.dim() == 2 ? mlp.weights : mlp.biases).push_back(p);
  }
  if (GetParam().field.time_input()) {
    mlp.weights[0] = mlp.weights[0].narrow(1, 0, GetParam().field.dim());
  }
  EXPECT_TRUE(CanFuseVelocity(mlp, x_));
  EXPECT_TRUE(CanFuseVelocityAndJvp(mlp, x_, tangents_));
  EXPECT_FALSE(CanFuseVelocityAndJvp(mlp, x_.to(torch::kFloat64), tangents_));
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, FusedVelocityJvpTest,
    ::testing::Values(
        FusedCase{"default_exact", VelocityFieldOptions(2), true, 0},
        FusedCase{"default_hutchinson1", VelocityFieldOptions(2), false, 1},
        FusedCase{"d10_hutchinson3", VelocityFieldOptions(10).width(64), false,
                  3},
        FusedCase{"d5_exact_time_depth1",
                  VelocityFieldOptions(5).width(32).depth(1).time_input(true),
                  true, 0},
        FusedCase{"d3_hutchinson_time_wide",
                  VelocityFieldOptions(3).width(300).time_input(true), false,
                  2}),
    [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace jkoflow
