#include "client/line_panel.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/str_format.h"
#include "client/bitmap_font.h"

namespace jkoflow {
namespace {

constexpr Rgb kInk = {40, 40, 40};
constexpr Rgb kPanelFrame = {190, 190, 190};
constexpr Rgb kZeroLine = {170, 170, 170};
constexpr int kLeftMargin = 58;  // room for 8 characters of y label
constexpr int kRightMargin = 14;
constexpr int kBottomMargin = 26;  // x labels and the x axis name
constexpr int kLegendLine = 12;
constexpr int kSwatch = 12;

// Interval [lo, hi] of one axis, in plotted units (log10 y on a log axis).
struct Range {
  double lo = std::numeric_limits<double>::infinity();
  double hi = -std::numeric_limits<double>::infinity();
  bool empty() const { return !(lo <= hi); }
  void Add(double v) {
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
};

// Plotted y of a value, or NaN when it is skipped.
double PlotY(double y, bool log_y) {
  if (!std::isfinite(y)) return std::nan("");
  if (log_y) return y > 0 ? std::log10(y) : std::nan("");
  return y;
}

// The axis around the data: a 5 % margin, or ±10 % (±0.25 on a log axis,
// ±1 around 0) when all values are equal.
Range Padded(Range data, bool log_scale) {
  double span = data.hi - data.lo;
  if (!(span > 1e-12 * std::max(1.0, std::fabs(data.lo)))) {
    const double pad =
        log_scale ? 0.25 : (data.lo != 0 ? 0.1 * std::fabs(data.lo) : 1.0);
    return {data.lo - pad, data.hi + pad};
  }
  return {data.lo - 0.05 * span, data.hi + 0.05 * span};
}

// The legend's lines of series indices, each line fitting `width`.
std::vector<std::vector<size_t>> LegendLines(const LinePanel& panel,
                                             int width) {
  std::vector<std::vector<size_t>> lines;
  int used = width;
  for (size_t i = 0; i < panel.series.size(); ++i) {
    const std::string& label = panel.series[i].label;
    if (label.empty()) continue;
    const int entry = kSwatch + 4 + TextWidth(label, 1) + 12;
    if (used + entry > width) {
      lines.emplace_back();
      used = 0;
    }
    lines.back().push_back(i);
    used += entry;
  }
  return lines;
}

void DrawLegend(DensityImage& image, const Rect& area, int top,
                const LinePanel& panel,
                const std::vector<std::vector<size_t>>& lines) {
  for (size_t l = 0; l < lines.size(); ++l) {
    int x = area.x + kLeftMargin;
    const int y = top + static_cast<int>(l) * kLegendLine;
    for (const size_t i : lines[l]) {
      const Series& series = panel.series[i];
      DrawLine(image, x, y + 3, x + kSwatch - 1, y + 3, series.colour, 2,
               /*dashed=*/false, area);
      x += kSwatch + 4;
      DrawText(image, x, y, series.label, kInk, 1);
      x += TextWidth(series.label, 1) + 12;
    }
  }
}

// Draws `text` (scale 1) centred on column `x`, kept inside `area`.
void DrawCentred(DensityImage& image, const Rect& area, int x, int y,
                 const std::string& text) {
  const int width = TextWidth(text, 1);
  const int left =
      std::clamp(x - width / 2, area.x + 2, area.x + area.width - 2 - width);
  DrawText(image, left, y, text, kInk, 1);
}

// Draws `text` (scale 1) ending at column `right`, centred on row `y`.
void DrawRightAligned(DensityImage& image, int right, int y,
                      const std::string& text) {
  DrawText(image, right - TextWidth(text, 1), y - kGlyphHeight / 2, text, kInk,
           1);
}

}  // namespace

std::string FormatAxisValue(double v) {
  return absl::AsciiStrToUpper(absl::StrFormat("%.3g", v));
}

int DrawTitle(DensityImage& image, const Rect& area, const std::string& title) {
  const int scale = TextWidth(title, 2) <= area.width - 8 ? 2 : 1;
  const int width = TextWidth(title, scale);
  DrawText(image, area.x + std::max(4, (area.width - width) / 2), area.y + 5,
           title, kInk, scale);
  return kGlyphHeight * scale + 10;
}

void DrawTextPanel(DensityImage& image, const Rect& area,
                   const std::string& title,
                   const std::vector<std::string>& lines) {
  FillRect(image, area, kWhite);
  DrawFrame(image, area, kPanelFrame);
  int y = area.y + DrawTitle(image, area, title) + 6;
  for (const std::string& line : lines) {
    DrawText(image, area.x + 12, y, line, kInk, 1);
    y += kLegendLine + 2;
  }
}

namespace {

// PlotMapping takes data coordinates (y through PlotY()) to pixels of the
// plot's inside.
struct PlotMapping {
  Rect plot;
  Range x_axis, y_axis;
  double X(double x) const {
    return plot.x + 1 +
           (x - x_axis.lo) / (x_axis.hi - x_axis.lo) * (plot.width - 3);
  }
  double Y(double y) const {
    return plot.y + plot.height - 2 -
           (y - y_axis.lo) / (y_axis.hi - y_axis.lo) * (plot.height - 3);
  }
};

// DataRanges() is the range of the finite points of every series.
void DataRanges(const LinePanel& panel, Range& xs, Range& ys) {
  for (const Series& series : panel.series) {
    const size_t n = std::min(series.x.size(), series.y.size());
    for (size_t i = 0; i < n; ++i) {
      const double y = PlotY(series.y[i], panel.log_y);
      if (!std::isfinite(series.x[i]) || std::isnan(y)) continue;
      xs.Add(series.x[i]);
      ys.Add(y);
    }
  }
}

// DrawSeries() draws each series as points joined by lines (broken at
// non-finite points), clipped to `inside`.
void DrawSeries(DensityImage& image, const LinePanel& panel,
                const PlotMapping& map, const Rect& inside) {
  for (const Series& series : panel.series) {
    const size_t n = std::min(series.x.size(), series.y.size());
    bool previous = false;
    double last_x = 0, last_y = 0;
    for (size_t i = 0; i < n; ++i) {
      const double y = PlotY(series.y[i], panel.log_y);
      if (!std::isfinite(series.x[i]) || std::isnan(y)) {
        previous = false;
        continue;
      }
      const double x_pixel = map.X(series.x[i]);
      const double y_pixel = map.Y(y);
      if (previous) {
        DrawLine(image, last_x, last_y, x_pixel, y_pixel, series.colour, 2,
                 series.dashed, inside);
      }
      DrawLine(image, x_pixel, y_pixel, x_pixel, y_pixel, series.colour, 4,
               /*dashed=*/false, inside);
      previous = true;
      last_x = x_pixel;
      last_y = y_pixel;
    }
  }
}

// DrawTicks() puts ticks and labels at the data's extremes, and the x
// label under the plot.
void DrawTicks(DensityImage& image, const Rect& area, const LinePanel& panel,
               const PlotMapping& map, const Range& xs, const Range& ys) {
  const Rect& plot = map.plot;
  const auto value = [&](double y) {
    return FormatAxisValue(panel.log_y ? std::pow(10.0, y) : y);
  };
  const int label_right = plot.x - 5;
  for (const double y : {ys.lo, ys.hi}) {
    const int row = static_cast<int>(std::lround(map.Y(y)));
    DrawLine(image, plot.x - 3, row, plot.x, row, kInk, 1, false, area);
    DrawRightAligned(image, label_right, row, value(y));
    if (ys.lo == ys.hi) break;
  }
  if (panel.log_y) {
    DrawRightAligned(image, label_right, plot.y + plot.height / 2, "LOG");
  }
  const int label_top = plot.y + plot.height + 5;
  for (const double x : {xs.lo, xs.hi}) {
    const int column = static_cast<int>(std::lround(map.X(x)));
    DrawLine(image, column, plot.y + plot.height, column,
             plot.y + plot.height + 2, kInk, 1, false, area);
    DrawCentred(image, area, column, label_top, FormatAxisValue(x));
    if (xs.lo == xs.hi) break;
  }
  DrawCentred(image, area, plot.x + plot.width / 2, label_top + 10,
              panel.x_label);
}

}  // namespace

void DrawLinePanel(DensityImage& image, const Rect& area,
                   const LinePanel& panel) {
  FillRect(image, area, kWhite);
  DrawFrame(image, area, kPanelFrame);
  int top = area.y + DrawTitle(image, area, panel.title);
  const std::vector<std::vector<size_t>> legend =
      LegendLines(panel, area.width - kLeftMargin - kRightMargin);
  DrawLegend(image, area, top, panel, legend);
  top += static_cast<int>(legend.size()) * kLegendLine + 6;
  const Rect plot = {area.x + kLeftMargin, top,
                     area.width - kLeftMargin - kRightMargin,
                     area.y + area.height - kBottomMargin - top};
  if (plot.width < 8 || plot.height < 8) return;
  DrawFrame(image, plot, kInk);

  Range xs, ys;
  DataRanges(panel, xs, ys);
  if (ys.empty()) {
    const std::string text = "NO DATA";
    DrawText(image, plot.x + (plot.width - TextWidth(text, 2)) / 2,
             plot.y + (plot.height - 2 * kGlyphHeight) / 2, text, kInk, 2);
    return;
  }
  const PlotMapping map{plot, Padded(xs, /*log_scale=*/false),
                        Padded(ys, panel.log_y)};
  const Rect inside = {plot.x + 1, plot.y + 1, plot.width - 2, plot.height - 2};
  if (!panel.log_y && map.y_axis.lo < 0 && map.y_axis.hi > 0) {
    DrawLine(image, inside.x, map.Y(0), inside.x + inside.width, map.Y(0),
             kZeroLine, 1, /*dashed=*/true, inside);
  }
  DrawSeries(image, panel, map, inside);
  DrawTicks(image, area, panel, map, xs, ys);
}

}  // namespace jkoflow
