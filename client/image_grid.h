#ifndef JKOFLOW_CLIENT_IMAGE_GRID_H_
#define JKOFLOW_CLIENT_IMAGE_GRID_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "client/plot_png.h"
#include "client/point_matrix.h"

namespace jkoflow {

// RenderImageGrid() draws each row of `points` as a `height` × `width`
// grey-scale image (row-major pixels, as an image-shaped model samples
// them), laid out in a grid of `columns` images (0: about square), each
// pixel enlarged to at least 4 × 4 screen pixels and the images parted by
// 2-pixel white gaps. Values are mapped linearly from the points' smallest
// (black) to their largest (white). InvalidArgument unless points has
// rows ≥ 1 and cols = height × width.
absl::StatusOr<DensityImage> RenderImageGrid(const PointMatrix& points,
                                             int64_t height, int64_t width,
                                             int64_t columns = 0);

// WriteImageGridPng() renders `points` with RenderImageGrid() and writes
// the PNG with WritePng().
absl::Status WriteImageGridPng(const std::string& path,
                               const PointMatrix& points, int64_t height,
                               int64_t width);

}  // namespace jkoflow

#endif  // JKOFLOW_CLIENT_IMAGE_GRID_H_
