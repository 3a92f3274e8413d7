#ifndef JKOFLOW_CLIENT_CANVAS_H_
#define JKOFLOW_CLIENT_CANVAS_H_

#include <cstdint>

#include "client/plot_png.h"

namespace jkoflow {

// Rgb is one 8-bit colour.
struct Rgb {
  uint8_t r = 0;
  uint8_t g = 0;
  uint8_t b = 0;
};

// The background and the plain ink.
inline constexpr Rgb kWhite = {255, 255, 255};
inline constexpr Rgb kBlack = {0, 0, 0};

// Rect is a pixel rectangle: columns [x, x + width), rows [y, y + height).
struct Rect {
  int x = 0;
  int y = 0;
  int width = 0;
  int height = 0;
};

// BlankImage() is a white `width` × `height` image (both clamped to ≥ 0).
DensityImage BlankImage(int width, int height);

// SetPixel() paints pixel (x, y) of `image`; a pixel outside the image or
// outside `clip` is left alone.
void SetPixel(DensityImage& image, int x, int y, Rgb colour, const Rect& clip);

// FillRect() paints every pixel of `rect` that lies in `image`.
void FillRect(DensityImage& image, const Rect& rect, Rgb colour);

// DrawFrame() draws the one-pixel outline of `rect`.
void DrawFrame(DensityImage& image, const Rect& rect, Rgb colour);

// DrawLine() draws a `thickness`-pixel line from (x0, y0) to (x1, y1)
// (pixel coordinates, fractional allowed), leaving pixels outside `clip`
// alone. With `dashed`, it alternates 6 pixels drawn and 4 skipped.
void DrawLine(DensityImage& image, double x0, double y0, double x1, double y1,
              Rgb colour, int thickness, bool dashed, const Rect& clip);

// BlitScaled() copies `source` into `target` of `image`, scaled by nearest
// neighbour to fill it (so a square source keeps its aspect only in a
// square target). Pixels outside `image` are left alone; an empty source
// or target draws nothing.
void BlitScaled(DensityImage& image, const Rect& target,
                const DensityImage& source);

}  // namespace jkoflow

#endif  // JKOFLOW_CLIENT_CANVAS_H_
