#include "core/lr_schedule.h"

#include <gtest/gtest.h>

#include <cmath>

namespace jkoflow {
namespace {

TEST(LrScheduleTest, ConstantIsThePeakEverywhere) {
  LrSchedule s;
  s.kind = LrScheduleKind::kConstant;
  for (int64_t it : {1, 50, 100, 150}) {
    EXPECT_DOUBLE_EQ(LearningRateAt(s, 2e-3, it, 100), 2e-3);
  }
}

TEST(LrScheduleTest, CosineWarmsUpLinearlyThenDecaysToTheFinalRate) {
  LrSchedule s;  // cosine, 5 % warm-up, final 2 % of the peak
  s.warmup_fraction = 0.1;
  s.final_fraction = 0.0;
  const double peak = 1e-2;
  // 10 warm-up iterations of 100: peak · it / 10.
  EXPECT_DOUBLE_EQ(LearningRateAt(s, peak, 1, 100), 1e-3);
  EXPECT_DOUBLE_EQ(LearningRateAt(s, peak, 5, 100), 5e-3);
  EXPECT_DOUBLE_EQ(LearningRateAt(s, peak, 10, 100), peak);
  // Half-way through the 90 decay iterations the rate is half the peak.
  EXPECT_NEAR(LearningRateAt(s, peak, 55, 100), 0.5 * peak, 1e-15);
  EXPECT_NEAR(LearningRateAt(s, peak, 100, 100), 0.0, 1e-15);
  double previous = peak;
  for (int64_t it = 11; it <= 100; ++it) {
    const double rate = LearningRateAt(s, peak, it, 100);
    EXPECT_LE(rate, previous) << it;
    previous = rate;
  }
  s.final_fraction = 0.1;
  EXPECT_NEAR(LearningRateAt(s, peak, 100, 100), 1e-3, 1e-15);
  EXPECT_NEAR(LearningRateAt(s, peak, 250, 100), 1e-3, 1e-15);
}

TEST(LrScheduleTest, ShortBudgetsStillWarmUpOneIteration) {
  LrSchedule s;
  s.warmup_fraction = 0.05;
  s.final_fraction = 0.0;
  EXPECT_DOUBLE_EQ(LearningRateAt(s, 1.0, 1, 3), 1.0);  // warm-up of 1
  EXPECT_NEAR(LearningRateAt(s, 1.0, 3, 3), 0.0, 1e-15);
  EXPECT_TRUE(std::isfinite(LearningRateAt(s, 1.0, 1, 1)));
  s.warmup_fraction = 0.0;
  EXPECT_DOUBLE_EQ(LearningRateAt(s, 1.0, 1, 100),
                   1.0 * 0.5 * (1.0 + std::cos(3.14159265358979323846 / 100)));
}

TEST(LrScheduleTest, ValidatesAndParsesNamingTheField) {
  LrSchedule s;
  s.warmup_fraction = 1.0;
  EXPECT_NE(ValidateLrSchedule(s).message().find("warmup_fraction"),
            std::string::npos);
  s = LrSchedule();
  s.final_fraction = -0.1;
  EXPECT_NE(ValidateLrSchedule(s).message().find("final_lr_fraction"),
            std::string::npos);
  EXPECT_TRUE(ValidateLrSchedule(LrSchedule()).ok());
  for (LrScheduleKind kind :
       {LrScheduleKind::kConstant, LrScheduleKind::kCosine}) {
    EXPECT_EQ(ParseLrScheduleKind(LrScheduleKindName(kind)).value(), kind);
  }
  EXPECT_EQ(ParseLrScheduleKind("linear").status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace jkoflow
