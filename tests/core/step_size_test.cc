#include "core/step_size.h"

#include <gtest/gtest.h>

namespace jkoflow {
namespace {

TEST(StepSizeTest, GeometricScheduleCappedAtHMax) {
  StepSizeSchedule s;  // h0 = 0.25, ρ = 1.4
  s.h_max = 0.6;
  EXPECT_DOUBLE_EQ(NextStepSize(s, {}, {}), 0.25);
  EXPECT_DOUBLE_EQ(NextStepSize(s, {0.25}, {1.0}), 0.35);
  EXPECT_NEAR(NextStepSize(s, {0.25, 0.35}, {1, 1}), 0.49, 1e-12);
  EXPECT_DOUBLE_EQ(NextStepSize(s, {0.25, 0.35, 0.49}, {1, 1, 1}), 0.6);
}

TEST(StepSizeTest, AdaptiveRuleEvensOutMovement) {
  StepSizeSchedule s;
  s.adaptive = true;
  s.h_max = 10;
  // Even movement: the geometric proposal stands.
  EXPECT_NEAR(NextStepSize(s, {0.25, 0.35}, {1.0, 1.0}), 0.49, 1e-12);
  // The last block moved twice the mean of (1, 3) = 2 → 3 > 2: shrink.
  const double c = 0.49;
  EXPECT_NEAR(NextStepSize(s, {0.25, 0.35}, {1.0, 3.0}),
              c + 0.5 * (2.0 * c / 3.0 - c), 1e-12);
  // It moved less than the mean: grow, but never above h_max.
  EXPECT_GT(NextStepSize(s, {0.25, 0.35}, {3.0, 1.0}), c);
  s.h_max = 0.5;
  EXPECT_DOUBLE_EQ(NextStepSize(s, {0.25, 0.35}, {3.0, 1.0}), 0.5);
}

}  // namespace
}  // namespace jkoflow
