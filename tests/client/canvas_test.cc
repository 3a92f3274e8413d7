#include "client/canvas.h"

#include <limits>

#include "gtest/gtest.h"

namespace jkoflow {
namespace {

bool IsWhite(const DensityImage& image, int x, int y) {
  const uint8_t* p = &image.rgb[(y * image.width + x) * 3];
  return p[0] == 255 && p[1] == 255 && p[2] == 255;
}

int NonWhite(const DensityImage& image) {
  int count = 0;
  for (int y = 0; y < image.height; ++y) {
    for (int x = 0; x < image.width; ++x) count += !IsWhite(image, x, y);
  }
  return count;
}

TEST(CanvasTest, BlankImageIsWhite) {
  const DensityImage image = BlankImage(7, 3);
  EXPECT_EQ(image.width, 7);
  EXPECT_EQ(image.height, 3);
  EXPECT_EQ(image.rgb.size(), 7u * 3u * 3u);
  EXPECT_EQ(NonWhite(image), 0);
  EXPECT_TRUE(BlankImage(-1, 5).rgb.empty());
}

TEST(CanvasTest, LinesStayInsideTheirClip) {
  DensityImage image = BlankImage(40, 40);
  const Rect clip = {10, 10, 20, 20};
  DrawLine(image, -100, 20, 100, 20, kBlack, 1, /*dashed=*/false, clip);
  EXPECT_EQ(NonWhite(image), 20);
  EXPECT_FALSE(IsWhite(image, 10, 20));
  EXPECT_FALSE(IsWhite(image, 29, 20));
  EXPECT_TRUE(IsWhite(image, 9, 20));
  EXPECT_TRUE(IsWhite(image, 30, 20));
}

TEST(CanvasTest, DashedLinesHaveGapsAndThickLinesWidth) {
  const Rect all = {0, 0, 40, 40};
  DensityImage dashed = BlankImage(40, 40);
  DrawLine(dashed, 0, 5, 39, 5, kBlack, 1, /*dashed=*/true, all);
  EXPECT_EQ(NonWhite(dashed), 24);  // 6 on, 4 off over 40 pixels
  DensityImage thick = BlankImage(40, 40);
  DrawLine(thick, 0, 5, 39, 5, kBlack, 3, /*dashed=*/false, all);
  EXPECT_EQ(NonWhite(thick), 120);
}

TEST(CanvasTest, NonFiniteOrFarLinesAreSafe) {
  DensityImage image = BlankImage(20, 20);
  const Rect all = {0, 0, 20, 20};
  DrawLine(image, 0, 0, std::numeric_limits<double>::infinity(), 3, kBlack, 2,
           false, all);
  EXPECT_EQ(NonWhite(image), 0);
  DrawLine(image, 5, 5, 1e300, 5, kBlack, 1, false, all);
  EXPECT_EQ(NonWhite(image), 15);
}

TEST(CanvasTest, FrameAndBlit) {
  DensityImage image = BlankImage(30, 30);
  DrawFrame(image, {5, 5, 10, 10}, kBlack);
  EXPECT_EQ(NonWhite(image), 36);
  DensityImage source = BlankImage(2, 2);
  source.rgb[0] = 0;  // top-left pixel: (0, 255, 255)
  DensityImage target = BlankImage(30, 30);
  BlitScaled(target, {10, 10, 8, 8}, source);
  EXPECT_EQ(NonWhite(target), 16);  // a quarter of 8 × 8
  EXPECT_FALSE(IsWhite(target, 10, 10));
  EXPECT_FALSE(IsWhite(target, 13, 13));
  EXPECT_TRUE(IsWhite(target, 14, 14));
}

}  // namespace
}  // namespace jkoflow
