#ifndef JKOFLOW_CLIENT_PLOT_TEXT_H_
#define JKOFLOW_CLIENT_PLOT_TEXT_H_

#include <cairo.h>

#include <cstdint>
#include <string>

#include "client/plot/figure.h"

namespace jkoflow {

// The font of every plot (Debian's fonts-dejavu-core; fontconfig falls
// back to another sans-serif font when it is missing).
inline constexpr char kFontFamily[] = "DejaVu Sans";

// Align says where the anchor point lies on a text's box, along one axis.
enum class Align { kStart, kCentre, kEnd };

// TextStyle is the size (pixels), weight and colour of a text.
struct TextStyle {
  double size = 12;
  bool bold = false;
  Colour colour = kInk;
};

// TextWidth() is the advance width of UTF-8 `text` in `style`, in pixels.
double TextWidth(cairo_t* cr, const std::string& text, const TextStyle& style);

// DrawText() draws UTF-8 `text`, grey-scale antialiased, anchored at
// (x, y): `horizontal` aligns the text's start, centre or end on x;
// `vertical` its top (ascent), middle or bottom (descent) on y, from the
// font's metrics so that labels of a row line up whatever their glyphs.
// `angle` (radians, counter-clockwise) turns the text about the anchor;
// −π/2 reads upwards, as a y-axis label does.
void DrawText(cairo_t* cr, const std::string& text, double x, double y,
              Align horizontal, Align vertical, const TextStyle& style,
              double angle = 0);

// DrawTitle() draws `text` bold and centred in `band`, at `size` or smaller
// when it would not fit the band's width.
void DrawTitle(cairo_t* cr, const Rect& band, const std::string& text,
               double size);

// PlotTitle names what a figure shows: the model and its version.
struct PlotTitle {
  std::string model;
  int64_t version = 0;
};

// ModelLabel() is "moons v1" (just "moons" when the version is 0).
std::string ModelLabel(const PlotTitle& title);

// SamplesHeading() is the title of a figure of n samples:
// "moons v1 — 1,000 samples".
std::string SamplesHeading(const PlotTitle& title, int64_t n);

}  // namespace jkoflow

#endif  // JKOFLOW_CLIENT_PLOT_TEXT_H_
