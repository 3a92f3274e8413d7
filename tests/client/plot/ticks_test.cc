#include "client/plot/ticks.h"

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace jkoflow {
namespace {

// True when step is 1, 2 or 5 × 10^k.
bool IsNice(double step) {
  const double mantissa = step / std::pow(10.0, std::floor(std::log10(step)));
  for (const double m : {1.0, 2.0, 5.0, 10.0}) {
    if (std::fabs(mantissa - m) < 1e-9) return true;
  }
  return false;
}

// Compares tick lists to 1e-12 relative: k × step is not exact in binary.
void ExpectTicks(const std::vector<double>& actual,
                 const std::vector<double>& expected) {
  ASSERT_EQ(actual.size(), expected.size());
  for (size_t i = 0; i < actual.size(); ++i) {
    EXPECT_NEAR(actual[i], expected[i], 1e-12 * std::fabs(expected[i]) + 1e-300)
        << "tick " << i;
  }
}

TEST(TicksTest, NiceTicksOfCommonIntervals) {
  ExpectTicks(NiceTicks(0, 1), {0, 0.2, 0.4, 0.6, 0.8, 1});
  ExpectTicks(NiceTicks(-2.63, 2.71), {-2, -1, 0, 1, 2});
  ExpectTicks(NiceTicks(3, 97), {20, 40, 60, 80});
  EXPECT_EQ(NiceStep(0, 1000), 200);
  EXPECT_EQ(NiceStep(0, 0.013), 0.005);
}

TEST(TicksTest, NiceTicksCoverRandomIntervalsWithNiceSteps) {
  std::mt19937 rng(5);
  std::uniform_real_distribution<double> exponent(-6, 6), unit(-1, 1);
  for (int i = 0; i < 2000; ++i) {
    const double scale = std::pow(10.0, exponent(rng));
    double lo = unit(rng) * scale, hi = unit(rng) * scale;
    if (lo > hi) std::swap(lo, hi);
    if (!(hi - lo > 1e-9 * scale)) continue;
    const std::vector<double> ticks = NiceTicks(lo, hi);
    const double step = NiceStep(lo, hi);
    ASSERT_TRUE(IsNice(step)) << lo << " " << hi << " step " << step;
    ASSERT_GE(ticks.size(), 2u) << lo << " " << hi;
    ASSERT_LE(ticks.size(), 6u) << lo << " " << hi;
    // Inside the interval, step apart, and no room for another tick at
    // either end: they cover the data's range.
    EXPECT_GE(ticks.front(), lo - 1e-9 * step);
    EXPECT_LE(ticks.back(), hi + 1e-9 * step);
    EXPECT_LT(ticks.front() - step, lo);
    EXPECT_GT(ticks.back() + step, hi);
    for (size_t t = 1; t < ticks.size(); ++t) {
      EXPECT_NEAR(ticks[t] - ticks[t - 1], step, 1e-9 * step);
    }
  }
}

TEST(TicksTest, DegenerateIntervalsHaveNoTicks) {
  EXPECT_TRUE(NiceTicks(1, 1).empty());
  EXPECT_TRUE(NiceTicks(2, 1).empty());
  EXPECT_TRUE(NiceTicks(0, std::nan("")).empty());
  EXPECT_TRUE(NiceTicks(0, INFINITY).empty());
  EXPECT_TRUE(LogTicks(0, 10).empty());
  EXPECT_TRUE(LogTicks(-1, 10).empty());
}

TEST(TicksTest, LogTicksAreDecades) {
  ExpectTicks(LogTicks(3e-6, 0.04), {1e-5, 1e-4, 1e-3, 1e-2});
  // Thirteen decades: every third one, so that at most six ticks remain.
  const std::vector<double> wide = LogTicks(1e-12, 1.5);
  ASSERT_EQ(wide.size(), 5u);
  EXPECT_EQ(wide.front(), 1e-12);
  EXPECT_NEAR(wide[1] / wide[0], 1000, 1e-6);
  // Under three decades: 1, 2 and 5 × 10^k, else linear.
  ExpectTicks(LogTicks(0.15, 0.6), {0.2, 0.5});
  ExpectTicks(LogTicks(1.3, 300), {2, 5, 10, 20, 50, 100, 200});
  ExpectTicks(LogTicks(0.9, 900), {1, 10, 100});
  EXPECT_GE(LogTicks(2.1, 4.9).size(), 2u);
}

TEST(TicksTest, LabelsHaveJustEnoughDigits) {
  EXPECT_EQ(FormatTick(0.5, 0.5), "0.5");
  EXPECT_EQ(FormatTick(-2, 1), "-2");
  EXPECT_EQ(FormatTick(0.25, 0.05), "0.25");
  EXPECT_EQ(FormatTick(12000, 2000), "12,000");
  EXPECT_EQ(FormatTick(1e-17, 0.2), "0");
  EXPECT_EQ(FormatTick(2e-6, 1e-6), "2×10⁻⁶");
  EXPECT_EQ(FormatTick(3e8, 1e8), "3×10⁸");
  EXPECT_EQ(FormatLogTicks({1e-5, 1e-3, 1e-1, 10}),
            (std::vector<std::string>{"10⁻⁵", "10⁻³", "10⁻¹", "10¹"}));
  EXPECT_EQ(FormatLogTicks({2e-5, 5e-5, 1e-4}),
            (std::vector<std::string>{"2×10⁻⁵", "5×10⁻⁵", "10⁻⁴"}));
  EXPECT_EQ(
      FormatLogTicks({0.01, 0.1, 1, 10, 100, 1000}),
      (std::vector<std::string>{"0.01", "0.1", "1", "10", "100", "1,000"}));
  EXPECT_EQ(FormatLogTicks({2, 5, 10, 20}),
            (std::vector<std::string>{"2", "5", "10", "20"}));
  EXPECT_EQ(Superscript(-12), "⁻¹²");
  EXPECT_EQ(WithThousands(1000), "1,000");
  EXPECT_EQ(WithThousands(-1234567), "-1,234,567");
  EXPECT_EQ(WithThousands(999), "999");
  EXPECT_EQ(GroupThousands("-12345.5"), "-12,345.5");
}

}  // namespace
}  // namespace jkoflow
