#include "client/image_grid.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"

namespace jkoflow {

absl::StatusOr<DensityImage> RenderImageGrid(const PointMatrix& points,
                                             int64_t height, int64_t width,
                                             int64_t columns) {
  RETURN_IF_ERROR(CheckShape(points));
  if (points.rows < 1 || height < 1 || width < 1 ||
      points.cols != height * width || height > 4096 || width > 4096) {
    return absl::InvalidArgumentError(
        absl::StrCat("image grid: expected points of ", height, " x ", width,
                     " pixels, got ", points.rows, " x ", points.cols));
  }
  const int64_t n = std::min<int64_t>(points.rows, 1024);
  if (columns < 1) {
    columns =
        static_cast<int64_t>(std::ceil(std::sqrt(static_cast<double>(n))));
  }
  const int64_t grid_rows = (n + columns - 1) / columns;
  const int64_t scale = std::max<int64_t>(4, 112 / std::max(height, width));
  constexpr int64_t kGap = 2;
  const int64_t cell_w = width * scale + kGap, cell_h = height * scale + kGap;
  DensityImage image;
  image.width = static_cast<int>(columns * cell_w + kGap);
  image.height = static_cast<int>(grid_rows * cell_h + kGap);
  image.rgb.assign(static_cast<size_t>(image.width) * image.height * 3, 255);
  const auto [lo_it, hi_it] = std::minmax_element(
      points.values.begin(), points.values.begin() + n * points.cols);
  const double lo = *lo_it, span = std::max(1e-12, double{*hi_it} - *lo_it);
  for (int64_t i = 0; i < n; ++i) {
    const int64_t left = (i % columns) * cell_w + kGap;
    const int64_t top = (i / columns) * cell_h + kGap;
    for (int64_t r = 0; r < height; ++r) {
      for (int64_t c = 0; c < width; ++c) {
        const double v = points.values[i * points.cols + r * width + c];
        const auto grey = static_cast<uint8_t>(
            std::lround(255 * std::clamp((v - lo) / span, 0.0, 1.0)));
        for (int64_t dy = 0; dy < scale; ++dy) {
          for (int64_t dx = 0; dx < scale; ++dx) {
            const size_t at =
                ((top + r * scale + dy) * image.width + left + c * scale + dx) *
                3;
            image.rgb[at] = image.rgb[at + 1] = image.rgb[at + 2] = grey;
          }
        }
      }
    }
  }
  return image;
}

absl::Status WriteImageGridPng(const std::string& path,
                               const PointMatrix& points, int64_t height,
                               int64_t width) {
  ASSIGN_OR_RETURN(DensityImage image, RenderImageGrid(points, height, width));
  return WritePng(path, image);
}

}  // namespace jkoflow
