#include "client/plot/density.h"

#include <cstdio>
#include <limits>
#include <random>
#include <string>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "tests/client/plot/read_png.h"

namespace jkoflow {
namespace {

const PlotTitle kTitle = {"moons", 3};

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

Figure Render(const PointMatrix& points) {
  absl::StatusOr<Figure> figure = RenderDensity(points, kTitle);
  EXPECT_TRUE(figure.ok()) << figure.status();
  return *std::move(figure);
}

TEST(DensityTest, WritesAnRgbPngThatCairoReadsBack) {
  const std::string path = TempPath("density.png");
  ASSERT_TRUE(WriteDensityPng(path, Gaussian(20000, 3, -1), kTitle).ok());
  const PngPixels png = ReadPng(path);
  EXPECT_EQ(png.width, DensityFigureWidth());
  EXPECT_EQ(png.height, DensityFigureHeight());
  EXPECT_TRUE(png.opaque_rgb);
  // The file holds the rendering, pixel for pixel.
  const Figure figure = Render(Gaussian(20000, 3, -1));
  ASSERT_EQ(png.width, figure.width());
  for (int y = 0; y < png.height; y += 3) {
    for (int x = 0; x < png.width; x += 3) {
      const Rgb8 a = png.Pixel(x, y), b = figure.Pixel(x, y);
      ASSERT_TRUE(a.r == b.r && a.g == b.g && a.b == b.b) << x << "," << y;
    }
  }
}

TEST(DensityTest, TheFrameLiesInsideTheFigureWithRoomForAxes) {
  const Rect frame = DensityPlotFrame();
  EXPECT_EQ(frame.width, kPlotSize);
  EXPECT_EQ(frame.height, kPlotSize);
  EXPECT_GE(frame.x, 40);  // y tick labels and the y label
  EXPECT_GE(frame.y, 30);  // the title
  EXPECT_GE(DensityFigureHeight() - (frame.y + frame.height), 35);
  EXPECT_GE(DensityFigureWidth(), frame.x + frame.width);
}

TEST(DensityTest, DensityIsDarkAtTheModeAndWhiteFarAway) {
  const Figure figure = Render(Gaussian(50000, 0, 0));
  const Rect f = DensityPlotFrame();
  // The percentile extent is about ±2.6 σ plus margin: the corners of the
  // plot area lie beyond 3.5 σ radially and stay (almost surely) empty.
  EXPECT_TRUE(figure.Pixel(f.x + 2, f.y + 2).IsWhite());
  EXPECT_TRUE(figure.Pixel(f.x + f.width - 3, f.y + f.height - 3).IsWhite());
  const Rgb8 centre = figure.Pixel(f.x + f.width / 2, f.y + f.height / 2);
  EXPECT_LT(centre.r, 120);  // a dark blue near the mode
  EXPECT_GT(centre.b, centre.r);
}

TEST(DensityTest, YAxisPointsUp) {
  PointMatrix m;
  m.rows = 200;
  m.cols = 2;
  for (int i = 0; i < 100; ++i) {  // a cluster high and to the left...
    m.values.insert(m.values.end(), {-1.0f + 0.001f * i, 1.0f});
  }
  for (int i = 0; i < 100; ++i) {  // ...and one low and to the right
    m.values.insert(m.values.end(), {1.0f, -1.0f + 0.001f * i});
  }
  const Figure figure = Render(m);
  const Rect f = DensityPlotFrame();
  const double half = kPlotSize / 2.0;
  EXPECT_GT(CountPixels(figure, {f.x, f.y, half, half}, true), 0);
  EXPECT_EQ(CountPixels(figure, {f.x, f.y + half, half, half}, false), 0);
}

TEST(DensityTest, IdenticalPointsStillDraw) {
  PointMatrix m;
  m.rows = 3;
  m.cols = 2;
  m.values = {1, 1, 1, 1, 1, 1};
  const Figure figure = Render(m);
  const int cell = kPlotSize / HistogramBins(3);  // 512 / 32 = 16 pixels
  EXPECT_EQ(CountPixels(figure, DensityPlotFrame(), false), cell * cell);
}

TEST(DensityTest, TitleAndTickLabelsAreDrawn) {
  const Figure figure = Render(Gaussian(1000, 0, 0));
  const Rect f = DensityPlotFrame();
  const double w = figure.width();
  // Text in the title band, under the plot (x ticks and label) and left of
  // it (y ticks and label); all of it grey ink.
  EXPECT_GT(CountPixels(figure, {0, 0, w, f.y - 2}, false), 200);
  EXPECT_EQ(CountPixels(figure, {0, 0, w, f.y - 2}, true), 0);
  EXPECT_GT(CountPixels(figure, {f.x, f.y + f.height + 8, f.width, 30}, false),
            100);
  EXPECT_GT(CountPixels(figure, {0, f.y, f.x - 8, f.height}, false), 100);
  // Another title draws other pixels there.
  absl::StatusOr<Figure> other =
      RenderDensity(Gaussian(1000, 0, 0), {"8gaussians", 12});
  ASSERT_TRUE(other.ok());
  int differ = 0;
  for (int y = 0; y < f.y - 2; ++y) {
    for (int x = 0; x < figure.width(); ++x) {
      differ += figure.Pixel(x, y).r != other->Pixel(x, y).r;
    }
  }
  EXPECT_GT(differ, 50);
}

TEST(DensityTest, BinsGrowWithTheSample) {
  EXPECT_EQ(HistogramBins(0), 32);
  EXPECT_EQ(HistogramBins(1000), 32);
  EXPECT_EQ(HistogramBins(20000), 100);
  EXPECT_EQ(HistogramBins(10000000), kPlotSize);
}

TEST(DensityTest, NonTwoDimensionalPointsAreRejected) {
  PointMatrix m;
  m.rows = 2;
  m.cols = 3;
  m.values.assign(6, 0.0f);
  const std::string path = TempPath("bad.png");
  const absl::Status status = WriteDensityPng(path, m, kTitle);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("2-D"), std::string::npos) << status;
  EXPECT_NE(status.message().find("dimension 3"), std::string::npos) << status;
  FILE* file = std::fopen(path.c_str(), "rb");
  EXPECT_EQ(file, nullptr);
  if (file != nullptr) std::fclose(file);
}

TEST(DensityTest, EmptyMalformedOrNonFiniteInputIsRejected) {
  PointMatrix empty;
  empty.cols = 2;
  EXPECT_EQ(RenderDensity(empty, kTitle).status().code(),
            absl::StatusCode::kInvalidArgument);
  PointMatrix short_values;
  short_values.rows = 2;
  short_values.cols = 2;
  short_values.values = {0, 0, 0};
  EXPECT_EQ(RenderDensity(short_values, kTitle).status().code(),
            absl::StatusCode::kInvalidArgument);
  for (const float bad : {std::numeric_limits<float>::quiet_NaN(),
                          std::numeric_limits<float>::infinity()}) {
    PointMatrix m;
    m.rows = 1;
    m.cols = 2;
    m.values = {0.0f, bad};
    EXPECT_EQ(RenderDensity(m, kTitle).status().code(),
              absl::StatusCode::kInvalidArgument);
  }
}

TEST(DensityTest, AMissingDirectoryIsAnError) {
  EXPECT_FALSE(
      WriteDensityPng(TempPath("no/such/dir/d.png"), Gaussian(10, 0, 0), kTitle)
          .ok());
}

}  // namespace
}  // namespace jkoflow
