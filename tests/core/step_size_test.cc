#include "core/step_size.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

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

// Late blocks cannot move as much as early ones: the rule asks for more h,
// and gets at most kAdaptiveMaxStep = 1 however large h_max is.
TEST(StepSizeTest, AdaptiveRuleNeverExceedsItsCap) {
  StepSizeSchedule s;
  s.adaptive = true;
  s.h_max = 5;
  EXPECT_DOUBLE_EQ(AdaptiveStepCap(s), 1.0);
  EXPECT_DOUBLE_EQ(NextStepSize(s, {0.8, 0.9}, {3.0, 0.01}), 1.0);
  EXPECT_DOUBLE_EQ(CorrectStepSize(s, 0.9, 2.0, 0.01), 1.0);
  EXPECT_DOUBLE_EQ(CorrectStepSize(s, 1.0, 2.0, 0.01), 1.0);
  s.h_max = 0.7;  // a smaller h_max still wins
  EXPECT_DOUBLE_EQ(CorrectStepSize(s, 0.6, 2.0, 0.01), 0.7);
  s.adaptive = false;  // the geometric schedule keeps h_max
  s.h_max = 5;
  EXPECT_DOUBLE_EQ(
      NextStepSize(s, {0.25, 0.35, 0.49, 0.69, 0.96, 1.34}, {1, 1, 1, 1, 1, 1}),
      std::min(0.25 * std::pow(1.4, 6), 5.0));
}

}  // namespace
}  // namespace jkoflow
