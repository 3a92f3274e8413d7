#include "client/plot/line_chart.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "client/plot/axes.h"
#include "client/plot/panel.h"
#include "client/plot/text.h"

namespace jkoflow {
namespace {

constexpr double kRightRoom = 16;
constexpr double kLegendRow = 18;
constexpr double kSwatch = 18;
constexpr double kLegendText = 11;
constexpr double kPi = 3.14159265358979323846;

// Interval [lo, hi] of the kept values of one axis.
struct Range {
  double lo = std::numeric_limits<double>::infinity();
  double hi = -std::numeric_limits<double>::infinity();
  bool empty() const { return !(lo <= hi); }
  void Add(double v) {
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
};

bool Kept(const LineChart& chart, double x, double y) {
  return std::isfinite(x) && std::isfinite(y) && (!chart.log_y || y > 0);
}

// The series in the legend, or none when fewer than two have labels.
std::vector<const Series*> LegendEntries(const LineChart& chart) {
  std::vector<const Series*> entries;
  for (const Series& s : chart.series) {
    if (!s.label.empty()) entries.push_back(&s);
  }
  if (entries.size() < 2) entries.clear();
  return entries;
}

void SetDash(cairo_t* cr, bool dashed) {
  static constexpr double kDash[] = {6, 4};
  cairo_set_dash(cr, kDash, dashed ? 2 : 0, 0);
}

// DrawLegend() lays the entries out in rows from the top-left of `area`
// and returns the height it used.
double DrawLegend(cairo_t* cr, const Rect& area,
                  const std::vector<const Series*>& entries) {
  if (entries.empty()) return 0;
  const TextStyle style{kLegendText, false, kInk};
  double x = area.x, y = area.y + kLegendRow / 2;
  for (const Series* s : entries) {
    const double width = kSwatch + 5 + TextWidth(cr, s->label, style) + 14;
    if (x > area.x && x + width > area.x + area.width) {
      x = area.x;
      y += kLegendRow;
    }
    cairo_move_to(cr, x, y);
    cairo_line_to(cr, x + kSwatch, y);
    SetDash(cr, s->dashed);
    cairo_set_line_width(cr, 2);
    SetColour(cr, s->colour);
    cairo_stroke(cr);
    DrawText(cr, s->label, x + kSwatch + 5, y, Align::kStart, Align::kCentre,
             style);
    x += width;
  }
  SetDash(cr, false);
  return y + kLegendRow / 2 - area.y;
}

// ErrorOf() is the standard error of point i of `s`, or 0.
double ErrorOf(const Series& s, size_t i) {
  return i < s.error.size() && std::isfinite(s.error[i]) ? s.error[i] : 0;
}

// DrawErrorBars() draws y ± error for the kept points of `s` with one
// (on a log axis the bar stops at the frame where y − error ≤ 0).
void DrawErrorBars(cairo_t* cr, const LineChart& chart, const AxesMap& map,
                   const Series& s) {
  const double cap = 3;
  for (size_t i = 0; i < std::min(s.x.size(), s.y.size()); ++i) {
    const double e = ErrorOf(s, i);
    if (e <= 0 || !Kept(chart, s.x[i], s.y[i])) continue;
    const double px = map.X(s.x[i]);
    const double low = s.y[i] - e;
    const double bottom =
        Kept(chart, s.x[i], low) ? map.Y(low) : map.frame.y + map.frame.height;
    const double top = map.Y(s.y[i] + e);
    cairo_move_to(cr, px, bottom);
    cairo_line_to(cr, px, top);
    cairo_move_to(cr, px - cap, top);
    cairo_line_to(cr, px + cap, top);
    cairo_move_to(cr, px - cap, bottom);
    cairo_line_to(cr, px + cap, bottom);
  }
  cairo_set_line_width(cr, 1.2);
  cairo_stroke(cr);
}

void DrawSeries(cairo_t* cr, const LineChart& chart, const AxesMap& map) {
  cairo_save(cr);
  const Rect& f = map.frame;
  cairo_rectangle(cr, f.x, f.y, f.width, f.height);
  cairo_clip(cr);
  cairo_set_line_width(cr, 1.8);
  cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
  for (const Series& s : chart.series) {
    SetColour(cr, s.colour);
    SetDash(cr, s.dashed);
    const size_t n = std::min(s.x.size(), s.y.size());
    bool drawing = false;
    for (size_t i = 0; i < n; ++i) {
      if (!Kept(chart, s.x[i], s.y[i])) {
        drawing = false;
        continue;
      }
      const double px = map.X(s.x[i]), py = map.Y(s.y[i]);
      drawing ? cairo_line_to(cr, px, py) : cairo_move_to(cr, px, py);
      drawing = true;
    }
    cairo_stroke(cr);
    SetDash(cr, false);
    DrawErrorBars(cr, chart, map, s);
    cairo_set_line_width(cr, 1.8);
    for (size_t i = 0; i < n; ++i) {
      if (!Kept(chart, s.x[i], s.y[i])) continue;
      cairo_new_sub_path(cr);
      cairo_arc(cr, map.X(s.x[i]), map.Y(s.y[i]), 2.8, 0, 2 * kPi);
    }
    cairo_fill(cr);
  }
  cairo_restore(cr);
}

}  // namespace

void DrawLineChart(cairo_t* cr, const Rect& area, const LineChart& chart) {
  cairo_save(cr);
  cairo_rectangle(cr, area.x, area.y, area.width, area.height);
  cairo_clip(cr);
  const Rect body = DrawPanel(cr, area, chart.title);
  const double legend = DrawLegend(cr,
                                   {body.x + kAxesLeftRoom, body.y,
                                    body.width - kAxesLeftRoom - kRightRoom, 0},
                                   LegendEntries(chart));
  const double top = body.y + legend + 8;
  const Rect frame = {body.x + kAxesLeftRoom, top,
                      body.width - kAxesLeftRoom - kRightRoom,
                      body.y + body.height - kAxesBottomRoom - top};
  Range xs, ys;
  for (const Series& s : chart.series) {
    for (size_t i = 0; i < std::min(s.x.size(), s.y.size()); ++i) {
      if (!Kept(chart, s.x[i], s.y[i])) continue;
      xs.Add(s.x[i]);
      ys.Add(s.y[i]);
      ys.Add(s.y[i] + ErrorOf(s, i));
      if (Kept(chart, s.x[i], s.y[i] - ErrorOf(s, i))) {
        ys.Add(s.y[i] - ErrorOf(s, i));
      }
    }
  }
  if (ys.empty() || frame.width < 8 || frame.height < 8) {
    DrawNote(cr, frame, "no data");
  } else {
    const AxesMap map{frame, PaddedAxis(xs.lo, xs.hi, false, chart.x_label),
                      PaddedAxis(ys.lo, ys.hi, chart.log_y, chart.y_label)};
    DrawAxes(cr, map);
    DrawSeries(cr, chart, map);
  }
  cairo_restore(cr);
}

}  // namespace jkoflow
