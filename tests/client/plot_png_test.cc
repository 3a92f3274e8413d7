#include "client/plot_png.h"

#include <png.h>
#include <stdlib.h>

#include <cstdio>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gtest/gtest.h"

namespace jkoflow {
namespace {

std::string TempPath(const std::string& name) {
  std::string dir = testing::TempDir() + "/plot_png_test_XXXXXX";
  EXPECT_NE(mkdtemp(dir.data()), nullptr);
  return dir + "/" + name;
}

// n points from N(centre, 1) in 2-D, seeded.
PointMatrix Gaussian(int n, float cx, float cy) {
  std::mt19937 rng(7);
  std::normal_distribution<float> normal;
  PointMatrix m;
  m.rows = n;
  m.cols = 2;
  for (int i = 0; i < n; ++i) {
    m.values.push_back(cx + normal(rng));
    m.values.push_back(cy + normal(rng));
  }
  return m;
}

bool IsWhite(const DensityImage& image, int x, int y) {
  const uint8_t* p = &image.rgb[(y * image.width + x) * 3];
  return p[0] == 255 && p[1] == 255 && p[2] == 255;
}

TEST(PlotPngTest, WritesA512x512RgbPngThatLibpngReads) {
  const std::string path = TempPath("density.png");
  ASSERT_TRUE(WriteDensityPng(path, Gaussian(20000, 3, -1)).ok());

  FILE* file = std::fopen(path.c_str(), "rb");
  ASSERT_NE(file, nullptr);
  png_byte signature[8];
  ASSERT_EQ(std::fread(signature, 1, 8, file), 8u);
  EXPECT_EQ(png_sig_cmp(signature, 0, 8), 0);
  png_structp png =
      png_create_read_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  ASSERT_NE(png, nullptr);
  png_infop info = png_create_info_struct(png);
  ASSERT_NE(info, nullptr);
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_read_struct(&png, &info, nullptr);
    std::fclose(file);
    FAIL() << "libpng could not read the header";
  }
  png_init_io(png, file);
  png_set_sig_bytes(png, 8);
  png_read_info(png, info);
  png_uint_32 width = 0, height = 0;
  int bit_depth = 0, color_type = 0;
  png_get_IHDR(png, info, &width, &height, &bit_depth, &color_type, nullptr,
               nullptr, nullptr);
  png_destroy_read_struct(&png, &info, nullptr);
  std::fclose(file);
  EXPECT_EQ(width, 512u);
  EXPECT_EQ(height, 512u);
  EXPECT_EQ(bit_depth, 8);
  EXPECT_EQ(color_type, PNG_COLOR_TYPE_RGB);

  // The whole image decodes too, and matches the rendering.
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  ASSERT_TRUE(png_image_begin_read_from_file(&image, path.c_str()))
      << image.message;
  image.format = PNG_FORMAT_RGB;
  std::vector<uint8_t> pixels(PNG_IMAGE_SIZE(image));
  ASSERT_TRUE(png_image_finish_read(&image, nullptr, pixels.data(), 0, nullptr))
      << image.message;
  absl::StatusOr<DensityImage> rendered = RenderDensity(Gaussian(20000, 3, -1));
  ASSERT_TRUE(rendered.ok()) << rendered.status();
  EXPECT_EQ(pixels, rendered->rgb);
}

TEST(PlotPngTest, DensityIsDarkAtTheModeAndWhiteInTheCorners) {
  absl::StatusOr<DensityImage> image = RenderDensity(Gaussian(50000, 0, 0));
  ASSERT_TRUE(image.ok()) << image.status();
  ASSERT_EQ(image->width, kPlotSize);
  ASSERT_EQ(image->height, kPlotSize);
  ASSERT_EQ(image->rgb.size(), 512u * 512u * 3u);
  // The percentile extent is about ±2.6 σ plus margin: the corners lie
  // beyond 3.5 σ radially and stay (almost surely) empty.
  EXPECT_TRUE(IsWhite(*image, 0, 0));
  EXPECT_TRUE(IsWhite(*image, 511, 511));
  const uint8_t* centre = &image->rgb[(256 * 512 + 256) * 3];
  EXPECT_LT(centre[0], 120);  // a dark blue near the mode
}

TEST(PlotPngTest, YAxisPointsUp) {
  PointMatrix m;
  m.rows = 200;
  m.cols = 2;
  for (int i = 0; i < 100; ++i) {  // a cluster high and to the left...
    m.values.insert(m.values.end(), {-1.0f + 0.001f * i, 1.0f});
  }
  for (int i = 0; i < 100; ++i) {  // ...and one low and to the right
    m.values.insert(m.values.end(), {1.0f, -1.0f + 0.001f * i});
  }
  absl::StatusOr<DensityImage> image = RenderDensity(m);
  ASSERT_TRUE(image.ok()) << image.status();
  int top_left = 0, bottom_left = 0;
  for (int y = 0; y < 256; ++y) {
    for (int x = 0; x < 256; ++x) {
      top_left += !IsWhite(*image, x, y);
      bottom_left += !IsWhite(*image, x, y + 256);
    }
  }
  EXPECT_GT(top_left, 0);
  EXPECT_EQ(bottom_left, 0);
}

TEST(PlotPngTest, IdenticalPointsStillDraw) {
  PointMatrix m;
  m.rows = 3;
  m.cols = 2;
  m.values = {1, 1, 1, 1, 1, 1};
  absl::StatusOr<DensityImage> image = RenderDensity(m);
  ASSERT_TRUE(image.ok()) << image.status();
  int coloured = 0;
  for (int y = 0; y < kPlotSize; ++y) {
    for (int x = 0; x < kPlotSize; ++x) coloured += !IsWhite(*image, x, y);
  }
  const int cell = kPlotSize / HistogramBins(3);  // 512 / 32 = 16 pixels
  EXPECT_EQ(coloured, cell * cell);
}

TEST(PlotPngTest, BinsGrowWithTheSample) {
  EXPECT_EQ(HistogramBins(0), 32);
  EXPECT_EQ(HistogramBins(1000), 32);
  EXPECT_EQ(HistogramBins(20000), 100);
  EXPECT_EQ(HistogramBins(10000000), kPlotSize);
}

TEST(PlotPngTest, NonTwoDimensionalPointsAreRejected) {
  PointMatrix m;
  m.rows = 2;
  m.cols = 3;
  m.values.assign(6, 0.0f);
  const std::string path = TempPath("bad.png");
  const absl::Status status = WriteDensityPng(path, m);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("2-D"), std::string::npos) << status;
  EXPECT_NE(status.message().find("dimension 3"), std::string::npos) << status;
  FILE* file = std::fopen(path.c_str(), "rb");
  EXPECT_EQ(file, nullptr);
  if (file != nullptr) std::fclose(file);
}

TEST(PlotPngTest, EmptyOrNonFiniteInputIsRejected) {
  PointMatrix empty;
  empty.cols = 2;
  EXPECT_EQ(RenderDensity(empty).status().code(),
            absl::StatusCode::kInvalidArgument);
  PointMatrix nan;
  nan.rows = 1;
  nan.cols = 2;
  nan.values = {0.0f, std::numeric_limits<float>::quiet_NaN()};
  EXPECT_EQ(RenderDensity(nan).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace jkoflow
