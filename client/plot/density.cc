#include "client/plot/density.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"

namespace jkoflow {
namespace {

constexpr double kLowerPercentile = 0.5;
constexpr double kUpperPercentile = 99.5;
constexpr double kMargin = 0.05;  // of the percentile range, on each side

// The figure around the plot area: a title band, room for the axes.
constexpr int kTitleBand = 48;
constexpr int kLeftRoom = 72;
constexpr int kRightRoom = 28;
constexpr int kBottomRoom = 52;

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

// Maps t ∈ [0, 1] to a 0x00RRGGBB colour of kColormap.
uint32_t Colour(double t) {
  const double x = std::clamp(t, 0.0, 1.0) * (kColormap.size() - 1);
  const size_t i = std::min(static_cast<size_t>(x), kColormap.size() - 2);
  const double f = x - static_cast<double>(i);
  uint32_t rgb = 0;
  for (int c = 0; c < 3; ++c) {
    const double v =
        kColormap[i][c] + f * (kColormap[i + 1][c] - kColormap[i][c]);
    rgb = (rgb << 8) | static_cast<uint32_t>(std::lround(v));
  }
  return rgb;
}

// The histogram of `points` over the extents, one pixel per bin, row 0 at
// the top (the largest y).
Pixmap Histogram(const PointMatrix& points, const DensityExtent& x,
                 const DensityExtent& y) {
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
  Pixmap pixmap{bins, bins, std::vector<uint32_t>(counts.size(), 0xFFFFFF)};
  const double log_max = std::log1p(static_cast<double>(max_count));
  for (size_t i = 0; i < counts.size(); ++i) {
    if (counts[i] == 0) continue;
    pixmap.xrgb[i] =
        Colour(std::log1p(static_cast<double>(counts[i])) / log_max);
  }
  return pixmap;
}

}  // namespace

Rect DensityPlotFrame() {
  return {kLeftRoom, kTitleBand, kPlotSize, kPlotSize};
}

int DensityFigureWidth() { return kLeftRoom + kPlotSize + kRightRoom; }

int DensityFigureHeight() { return kTitleBand + kPlotSize + kBottomRoom; }

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

absl::Status CheckDensityPoints(const PointMatrix& points) {
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
  return absl::OkStatus();
}

void DrawDensity(cairo_t* cr, const Rect& frame, const PointMatrix& points,
                 AxesStyle style) {
  const DensityExtent x = DensityAxisExtent(points, 0);
  const DensityExtent y = DensityAxisExtent(points, 1);
  DrawPixmap(cr, frame, Histogram(points, x, y));
  const AxesMap map{frame,
                    {x.lo, x.hi, /*log=*/false, "x₁"},
                    {y.lo, y.hi, /*log=*/false, "x₂"}};
  style.grid = false;  // lines would hide the density
  DrawAxes(cr, map, style);
}

absl::StatusOr<Figure> RenderDensity(const PointMatrix& points,
                                     const PlotTitle& title) {
  RETURN_IF_ERROR(CheckDensityPoints(points));
  ASSIGN_OR_RETURN(Figure figure,
                   Figure::Create(DensityFigureWidth(), DensityFigureHeight()));
  DrawTitle(figure.cr(), {0, 0, double(figure.width()), kTitleBand},
            SamplesHeading(title, points.rows),
            /*size=*/18);
  DrawDensity(figure.cr(), DensityPlotFrame(), points,
              {/*grid=*/false, /*tick_size=*/13, /*label_size=*/15});
  return figure;
}

absl::Status WriteDensityPng(const std::string& path, const PointMatrix& points,
                             const PlotTitle& title) {
  ASSIGN_OR_RETURN(const Figure figure, RenderDensity(points, title));
  return figure.WritePng(path);
}

}  // namespace jkoflow
