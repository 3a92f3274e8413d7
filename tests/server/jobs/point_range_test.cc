#include "server/jobs/point_range.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <limits>

#include "absl/strings/match.h"

namespace jkoflow {
namespace {

TEST(PointRangeTest, AcceptsPointsUpToTheLimit) {
  // |x|² = 2 · (7e14)² = 9.8e29 ≤ 1e30.
  const torch::Tensor x = torch::tensor({0.f, 0.f, 7e14f, -7e14f}).view({2, 2});
  EXPECT_TRUE(CheckPointRange(x, "points").ok());
  EXPECT_TRUE(CheckSquaredNorm(kMaxSquaredNorm, 0, "points").ok());
}

TEST(PointRangeTest, RefusesARowTooFarOutNamingRowAndLimit) {
  torch::Tensor x = torch::randn({10000, 2}, torch::kFloat32);
  x[1234][0] = 1e20f;
  x[1234][1] = 1e20f;
  const absl::Status s = CheckPointRange(x, "points");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "points: row 1234")) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "1e+30")) << s;
}

TEST(PointRangeTest, RefusesInfinityAndNaN) {
  const float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  EXPECT_FALSE(
      CheckPointRange(torch::tensor({1.f, inf}).view({1, 2}), "x").ok());
  EXPECT_FALSE(
      CheckPointRange(torch::tensor({nan, 1.f}).view({1, 2}), "x").ok());
}

TEST(PointRangeTest, RefusesTensorsItCannotRead) {
  EXPECT_FALSE(
      CheckPointRange(torch::zeros({2, 2}, torch::kFloat64), "x").ok());
  EXPECT_FALSE(CheckPointRange(torch::zeros({4}), "x").ok());
}

}  // namespace
}  // namespace jkoflow
