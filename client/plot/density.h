#ifndef JKOFLOW_CLIENT_PLOT_DENSITY_H_
#define JKOFLOW_CLIENT_PLOT_DENSITY_H_

#include <cairo.h>

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "client/plot/axes.h"
#include "client/plot/figure.h"
#include "client/plot/text.h"
#include "client/point_matrix.h"

namespace jkoflow {

// kPlotSize is the side of the square plot area of a density figure, in
// pixels; the figure adds a title band above it and axes left and below.
inline constexpr int kPlotSize = 512;

// DensityPlotFrame() is where the plot area lies in RenderDensity()'s
// figure; DensityFigureWidth/Height() its size.
Rect DensityPlotFrame();
int DensityFigureWidth();
int DensityFigureHeight();

// HistogramBins() is the number of histogram bins per axis for n points:
// √(n / 2) clamped to [32, kPlotSize], so that a typical occupied bin holds
// several points rather than the image turning into a scatter plot.
int HistogramBins(int64_t n);

// DensityExtent is the interval [lo, hi) of one axis that a density plot
// shows, hi > lo.
struct DensityExtent {
  double lo;
  double hi;
};

// DensityAxisExtent() is the extent a density plot gives axis `axis` (0: x,
// 1: y) of `points`: the 0.5–99.5 percentiles plus a 5 % margin (a unit
// window when they are equal). Expects a well-formed [n ≥ 1, 2] matrix.
DensityExtent DensityAxisExtent(const PointMatrix& points, int axis);

// CheckDensityPoints() returns OK for a well-formed [n ≥ 1, 2] matrix of
// finite values, else InvalidArgument (naming the dimension it got when
// that is not 2).
absl::Status CheckDensityPoints(const PointMatrix& points);

// DrawDensity() draws `points` (which must pass CheckDensityPoints()) into
// `frame` as a log-scaled 2-D histogram of HistogramBins(n)² bins over
// DensityAxisExtent() on each axis (points outside are left out; y points
// up), with axes x₁ and x₂ around it: empty bins are white, fuller ones
// darker blue, by log(1 + count) / log(1 + max count). `style` sets the
// axes' font sizes (there are no grid lines).
void DrawDensity(cairo_t* cr, const Rect& frame, const PointMatrix& points,
                 AxesStyle style = AxesStyle());

// RenderDensity() is a figure of DrawDensity() in DensityPlotFrame() under
// the title "<model> v<version> — <n> samples". Returns the
// CheckDensityPoints() error.
absl::StatusOr<Figure> RenderDensity(const PointMatrix& points,
                                     const PlotTitle& title);

// WriteDensityPng() renders `points` with RenderDensity() and writes the
// figure with Figure::WritePng(); nothing is written on error.
absl::Status WriteDensityPng(const std::string& path, const PointMatrix& points,
                             const PlotTitle& title);

}  // namespace jkoflow

#endif  // JKOFLOW_CLIENT_PLOT_DENSITY_H_
