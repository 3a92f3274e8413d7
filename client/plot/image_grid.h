#ifndef JKOFLOW_CLIENT_PLOT_IMAGE_GRID_H_
#define JKOFLOW_CLIENT_PLOT_IMAGE_GRID_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "client/plot/figure.h"
#include "client/plot/text.h"
#include "client/point_matrix.h"

namespace jkoflow {

// ImageGridLayout is where RenderImageGrid() puts each image: a title band
// of `top` pixels, then `rows` × `columns` cells of images enlarged
// `scale` times, parted by `gap` white pixels and centred horizontally
// (`left` is the first cell's column).
struct ImageGridLayout {
  int64_t columns = 0;
  int64_t rows = 0;
  int64_t scale = 0;
  int64_t gap = 0;
  int64_t left = 0;
  int64_t top = 0;
  int64_t width = 0;   // of the figure
  int64_t height = 0;  // of the figure
  int64_t image_height = 0;
  int64_t image_width = 0;
  // Cell() is where image i (0-based, row by row) lies.
  Rect Cell(int64_t i) const;
};

// kMaxGridImages is how many images a grid shows at most.
inline constexpr int64_t kMaxGridImages = 1024;

// LayOutImageGrid() is the layout for min(n, kMaxGridImages) images of
// height × width pixels in `columns` columns (0: about square), each pixel
// enlarged to at least 4 × 4 screen pixels (images of up to 28 pixels a
// side to about 112), the figure at least wide enough for a title.
// Expects n, height and width ≥ 1.
ImageGridLayout LayOutImageGrid(int64_t n, int64_t height, int64_t width,
                                int64_t columns = 0);

// RenderImageGrid() draws each row of `points` as a `height` × `width`
// grey-scale image (row-major pixels, as an image-shaped model samples
// them) in the cells of LayOutImageGrid(), under the title
// "<model> v<version> — <n> samples". Values are mapped linearly from the
// shown points' smallest (black) to their largest (white).
// InvalidArgument unless points has rows ≥ 1, cols = height × width and
// both sides are in [1, 4096], or when a shown value is not finite.
absl::StatusOr<Figure> RenderImageGrid(const PointMatrix& points,
                                       int64_t height, int64_t width,
                                       const PlotTitle& title,
                                       int64_t columns = 0);

// WriteImageGridPng() renders `points` with RenderImageGrid() and writes
// the figure with Figure::WritePng().
absl::Status WriteImageGridPng(const std::string& path,
                               const PointMatrix& points, int64_t height,
                               int64_t width, const PlotTitle& title);

}  // namespace jkoflow

#endif  // JKOFLOW_CLIENT_PLOT_IMAGE_GRID_H_
