#ifndef JKOFLOW_CLIENT_LINE_PANEL_H_
#define JKOFLOW_CLIENT_LINE_PANEL_H_

#include <string>
#include <vector>

#include "client/canvas.h"
#include "client/plot_png.h"

namespace jkoflow {

// Series is one line of a LinePanel: points (x[i], y[i]), in order.
// A point with a non-finite coordinate, or a non-positive y on a log axis,
// is skipped and breaks the line there; each kept point gets a small
// square marker, so that an isolated point still shows.
struct Series {
  std::string label;  // legend text; empty: not in the legend
  Rgb colour;
  std::vector<double> x;  // same length as y
  std::vector<double> y;
  bool dashed = false;
};

// LinePanel is a small line chart: a title, an optional legend line, and
// a framed plot area whose y axis is labelled with its min and max (and a
// "LOG" note on a log10 axis) and whose x axis shows its min, max and name.
// The axes span the kept points with a 5 % margin (±10 %, or ±0.25
// decade on a log axis, when all are equal); ticks and labels mark the
// data's min and max. A panel with no kept point says "NO DATA".
struct LinePanel {
  std::string title;
  std::string x_label;
  bool log_y = false;
  std::vector<Series> series;
};

// FormatAxisValue() is `v` with 3 significant digits, upper-case
// ("1.23E-05", "-0.5", "12").
std::string FormatAxisValue(double v);

// DrawLinePanel() draws `panel` inside `area` of `image` (which it clears
// to white first); nothing is drawn outside `area`.
void DrawLinePanel(DensityImage& image, const Rect& area,
                   const LinePanel& panel);

// DrawTextPanel() draws a panel of `title` and `lines` of text (scale 1)
// inside `area`, cleared to white and framed like a LinePanel.
void DrawTextPanel(DensityImage& image, const Rect& area,
                   const std::string& title,
                   const std::vector<std::string>& lines);

// DrawTitle() draws `title` centred in the top band of `area` at scale 2,
// or at scale 1 when that does not fit; it returns the band's height.
int DrawTitle(DensityImage& image, const Rect& area, const std::string& title);

}  // namespace jkoflow

#endif  // JKOFLOW_CLIENT_LINE_PANEL_H_
