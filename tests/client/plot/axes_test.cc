#include "client/plot/axes.h"

#include <cmath>

#include "gtest/gtest.h"
#include "tests/client/plot/read_png.h"

namespace jkoflow {
namespace {

TEST(AxesTest, PaddedAxisAddsAMargin) {
  const Axis linear = PaddedAxis(0, 10, false, "x");
  EXPECT_DOUBLE_EQ(linear.lo, -0.5);
  EXPECT_DOUBLE_EQ(linear.hi, 10.5);
  EXPECT_EQ(linear.label, "x");
  const Axis flat = PaddedAxis(4, 4, false, "");
  EXPECT_DOUBLE_EQ(flat.lo, 3.6);
  EXPECT_DOUBLE_EQ(flat.hi, 4.4);
  const Axis zero = PaddedAxis(0, 0, false, "");
  EXPECT_DOUBLE_EQ(zero.lo, -1);
  const Axis log = PaddedAxis(1e-4, 1, true, "");
  EXPECT_TRUE(log.log);
  EXPECT_NEAR(std::log10(log.lo), -4.2, 1e-9);
  EXPECT_NEAR(std::log10(log.hi), 0.2, 1e-9);
  const Axis log_flat = PaddedAxis(10, 10, true, "");
  EXPECT_NEAR(std::log10(log_flat.hi / log_flat.lo), 0.5, 1e-9);
}

TEST(AxesTest, MapPutsYUpAndLogValuesByDecade) {
  const AxesMap map{
      {100, 50, 200, 100}, {0, 10, false, ""}, {1e-3, 1e1, true, ""}};
  EXPECT_DOUBLE_EQ(map.X(0), 100);
  EXPECT_DOUBLE_EQ(map.X(5), 200);
  EXPECT_DOUBLE_EQ(map.Y(1e-3), 150);  // the bottom
  EXPECT_DOUBLE_EQ(map.Y(1e1), 50);    // the top
  EXPECT_DOUBLE_EQ(map.Y(1e-1), 100);
  EXPECT_TRUE(std::isnan(map.Y(0)));
  EXPECT_TRUE(std::isnan(map.Y(-1)));
}

TEST(AxesTest, LabelsGoOutsideTheFrameAndGridLinesInside) {
  absl::StatusOr<Figure> figure = Figure::Create(300, 200);
  ASSERT_TRUE(figure.ok());
  const Rect frame = {kAxesLeftRoom, 10, 200, 140};
  const AxesMap map{frame, {-3, 3, false, "x₁"}, {1e-5, 1, true, "error"}};
  DrawAxes(figure->cr(), map, {/*grid=*/false});
  const Rect inside = {frame.x, frame.y, frame.width, frame.height};
  EXPECT_EQ(CountPixels(*figure, inside, false), 0);
  EXPECT_GT(
      CountPixels(*figure, {0, frame.y, frame.x - 6, frame.height}, false),
      100);  // y tick labels and label
  EXPECT_GT(CountPixels(*figure,
                        {frame.x, frame.y + frame.height + 6, frame.width,
                         kAxesBottomRoom - 6},
                        false),
            100);  // x tick labels and label
  EXPECT_EQ(CountPixels(*figure, {0, 0, 300, 200}, true), 0);  // all grey
  DrawAxes(figure->cr(), map, {/*grid=*/true});
  EXPECT_GT(CountPixels(*figure, inside, false), 0);
}

TEST(AxesTest, TicksFollowTheScale) {
  EXPECT_EQ(AxisTicks({-2.6, 2.6, false, ""}),
            (std::vector<double>{-2, -1, 0, 1, 2}));
  EXPECT_EQ(AxisTicks({0.5e-3, 20, true, ""}),
            (std::vector<double>{1e-3, 1e-2, 1e-1, 1, 10}));
}

}  // namespace
}  // namespace jkoflow
