#include "client/canvas.h"

#include <algorithm>
#include <cmath>
#include <cstddef>

namespace jkoflow {
namespace {

bool Inside(const Rect& rect, int x, int y) {
  return x >= rect.x && x < rect.x + rect.width && y >= rect.y &&
         y < rect.y + rect.height;
}

Rect Whole(const DensityImage& image) {
  return {0, 0, image.width, image.height};
}

}  // namespace

DensityImage BlankImage(int width, int height) {
  DensityImage image;
  image.width = std::max(width, 0);
  image.height = std::max(height, 0);
  image.rgb.assign(static_cast<size_t>(image.width) * image.height * 3, 255);
  return image;
}

void SetPixel(DensityImage& image, int x, int y, Rgb colour, const Rect& clip) {
  if (!Inside(Whole(image), x, y) || !Inside(clip, x, y)) return;
  uint8_t* p = &image.rgb[(static_cast<size_t>(y) * image.width + x) * 3];
  p[0] = colour.r;
  p[1] = colour.g;
  p[2] = colour.b;
}

void FillRect(DensityImage& image, const Rect& rect, Rgb colour) {
  const Rect whole = Whole(image);
  for (int y = rect.y; y < rect.y + rect.height; ++y) {
    for (int x = rect.x; x < rect.x + rect.width; ++x) {
      SetPixel(image, x, y, colour, whole);
    }
  }
}

void DrawFrame(DensityImage& image, const Rect& rect, Rgb colour) {
  FillRect(image, {rect.x, rect.y, rect.width, 1}, colour);
  FillRect(image, {rect.x, rect.y + rect.height - 1, rect.width, 1}, colour);
  FillRect(image, {rect.x, rect.y, 1, rect.height}, colour);
  FillRect(image, {rect.x + rect.width - 1, rect.y, 1, rect.height}, colour);
}

void DrawLine(DensityImage& image, double x0, double y0, double x1, double y1,
              Rgb colour, int thickness, bool dashed, const Rect& clip) {
  if (!std::isfinite(x0) || !std::isfinite(y0) || !std::isfinite(x1) ||
      !std::isfinite(y1)) {
    return;
  }
  // Far-off endpoints would make the step count huge: a line longer than
  // the image's diagonal many times over is clamped to a box around it.
  const double bound = 4.0 * (image.width + image.height + 1);
  x0 = std::clamp(x0, -bound, bound);
  x1 = std::clamp(x1, -bound, bound);
  y0 = std::clamp(y0, -bound, bound);
  y1 = std::clamp(y1, -bound, bound);
  const int steps = static_cast<int>(
      std::ceil(std::max(std::fabs(x1 - x0), std::fabs(y1 - y0))));
  const int lo = -(thickness - 1) / 2;
  for (int i = 0; i <= steps; ++i) {
    if (dashed && i % 10 >= 6) continue;
    const double t = steps == 0 ? 0.0 : static_cast<double>(i) / steps;
    const int x = static_cast<int>(std::lround(x0 + t * (x1 - x0)));
    const int y = static_cast<int>(std::lround(y0 + t * (y1 - y0)));
    for (int dy = lo; dy < lo + thickness; ++dy) {
      for (int dx = lo; dx < lo + thickness; ++dx) {
        SetPixel(image, x + dx, y + dy, colour, clip);
      }
    }
  }
}

void BlitScaled(DensityImage& image, const Rect& target,
                const DensityImage& source) {
  if (source.width <= 0 || source.height <= 0 || target.width <= 0 ||
      target.height <= 0) {
    return;
  }
  const Rect whole = Whole(image);
  for (int y = 0; y < target.height; ++y) {
    const int sy = static_cast<int>(static_cast<int64_t>(y) * source.height /
                                    target.height);
    for (int x = 0; x < target.width; ++x) {
      const int sx = static_cast<int>(static_cast<int64_t>(x) * source.width /
                                      target.width);
      const uint8_t* p =
          &source.rgb[(static_cast<size_t>(sy) * source.width + sx) * 3];
      SetPixel(image, target.x + x, target.y + y, {p[0], p[1], p[2]}, whole);
    }
  }
}

}  // namespace jkoflow
