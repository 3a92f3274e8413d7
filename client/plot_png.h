#ifndef JKOFLOW_CLIENT_PLOT_PNG_H_
#define JKOFLOW_CLIENT_PLOT_PNG_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "client/point_matrix.h"

namespace jkoflow {

// kPlotSize is the side of the square density canvas, in pixels.
inline constexpr int kPlotSize = 512;

// DensityImage is an 8-bit RGB image, row-major from the top-left pixel:
// rgb[(y * width + x) * 3 + channel].
struct DensityImage {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> rgb;
};

// HistogramBins() is the number of histogram bins per axis for n points:
// √(n / 2) clamped to [32, kPlotSize], so that a typical occupied bin holds
// several points rather than the image turning into a scatter plot.
int HistogramBins(int64_t n);

// DensityExtent is the interval [lo, hi) of one axis that RenderDensity()
// draws, hi > lo.
struct DensityExtent {
  double lo;
  double hi;
};

// DensityAxisExtent() is the extent RenderDensity() gives axis `axis` (0: x,
// 1: y) of `points`: the 0.5–99.5 percentiles plus a 5 % margin (a unit
// window when they are equal). Expects a well-formed [n ≥ 1, 2] matrix.
DensityExtent DensityAxisExtent(const PointMatrix& points, int axis);

// RenderDensity() draws 2-D `points` as a log-scaled 2-D histogram of
// HistogramBins(n)² bins on a kPlotSize × kPlotSize canvas (each bin a block
// of pixels): each axis spans the data's 0.5–99.5 percentiles plus a 5 %
// margin (points outside are left out), empty bins are white and fuller bins
// darker blue, by log(1 + count) / log(1 + max count).
// Returns InvalidArgument unless `points` is a well-formed [n ≥ 1, 2] matrix
// (the message names the dimension it got).
absl::StatusOr<DensityImage> RenderDensity(const PointMatrix& points);

// WritePng() writes `image` atomically to `path` as an 8-bit RGB PNG,
// encoded by libpng. Returns InvalidArgument for an empty image or one whose
// rgb size is not width × height × 3, Internal if libpng fails, or the file
// error.
absl::Status WritePng(const std::string& path, const DensityImage& image);

// WriteDensityPng() renders `points` with RenderDensity() and writes the
// image with WritePng(). Returns the RenderDensity() or WritePng() error.
absl::Status WriteDensityPng(const std::string& path,
                             const PointMatrix& points);

}  // namespace jkoflow

#endif  // JKOFLOW_CLIENT_PLOT_PNG_H_
