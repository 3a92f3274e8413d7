#ifndef JKOFLOW_CLIENT_PLOT_LINE_CHART_H_
#define JKOFLOW_CLIENT_PLOT_LINE_CHART_H_

#include <cairo.h>

#include <string>
#include <vector>

#include "client/plot/figure.h"

namespace jkoflow {

// Series is one line of a LineChart: points (x[i], y[i]), in order. A
// point with a non-finite coordinate, or a non-positive y on a log axis,
// is skipped and breaks the line there; each kept point gets a round
// marker, so that an isolated point still shows.
struct Series {
  std::string label;  // legend text; empty: not in the legend
  Colour colour;
  std::vector<double> x;  // same length as y
  std::vector<double> y;
  bool dashed = false;
  // One standard error per point, drawn as a bar y ± error (empty, or a
  // non-finite entry: no bar); the axes make room for the bars.
  std::vector<double> error = {};
};

// LineChart is a small chart of series over a shared x: a title, a legend
// (when two or more series have labels) and axes with ticks and labels.
// The axes span the kept points (PaddedAxis()); a chart with no kept point
// says "no data".
struct LineChart {
  std::string title;
  std::string x_label;
  std::string y_label;
  bool log_y = false;
  std::vector<Series> series;
};

// DrawLineChart() draws `chart` as a panel (DrawPanel()) filling `area`;
// nothing is drawn outside `area`.
void DrawLineChart(cairo_t* cr, const Rect& area, const LineChart& chart);

}  // namespace jkoflow

#endif  // JKOFLOW_CLIENT_PLOT_LINE_CHART_H_
