#include "client/plot/image_grid.h"

#include <limits>
#include <string>

#include "gtest/gtest.h"
#include "tests/client/plot/read_png.h"

namespace jkoflow {
namespace {

const PlotTitle kTitle = {"digits", 2};

// Three 2 x 3 images: all black, all white, and a gradient.
PointMatrix ThreeImages() {
  PointMatrix m;
  m.rows = 3;
  m.cols = 6;
  m.values = {0, 0, 0, 0, 0, 0,  //
              8, 8, 8, 8, 8, 8,  //
              0, 1, 2, 3, 4, 5};
  return m;
}

// The grey level at (dx, dy) pixels into cell i.
uint8_t Grey(const Figure& figure, const ImageGridLayout& layout, int i, int dx,
             int dy) {
  const Rect cell = layout.Cell(i);
  return figure
      .Pixel(static_cast<int>(cell.x) + dx, static_cast<int>(cell.y) + dy)
      .r;
}

TEST(ImageGridTest, LaysOutImagesScaledFromBlackToWhite) {
  auto figure = RenderImageGrid(ThreeImages(), 2, 3, kTitle, /*columns=*/3);
  ASSERT_TRUE(figure.ok()) << figure.status();
  const ImageGridLayout layout = LayOutImageGrid(3, 2, 3, 3);
  // Pixels are enlarged to 112 / 3 = 37 screen pixels, 2-pixel gaps, under
  // a title band; the grid is centred in a figure wide enough for a title.
  EXPECT_EQ(layout.scale, 37);
  EXPECT_EQ(layout.Cell(1).x - layout.Cell(0).x, 3 * 37 + 2);
  EXPECT_EQ(figure->width(), layout.width);
  EXPECT_EQ(figure->height(), layout.height);
  EXPECT_GE(layout.width, 3 * (3 * 37 + 2) + 2);
  EXPECT_EQ(layout.height, layout.top + 2 * 37 + 2);
  EXPECT_EQ(Grey(*figure, layout, 0, 5, 5), 0);    // image 1: black
  EXPECT_EQ(Grey(*figure, layout, 1, 5, 5), 255);  // image 2: white
  // Image 3's last pixel (value 5 of 0..8) is grey.
  EXPECT_EQ(Grey(*figure, layout, 2, 2 * 37 + 5, 37 + 5), 159);  // 255·5/8
  EXPECT_EQ(Grey(*figure, layout, 0, -1, 0), 255);  // the gap is white
  // The title band holds text.
  EXPECT_GT(
      CountPixels(*figure, {0, 0, double(layout.width), double(layout.top - 4)},
                  false),
      100);
}

TEST(ImageGridTest, WritesAPngOfTheFigure) {
  const std::string path = TempPath("grid.png");
  ASSERT_TRUE(WriteImageGridPng(path, ThreeImages(), 2, 3, kTitle).ok());
  const PngPixels png = ReadPng(path);
  const ImageGridLayout layout = LayOutImageGrid(3, 2, 3);
  EXPECT_EQ(png.width, layout.width);
  EXPECT_EQ(png.height, layout.height);
}

TEST(ImageGridTest, RefusesPointsOfAnotherSizeOrNonFiniteValues) {
  auto figure = RenderImageGrid(ThreeImages(), 2, 2, kTitle);
  ASSERT_FALSE(figure.ok());
  EXPECT_EQ(figure.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(figure.status().message().find("2 x 2"), std::string::npos);
  PointMatrix empty;
  empty.cols = 6;
  EXPECT_FALSE(RenderImageGrid(empty, 2, 3, kTitle).ok());
  PointMatrix nan = ThreeImages();
  nan.values[7] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_EQ(RenderImageGrid(nan, 2, 3, kTitle).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace jkoflow
