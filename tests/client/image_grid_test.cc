#include "client/image_grid.h"

#include <string>

#include "gtest/gtest.h"

namespace jkoflow {
namespace {

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

uint8_t Grey(const DensityImage& image, int x, int y) {
  return image.rgb[(static_cast<size_t>(y) * image.width + x) * 3];
}

TEST(ImageGridTest, LaysOutImagesScaledFromBlackToWhite) {
  auto image = RenderImageGrid(ThreeImages(), 2, 3, /*columns=*/3);
  ASSERT_TRUE(image.ok()) << image.status();
  // Pixels are enlarged to 112 / 3 = 37 screen pixels, 2-pixel gaps.
  const int scale = 37, gap = 2;
  EXPECT_EQ(image->width, 3 * (3 * scale + gap) + gap);
  EXPECT_EQ(image->height, 2 * scale + 2 * gap);
  const int cell = 3 * scale + gap;
  EXPECT_EQ(Grey(*image, gap + 5, gap + 5), 0);           // image 1: black
  EXPECT_EQ(Grey(*image, cell + gap + 5, gap + 5), 255);  // image 2: white
  // Image 3's last pixel (value 5 of 0..8) is grey.
  const uint8_t last =
      Grey(*image, 2 * cell + gap + 2 * scale + 5, gap + scale + 5);
  EXPECT_EQ(last, 159);                // round(255 · 5 / 8)
  EXPECT_EQ(Grey(*image, 0, 0), 255);  // the gap is white
}

TEST(ImageGridTest, RefusesPointsOfAnotherSize) {
  auto image = RenderImageGrid(ThreeImages(), 2, 2);
  ASSERT_FALSE(image.ok());
  EXPECT_EQ(image.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(image.status().message().find("2 x 2"), std::string::npos);
  PointMatrix empty;
  empty.cols = 6;
  EXPECT_FALSE(RenderImageGrid(empty, 2, 3).ok());
}

}  // namespace
}  // namespace jkoflow
