#include "client/line_panel.h"

#include <limits>

#include "gtest/gtest.h"

namespace jkoflow {
namespace {

constexpr Rgb kRed = {220, 20, 20};
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

int CountColour(const DensityImage& image, Rgb colour) {
  int count = 0;
  for (size_t i = 0; i < image.rgb.size(); i += 3) {
    count += image.rgb[i] == colour.r && image.rgb[i + 1] == colour.g &&
             image.rgb[i + 2] == colour.b;
  }
  return count;
}

bool WhiteOutside(const DensityImage& image, const Rect& area) {
  for (int y = 0; y < image.height; ++y) {
    for (int x = 0; x < image.width; ++x) {
      if (x >= area.x && x < area.x + area.width && y >= area.y &&
          y < area.y + area.height) {
        continue;
      }
      const uint8_t* p = &image.rgb[(y * image.width + x) * 3];
      if (p[0] != 255 || p[1] != 255 || p[2] != 255) return false;
    }
  }
  return true;
}

LinePanel Panel(std::vector<double> y, bool log_y) {
  Series series{"SERIES", kRed, {}, std::move(y), false};
  for (size_t i = 0; i < series.y.size(); ++i) series.x.push_back(i + 1);
  return {"A TITLE", "BLOCK", log_y, {series}};
}

TEST(LinePanelTest, FormatsAxisValues) {
  EXPECT_EQ(FormatAxisValue(1.234e-5), "1.23E-05");
  EXPECT_EQ(FormatAxisValue(-0.5), "-0.5");
  EXPECT_EQ(FormatAxisValue(12), "12");
}

TEST(LinePanelTest, DrawsTheSeriesOnlyInsideItsArea) {
  DensityImage image = BlankImage(500, 400);
  const Rect area = {50, 40, 400, 300};
  DrawLinePanel(image, area, Panel({1, 3, 2, 5}, /*log_y=*/false));
  EXPECT_GT(CountColour(image, kRed), 50);
  EXPECT_TRUE(WhiteOutside(image, area));
}

TEST(LinePanelTest, SkippedPointsBreakTheLine) {
  // Two kept points with a gap between them draw only their markers.
  DensityImage gap = BlankImage(400, 300);
  DrawLinePanel(gap, {0, 0, 400, 300}, Panel({1, kNaN, 1}, false));
  DensityImage joined = BlankImage(400, 300);
  DrawLinePanel(joined, {0, 0, 400, 300}, Panel({1, 1, 1}, false));
  EXPECT_GT(CountColour(gap, kRed), 0);
  EXPECT_LT(CountColour(gap, kRed) * 4, CountColour(joined, kRed));
}

TEST(LinePanelTest, LogAxisWithoutPositiveValuesSaysNoData) {
  DensityImage image = BlankImage(400, 300);
  const Rect area = {0, 0, 400, 300};
  DrawLinePanel(image, area, Panel({0, -1, kNaN}, /*log_y=*/true));
  // Only the legend swatch: 12 pixels long, drawn with a 2 × 2 brush.
  EXPECT_EQ(CountColour(image, kRed), 2 * 13);
  DensityImage linear = BlankImage(400, 300);
  DrawLinePanel(linear, area, Panel({0, -1, kNaN}, /*log_y=*/false));
  EXPECT_GT(CountColour(linear, kRed), 2 * 13);
}

TEST(LinePanelTest, TinyAreasAreSafe) {
  DensityImage image = BlankImage(30, 30);
  DrawLinePanel(image, {0, 0, 30, 30}, Panel({1, 2}, true));
  DrawTextPanel(image, {0, 0, 30, 30}, "TITLE", {"LINE"});
  EXPECT_EQ(image.rgb.size(), 30u * 30u * 3u);
}

}  // namespace
}  // namespace jkoflow
