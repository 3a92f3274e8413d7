#include "client/plot/axes.h"

#include <algorithm>
#include <cmath>

#include "client/plot/text.h"
#include "client/plot/ticks.h"

namespace jkoflow {
namespace {

constexpr double kTickLength = 5;
constexpr double kPi = 3.14159265358979323846;

// Position of `v` along `axis` as a fraction of its length; NaN when a log
// axis cannot show it.
double Fraction(const Axis& axis, double v) {
  if (axis.log) {
    if (!(v > 0)) return std::nan("");
    return (std::log10(v) - std::log10(axis.lo)) /
           (std::log10(axis.hi) - std::log10(axis.lo));
  }
  return (v - axis.lo) / (axis.hi - axis.lo);
}

// The label of each tick of `axis`.
std::vector<std::string> TickLabels(const Axis& axis,
                                    const std::vector<double>& ticks) {
  if (axis.log) return FormatLogTicks(ticks);
  const double step = ticks.size() >= 2 ? ticks[1] - ticks[0] : 0;
  std::vector<std::string> labels;
  for (const double t : ticks) labels.push_back(FormatTick(t, step));
  return labels;
}

// 1-pixel lines, crisp on the pixel grid: a vertical one in the column at
// x from row edge y0 to y1, a horizontal one in the row at y.
void VerticalLine(cairo_t* cr, double x, double y0, double y1,
                  const Colour& colour) {
  cairo_move_to(cr, std::floor(x) + 0.5, y0);
  cairo_line_to(cr, std::floor(x) + 0.5, y1);
  cairo_set_line_width(cr, 1);
  SetColour(cr, colour);
  cairo_stroke(cr);
}

void HorizontalLine(cairo_t* cr, double y, double x0, double x1,
                    const Colour& colour) {
  cairo_move_to(cr, x0, std::floor(y) + 0.5);
  cairo_line_to(cr, x1, std::floor(y) + 0.5);
  cairo_set_line_width(cr, 1);
  SetColour(cr, colour);
  cairo_stroke(cr);
}

void DrawXAxis(cairo_t* cr, const AxesMap& map, const AxesStyle& style) {
  const Rect& f = map.frame;
  const double bottom = f.y + f.height;
  const std::vector<double> ticks = AxisTicks(map.x);
  const std::vector<std::string> labels = TickLabels(map.x, ticks);
  const TextStyle tick_style{style.tick_size, false, kInk};
  for (size_t i = 0; i < ticks.size(); ++i) {
    const double x = std::min(map.X(ticks[i]), f.x + f.width - 1);
    if (style.grid) VerticalLine(cr, x, f.y, bottom, kGridLine);
    VerticalLine(cr, x, bottom, bottom + kTickLength, kInk);
    DrawText(cr, labels[i], x, bottom + kTickLength + 2, Align::kCentre,
             Align::kStart, tick_style);
  }
  DrawText(cr, map.x.label, f.x + f.width / 2,
           bottom + kTickLength + 4 + 1.3 * style.tick_size, Align::kCentre,
           Align::kStart, {style.label_size, false, kInk});
}

void DrawYAxis(cairo_t* cr, const AxesMap& map, const AxesStyle& style) {
  const Rect& f = map.frame;
  const std::vector<double> ticks = AxisTicks(map.y);
  const std::vector<std::string> labels = TickLabels(map.y, ticks);
  const TextStyle tick_style{style.tick_size, false, kInk};
  double widest = 0;
  for (size_t i = 0; i < ticks.size(); ++i) {
    const double y = std::min(map.Y(ticks[i]), f.y + f.height - 1);
    if (style.grid) HorizontalLine(cr, y, f.x, f.x + f.width, kGridLine);
    HorizontalLine(cr, y, f.x - kTickLength, f.x, kInk);
    DrawText(cr, labels[i], f.x - kTickLength - 3, y, Align::kEnd,
             Align::kCentre, tick_style);
    widest = std::max(widest, TextWidth(cr, labels[i], tick_style));
  }
  DrawText(cr, map.y.label, f.x - kTickLength - 8 - widest, f.y + f.height / 2,
           Align::kCentre, Align::kEnd, {style.label_size, false, kInk},
           kPi / 2);
}

}  // namespace

Axis PaddedAxis(double lo, double hi, bool log, const std::string& label) {
  if (log) {
    const double l = std::log10(lo), h = std::log10(hi);
    const double pad = h - l > 1e-9 ? 0.05 * (h - l) : 0.25;
    return {std::pow(10.0, l - pad), std::pow(10.0, h + pad), true, label};
  }
  const double span = hi - lo;
  if (!(span > 1e-12 * std::max(1.0, std::fabs(lo)))) {
    const double pad = lo != 0 ? 0.1 * std::fabs(lo) : 1.0;
    return {lo - pad, hi + pad, false, label};
  }
  return {lo - 0.05 * span, hi + 0.05 * span, false, label};
}

double AxesMap::X(double v) const {
  return frame.x + Fraction(x, v) * frame.width;
}

double AxesMap::Y(double v) const {
  return frame.y + frame.height - Fraction(y, v) * frame.height;
}

std::vector<double> AxisTicks(const Axis& axis) {
  return axis.log ? LogTicks(axis.lo, axis.hi) : NiceTicks(axis.lo, axis.hi);
}

void DrawAxes(cairo_t* cr, const AxesMap& map, const AxesStyle& style) {
  cairo_save(cr);
  DrawXAxis(cr, map, style);
  DrawYAxis(cr, map, style);
  const Rect& f = map.frame;
  cairo_rectangle(cr, std::floor(f.x) - 0.5, std::floor(f.y) - 0.5,
                  std::round(f.width) + 1, std::round(f.height) + 1);
  cairo_set_line_width(cr, 1);
  SetColour(cr, kInk);
  cairo_stroke(cr);
  cairo_restore(cr);
}

}  // namespace jkoflow
