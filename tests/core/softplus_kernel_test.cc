#include "core/softplus_kernel.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>

namespace jkoflow {
namespace {

TEST(SoftplusKernelTest, MatchesLibTorchInFloat32AndFloat64) {
  at::Generator gen = at::detail::createCPUGenerator(1);
  for (auto dtype : {torch::kFloat32, torch::kFloat64}) {
    // Covers both branches, the far tails and an odd length (loop remainder).
    torch::Tensor z = 3 * at::randn({1001, 37}, gen, dtype);
    z[0][0] = 50;
    z[0][1] = -50;
    z[0][2] = 0;
    auto [a, s] = SoftplusAndSlope(z, 20.0);
    // LibTorch returns z itself above βz = 20; the exact tail differs from it
    // by at most e^{-20}/β ≈ 1e-10.
    const double tol = dtype == torch::kFloat32 ? 2e-6 : 2e-10;
    EXPECT_LE((a - torch::softplus(z, 20.0, 20)).abs().max().item<double>(),
              tol);
    EXPECT_LE((s - torch::sigmoid(20.0 * z)).abs().max().item<double>(), tol);
    EXPECT_TRUE(torch::allclose(Softplus(z, 20.0), a, 0, tol));
  }
}

TEST(SoftplusKernelTest, GradientsMatchFiniteDifferences) {
  at::Generator gen = at::detail::createCPUGenerator(2);
  torch::Tensor z =
      (0.2 * at::randn({64}, gen, torch::kFloat64)).requires_grad_();
  torch::Tensor w1 = at::randn({64}, gen, torch::kFloat64);
  torch::Tensor w2 = at::randn({64}, gen, torch::kFloat64);
  auto loss_of = [&](const torch::Tensor& x) {
    auto [a, s] = SoftplusAndSlope(x, 5.0);
    return (a * w1).sum() + (s * w2).sum();
  };
  loss_of(z).backward();
  torch::NoGradGuard no_grad;
  const double eps = 1e-6;
  for (int64_t i = 0; i < 64; i += 7) {
    torch::Tensor up = z.detach().clone(), down = z.detach().clone();
    up[i] += eps;
    down[i] -= eps;
    const double numeric =
        (loss_of(up) - loss_of(down)).item<double>() / (2 * eps);
    EXPECT_NEAR(z.grad()[i].item<double>(), numeric, 1e-6) << i;
  }
}

TEST(SoftplusKernelTest, Float32GradientsMatchLibTorch) {
  at::Generator gen = at::detail::createCPUGenerator(3);
  torch::Tensor z = at::randn({4000}, gen, torch::kFloat32).requires_grad_();
  auto [a, s] = SoftplusAndSlope(z, 20.0);
  (a.sum() + (s * s).sum()).backward();
  torch::Tensor ours = z.grad().clone();
  z.grad().zero_();
  torch::Tensor ref_s = torch::sigmoid(20.0 * z);
  (torch::softplus(z, 20.0, 20).sum() + (ref_s * ref_s).sum()).backward();
  EXPECT_LE((ours - z.grad()).abs().max().item<double>(), 1e-4);
}

}  // namespace
}  // namespace jkoflow
