#include "client/plot/image_grid.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"

namespace jkoflow {
namespace {

constexpr int64_t kTitleBand = 44;
constexpr int64_t kMinWidth = 360;  // room for a title
constexpr int64_t kMaxSide = 4096;

absl::Status CheckImages(const PointMatrix& points, int64_t height,
                         int64_t width) {
  RETURN_IF_ERROR(CheckShape(points));
  if (points.rows < 1 || height < 1 || width < 1 || height > kMaxSide ||
      width > kMaxSide || points.cols != height * width) {
    return absl::InvalidArgumentError(
        absl::StrCat("image grid: expected points of ", height, " x ", width,
                     " pixels, got ", points.rows, " x ", points.cols));
  }
  return absl::OkStatus();
}

// Image i of `points` as grey levels from lo (black) to lo + span (white).
Pixmap ImagePixmap(const PointMatrix& points, int64_t i, int64_t height,
                   int64_t width, double lo, double span) {
  Pixmap pixmap{static_cast<int>(width), static_cast<int>(height), {}};
  pixmap.xrgb.reserve(static_cast<size_t>(height * width));
  for (int64_t p = 0; p < height * width; ++p) {
    const double v = points.values[i * points.cols + p];
    const auto grey = static_cast<uint32_t>(
        std::lround(255 * std::clamp((v - lo) / span, 0.0, 1.0)));
    pixmap.xrgb.push_back(grey << 16 | grey << 8 | grey);
  }
  return pixmap;
}

}  // namespace

Rect ImageGridLayout::Cell(int64_t i) const {
  const int64_t cell_w = image_width * scale + gap;
  const int64_t cell_h = image_height * scale + gap;
  return {static_cast<double>(left + (i % columns) * cell_w),
          static_cast<double>(top + (i / columns) * cell_h),
          static_cast<double>(image_width * scale),
          static_cast<double>(image_height * scale)};
}

ImageGridLayout LayOutImageGrid(int64_t n, int64_t height, int64_t width,
                                int64_t columns) {
  ImageGridLayout layout;
  n = std::clamp<int64_t>(n, 1, kMaxGridImages);
  layout.columns =
      columns >= 1
          ? columns
          : static_cast<int64_t>(std::ceil(std::sqrt(static_cast<double>(n))));
  layout.rows = (n + layout.columns - 1) / layout.columns;
  layout.scale = std::max<int64_t>(4, 112 / std::max(height, width));
  layout.gap = 2;
  layout.image_height = height;
  layout.image_width = width;
  const int64_t grid_width =
      layout.columns * (width * layout.scale + layout.gap) + layout.gap;
  layout.width = std::max(grid_width, kMinWidth);
  layout.left = (layout.width - grid_width) / 2 + layout.gap;
  layout.top = kTitleBand + layout.gap;
  layout.height =
      layout.top + layout.rows * (height * layout.scale + layout.gap);
  return layout;
}

absl::StatusOr<Figure> RenderImageGrid(const PointMatrix& points,
                                       int64_t height, int64_t width,
                                       const PlotTitle& title,
                                       int64_t columns) {
  RETURN_IF_ERROR(CheckImages(points, height, width));
  const int64_t n = std::min(points.rows, kMaxGridImages);
  const auto begin = points.values.begin();
  const auto end = begin + n * points.cols;
  if (!std::all_of(begin, end, [](float v) { return std::isfinite(v); })) {
    return absl::InvalidArgumentError("image grid: values must be finite");
  }
  const ImageGridLayout layout = LayOutImageGrid(n, height, width, columns);
  ASSIGN_OR_RETURN(Figure figure,
                   Figure::Create(static_cast<int>(layout.width),
                                  static_cast<int>(layout.height)));
  DrawTitle(figure.cr(), {0, 0, double(layout.width), double(kTitleBand)},
            SamplesHeading(title, n),
            /*size=*/16);
  const auto [lo_it, hi_it] = std::minmax_element(begin, end);
  const double lo = *lo_it, span = std::max(1e-12, double{*hi_it} - *lo_it);
  for (int64_t i = 0; i < n; ++i) {
    DrawPixmap(figure.cr(), layout.Cell(i),
               ImagePixmap(points, i, height, width, lo, span));
  }
  return figure;
}

absl::Status WriteImageGridPng(const std::string& path,
                               const PointMatrix& points, int64_t height,
                               int64_t width, const PlotTitle& title) {
  ASSIGN_OR_RETURN(const Figure figure,
                   RenderImageGrid(points, height, width, title));
  return figure.WritePng(path);
}

}  // namespace jkoflow
