#include "client/plot_png.h"

#include <png.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>

#include "absl/strings/str_cat.h"
#include "base/atomic_file.h"
#include "base/status_macros.h"

namespace jkoflow {
namespace {

constexpr double kLowerPercentile = 0.5;
constexpr double kUpperPercentile = 99.5;
constexpr double kMargin = 0.05;  // of the percentile range, on each side

// A light sequential colormap (ColorBrewer "Blues"), from faint to dark.
constexpr std::array<std::array<double, 3>, 5> kColormap = {{
    {222, 235, 247},
    {158, 202, 225},
    {107, 174, 214},
    {33, 113, 181},
    {8, 48, 107},
}};

// Returns the p-th percentile (0..100) of `values`, linearly interpolated.
// Reorders `values`.
double Percentile(std::vector<double>& values, double p) {
  const double position = p / 100.0 * static_cast<double>(values.size() - 1);
  const size_t below = static_cast<size_t>(std::floor(position));
  const size_t above = std::min(below + 1, values.size() - 1);
  std::nth_element(values.begin(), values.begin() + below, values.end());
  const double low = values[below];
  std::nth_element(values.begin(), values.begin() + above, values.end());
  const double high = values[above];
  return low + (high - low) * (position - static_cast<double>(below));
}

// Maps t ∈ [0, 1] to an RGB colour of kColormap.
void Colour(double t, uint8_t* rgb) {
  const double x = std::clamp(t, 0.0, 1.0) * (kColormap.size() - 1);
  const size_t i = std::min(static_cast<size_t>(x), kColormap.size() - 2);
  const double f = x - static_cast<double>(i);
  for (int c = 0; c < 3; ++c) {
    const double v =
        kColormap[i][c] + f * (kColormap[i + 1][c] - kColormap[i][c]);
    rgb[c] = static_cast<uint8_t>(std::lround(v));
  }
}

}  // namespace

DensityExtent DensityAxisExtent(const PointMatrix& points, int axis) {
  std::vector<double> values(points.rows);
  for (int64_t r = 0; r < points.rows; ++r) {
    values[r] = points.values[r * 2 + axis];
  }
  double lo = Percentile(values, kLowerPercentile);
  double hi = Percentile(values, kUpperPercentile);
  double span = hi - lo;
  if (!(span > 1e-12 * std::max(1.0, std::fabs(lo)))) {
    span = 1.0;  // all values (nearly) equal: show a unit window around them
    lo -= 0.5;
    hi += 0.5;
  }
  return {lo - kMargin * span, hi + kMargin * span};
}

int HistogramBins(int64_t n) {
  const double bins =
      std::sqrt(static_cast<double>(std::max<int64_t>(n, 0)) / 2);
  return static_cast<int>(
      std::clamp(bins, 32.0, static_cast<double>(kPlotSize)));
}

absl::StatusOr<DensityImage> RenderDensity(const PointMatrix& points) {
  RETURN_IF_ERROR(CheckShape(points));
  if (points.cols != 2) {
    return absl::InvalidArgumentError(absl::StrCat(
        "plot: density plots need 2-D points, got dimension ", points.cols));
  }
  if (points.rows < 1) {
    return absl::InvalidArgumentError("plot: no points to draw");
  }
  for (float v : points.values) {
    if (!std::isfinite(v)) {
      return absl::InvalidArgumentError("plot: points must be finite");
    }
  }
  const DensityExtent x = DensityAxisExtent(points, 0);
  const DensityExtent y = DensityAxisExtent(points, 1);
  const int bins = HistogramBins(points.rows);
  std::vector<int64_t> counts(static_cast<size_t>(bins) * bins, 0);
  int64_t max_count = 0;
  for (int64_t r = 0; r < points.rows; ++r) {
    const double u = (points.values[r * 2] - x.lo) / (x.hi - x.lo);
    const double v = (points.values[r * 2 + 1] - y.lo) / (y.hi - y.lo);
    if (u < 0 || u >= 1 || v < 0 || v >= 1) continue;
    const int column = static_cast<int>(u * bins);
    const int row = bins - 1 - static_cast<int>(v * bins);  // y points up
    int64_t& count = counts[static_cast<size_t>(row) * bins + column];
    max_count = std::max(max_count, ++count);
  }
  // Colour each bin once, then paint every pixel with its bin's colour.
  std::vector<uint8_t> colours(counts.size() * 3, 255);  // empty: white
  const double log_max = std::log1p(static_cast<double>(max_count));
  for (size_t i = 0; i < counts.size(); ++i) {
    if (counts[i] == 0) continue;
    Colour(std::log1p(static_cast<double>(counts[i])) / log_max,
           &colours[i * 3]);
  }
  DensityImage image;
  image.width = kPlotSize;
  image.height = kPlotSize;
  image.rgb.resize(static_cast<size_t>(kPlotSize) * kPlotSize * 3);
  for (int py = 0; py < kPlotSize; ++py) {
    const int row = py * bins / kPlotSize;
    for (int px = 0; px < kPlotSize; ++px) {
      const int column = px * bins / kPlotSize;
      std::copy_n(&colours[(static_cast<size_t>(row) * bins + column) * 3], 3,
                  &image.rgb[(static_cast<size_t>(py) * kPlotSize + px) * 3]);
    }
  }
  return image;
}

absl::Status WritePng(const std::string& path, const DensityImage& image) {
  if (image.width <= 0 || image.height <= 0 ||
      image.rgb.size() != static_cast<size_t>(image.width) * image.height * 3) {
    return absl::InvalidArgumentError(absl::StrCat(
        "png: expected a non-empty ", image.width, " x ", image.height,
        " RGB image, got ", image.rgb.size(), " bytes"));
  }
  png_image png;
  std::fill_n(reinterpret_cast<char*>(&png), sizeof(png), 0);
  png.version = PNG_IMAGE_VERSION;
  png.width = static_cast<png_uint_32>(image.width);
  png.height = static_cast<png_uint_32>(image.height);
  png.format = PNG_FORMAT_RGB;
  // The first call sizes the buffer, the second fills it.
  png_alloc_size_t size = 0;
  if (!png_image_write_to_memory(&png, nullptr, &size, /*convert_to_8bit=*/0,
                                 image.rgb.data(), /*row_stride=*/0,
                                 /*colormap=*/nullptr)) {
    const std::string message = png.message;
    png_image_free(&png);
    return absl::InternalError(absl::StrCat("plot: libpng: ", message));
  }
  std::string bytes(size, '\0');
  if (!png_image_write_to_memory(&png, bytes.data(), &size, 0, image.rgb.data(),
                                 0, nullptr)) {
    const std::string message = png.message;
    png_image_free(&png);
    return absl::InternalError(absl::StrCat("plot: libpng: ", message));
  }
  bytes.resize(size);
  return WriteFileAtomically(path, bytes);
}

absl::Status WriteDensityPng(const std::string& path,
                             const PointMatrix& points) {
  ASSIGN_OR_RETURN(DensityImage image, RenderDensity(points));
  return WritePng(path, image);
}

}  // namespace jkoflow
