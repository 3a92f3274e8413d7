#ifndef JKOFLOW_CLIENT_PLOT_AXES_H_
#define JKOFLOW_CLIENT_PLOT_AXES_H_

#include <cairo.h>

#include <string>
#include <vector>

#include "client/plot/figure.h"

namespace jkoflow {

// Axis is one axis of a chart: the data interval it spans, whether it is
// log10-scaled (then 0 < lo), and its label.
struct Axis {
  double lo = 0;
  double hi = 1;
  bool log = false;
  std::string label;
};

// PaddedAxis() is an Axis over data in [lo, hi] (lo ≤ hi, finite; on a log
// axis positive) with a 5 % margin on each side, measured in log10 units
// on a log axis; when lo = hi it spans ±10 % of the value (±1 around 0),
// or ±0.25 decade on a log axis.
Axis PaddedAxis(double lo, double hi, bool log, const std::string& label);

// AxesMap takes data coordinates to pixels of `frame`, y pointing up.
struct AxesMap {
  Rect frame;
  Axis x;
  Axis y;
  // X() and Y() are the pixel column and row of a data value; NaN for a
  // non-positive value on a log axis.
  double X(double v) const;
  double Y(double v) const;
};

// AxesStyle says whether light grid lines cross the frame at the ticks.
struct AxesStyle {
  bool grid = true;
  double tick_size = 11;   // tick labels, pixels
  double label_size = 12;  // axis labels, pixels
};

// Room that DrawAxes() needs outside the frame for ticks and labels, in
// pixels, with tick labels up to about seven characters wide.
inline constexpr double kAxesLeftRoom = 64;
inline constexpr double kAxesBottomRoom = 40;

// AxisTicks() is where `axis` gets its ticks: NiceTicks() on a linear
// axis, LogTicks() on a log one.
std::vector<double> AxisTicks(const Axis& axis);

// DrawAxes() draws grid lines (if style.grid), the frame, ticks pointing
// out of it with their labels (FormatTick() or FormatLogTicks()), the x
// label under the x tick labels and the y label, turned, left of the y
// tick labels. Nothing is drawn inside the frame but the grid lines.
void DrawAxes(cairo_t* cr, const AxesMap& map,
              const AxesStyle& style = AxesStyle());

}  // namespace jkoflow

#endif  // JKOFLOW_CLIENT_PLOT_AXES_H_
