#include "core/rk4.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cmath>

namespace jkoflow {
namespace {

// dx/dt = A x with A = [[0, 1], [−1, 0]] (a rotation): exp(A t) is known.
FieldFn Rotation() {
  return [](const torch::Tensor& x, double, bool) {
    torch::Tensor a = torch::tensor({{0.0, 1.0}, {-1.0, 0.0}}, torch::kFloat64);
    return std::make_pair(torch::matmul(x, a.t()), torch::Tensor());
  };
}

torch::Tensor ExactRotation(const torch::Tensor& x0, double t) {
  torch::Tensor e =
      torch::tensor({{std::cos(t), std::sin(t)}, {-std::sin(t), std::cos(t)}},
                    torch::kFloat64);
  return torch::matmul(x0, e.t());
}

double Error(int64_t steps) {
  torch::Tensor x0 = torch::tensor({{1.0, 0.5}, {-2.0, 1.0}}, torch::kFloat64);
  auto solution = IntegrateRk4(Rotation(), x0, 0.0, 2.0, steps, false);
  EXPECT_TRUE(solution.ok()) << solution.status();
  return (solution->x - ExactRotation(x0, 2.0)).abs().max().item<double>();
}

TEST(Rk4Test, IsFourthOrder) {
  for (int64_t steps : {8, 16, 32}) {
    const double ratio = Error(steps) / Error(2 * steps);
    EXPECT_GE(ratio, 12.0) << "steps " << steps;
    EXPECT_LE(ratio, 20.0) << "steps " << steps;
  }
}

TEST(Rk4Test, BackwardUndoesForward) {
  torch::Tensor x0 = torch::tensor({{1.0, 0.5}}, torch::kFloat64);
  auto forward = IntegrateRk4(Rotation(), x0, 0.0, 1.0, 50, false);
  ASSERT_TRUE(forward.ok());
  auto back = IntegrateRk4(Rotation(), forward->x, 1.0, 0.0, 50, false);
  ASSERT_TRUE(back.ok());
  EXPECT_LT((back->x - x0).abs().max().item<double>(), 1e-8);
}

TEST(Rk4Test, IntegratesDivergenceAlongTheStages) {
  // f = −x in 2-D: div f = −2, so ∫₀¹ div = −2 exactly.
  FieldFn contraction = [](const torch::Tensor& x, double, bool with_div) {
    torch::Tensor div = with_div ? torch::full({x.size(0)}, -2.0, x.options())
                                 : torch::Tensor();
    return std::make_pair(-x, div);
  };
  torch::Tensor x0 = torch::ones({3, 2}, torch::kFloat64);
  auto solution = IntegrateRk4(contraction, x0, 0.0, 1.0, 4, true);
  ASSERT_TRUE(solution.ok());
  EXPECT_NEAR(solution->divergence_integral[0].item<double>(), -2.0, 1e-12);
  EXPECT_NEAR(solution->x[0][0].item<double>(), std::exp(-1.0), 1e-4);
}

TEST(Rk4Test, RejectsNonPositiveSteps) {
  auto solution =
      IntegrateRk4(Rotation(), torch::zeros({1, 2}), 0, 1, 0, false);
  EXPECT_EQ(solution.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(Rk4Test, StopCheckAbortsBetweenSteps) {
  int calls = 0;
  StopCheck stop = [&calls]() {
    return ++calls > 2 ? absl::DeadlineExceededError("deadline")
                       : absl::OkStatus();
  };
  auto solution = IntegrateRk4(
      Rotation(), torch::zeros({1, 2}, torch::kFloat64), 0, 1, 10, false, stop);
  EXPECT_EQ(solution.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(calls, 3);
}

}  // namespace
}  // namespace jkoflow
