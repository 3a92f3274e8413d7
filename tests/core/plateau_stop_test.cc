#include "core/plateau_stop.h"

#include <gtest/gtest.h>

#include <limits>

namespace jkoflow {
namespace {

PlateauOptions Options(int64_t every, int64_t window, double tolerance,
                       int64_t min_iterations = 0) {
  PlateauOptions o;
  o.eval_every = every;
  o.window = window;
  o.tolerance = tolerance;
  o.min_iterations = min_iterations;
  return o;
}

TEST(PlateauStopTest, DisabledWhenEvalEveryIsZero) {
  PlateauStop stop(PlateauOptions{});
  EXPECT_FALSE(stop.Enabled());
  EXPECT_FALSE(stop.Due(10));
}

TEST(PlateauStopTest, StopsAfterAWindowWithoutRelativeImprovement) {
  PlateauStop stop(Options(10, 30, 0.01));
  EXPECT_TRUE(stop.Due(20));
  EXPECT_FALSE(stop.Due(25));
  EXPECT_FALSE(stop.Observe(10, 5.0));
  EXPECT_FALSE(stop.Observe(20, 4.0));   // improved: best 4 at 20
  EXPECT_FALSE(stop.Observe(30, 3.97));  // 0.03 < 0.01 · 4: not counted
  EXPECT_FALSE(stop.Observe(40, 3.99));
  EXPECT_TRUE(stop.Observe(50, 3.98));  // 30 iterations since 20
  EXPECT_DOUBLE_EQ(stop.best(), 4.0);
}

TEST(PlateauStopTest, SlowSteadyProgressAddsUpAgainstTheBest) {
  // Each step improves by 0.6, less than the margin 0.1 · |best| ≈ 0.9,
  // so every second step beats the best and the window never runs out.
  PlateauStop stop(Options(1, 2, 0.1));
  double loss = 10.0;
  for (int64_t it = 1; loss > 6; ++it, loss -= 0.6) {
    EXPECT_FALSE(stop.Observe(it, loss)) << it;
  }
  EXPECT_LT(stop.best(), 7.0);
}

TEST(PlateauStopTest, UsesAnAbsoluteFloorNearZeroAndIgnoresNonFinite) {
  PlateauStop stop(Options(1, 2, 0.01, /*min_iterations=*/5));
  EXPECT_FALSE(stop.Observe(1, 0.001));
  // 0.001 → −0.005 is below the floor of 0.01 · max(1, |best|) = 0.01.
  EXPECT_FALSE(stop.Observe(2, -0.005));
  EXPECT_FALSE(stop.Observe(3, std::numeric_limits<double>::quiet_NaN()));
  EXPECT_FALSE(stop.Observe(4, -0.008));  // plateau, but before 5 iterations
  EXPECT_TRUE(stop.Observe(5, -0.009));
  EXPECT_DOUBLE_EQ(stop.best(), 0.001);
}

TEST(PlateauStopTest, ValidatesNamingTheField) {
  EXPECT_NE(ValidatePlateauOptions(Options(-1, 10, 0.1))
                .message()
                .find("plateau_eval_every"),
            std::string::npos);
  EXPECT_NE(ValidatePlateauOptions(Options(10, 5, 0.1))
                .message()
                .find("plateau_window"),
            std::string::npos);
  EXPECT_NE(ValidatePlateauOptions(Options(10, 10, -1))
                .message()
                .find("plateau_tolerance"),
            std::string::npos);
  EXPECT_NE(ValidatePlateauOptions(Options(10, 10, 0.1, -1))
                .message()
                .find("min_iterations"),
            std::string::npos);
  EXPECT_TRUE(ValidatePlateauOptions(Options(10, 10, 0.1)).ok());
}

}  // namespace
}  // namespace jkoflow
