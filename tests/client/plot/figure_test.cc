#include "client/plot/figure.h"

#include <string>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "tests/client/plot/read_png.h"

namespace jkoflow {
namespace {

TEST(FigureTest, StartsWhiteAndRefusesBadSizes) {
  absl::StatusOr<Figure> figure = Figure::Create(7, 3);
  ASSERT_TRUE(figure.ok()) << figure.status();
  EXPECT_EQ(figure->width(), 7);
  EXPECT_EQ(figure->height(), 3);
  EXPECT_EQ(CountPixels(*figure, {0, 0, 7, 3}, false), 0);
  for (const auto& [w, h] : {std::pair{0, 5}, {5, -1}, {9000, 5}}) {
    EXPECT_EQ(Figure::Create(w, h).status().code(),
              absl::StatusCode::kInvalidArgument)
        << w << " x " << h;
  }
}

TEST(FigureTest, DrawPixmapScalesWithSharpBlocks) {
  absl::StatusOr<Figure> figure = Figure::Create(10, 10);
  ASSERT_TRUE(figure.ok());
  // 2 × 1 pixels, red and blue, onto 8 × 4 screen pixels at (1, 2).
  DrawPixmap(figure->cr(), {1, 2, 8, 4}, {2, 1, {0xFF0000, 0x0000FF}});
  const Rgb8 red = figure->Pixel(4, 5), blue = figure->Pixel(5, 2);
  EXPECT_EQ(red.r, 255);
  EXPECT_EQ(red.b, 0);
  EXPECT_EQ(blue.b, 255);
  EXPECT_EQ(blue.r, 0);
  EXPECT_TRUE(figure->Pixel(0, 2).IsWhite());
  EXPECT_TRUE(figure->Pixel(9, 2).IsWhite());
  EXPECT_TRUE(figure->Pixel(4, 6).IsWhite());
  EXPECT_EQ(CountPixels(*figure, {0, 0, 10, 10}, false), 32);
  // A pixmap whose values do not match its size draws nothing.
  DrawPixmap(figure->cr(), {0, 0, 10, 10}, {3, 3, {0}});
  EXPECT_EQ(CountPixels(*figure, {0, 0, 10, 10}, false), 32);
}

TEST(FigureTest, WritesAPngAtomically) {
  absl::StatusOr<Figure> figure = Figure::Create(6, 4);
  ASSERT_TRUE(figure.ok());
  DrawPixmap(figure->cr(), {0, 0, 3, 4}, {1, 1, {0x102030}});
  const std::string path = TempPath("figure.png");
  ASSERT_TRUE(figure->WritePng(path).ok());
  const PngPixels png = ReadPng(path);
  ASSERT_EQ(png.width, 6);
  ASSERT_EQ(png.height, 4);
  EXPECT_TRUE(png.opaque_rgb);
  EXPECT_EQ(png.xrgb[0], 0x102030u);
  EXPECT_EQ(png.xrgb[5], 0xFFFFFFu);
  const absl::Status missing = figure->WritePng(TempPath("no/dir/f.png"));
  EXPECT_FALSE(missing.ok());
  EXPECT_NE(missing.message().find("no/dir"), std::string::npos) << missing;
}

}  // namespace
}  // namespace jkoflow
