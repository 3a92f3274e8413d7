#ifndef JKOFLOW_CLIENT_PLOT_REPORT_CHARTS_H_
#define JKOFLOW_CLIENT_PLOT_REPORT_CHARTS_H_

#include <string>
#include <vector>

#include "client/plot/line_chart.h"
#include "jkoflow/v1/flow.pb.h"

namespace jkoflow {

// The report's charts of one model's blocks (see ReportPanel in report.h),
// each from GetModel's ModelInfo. A block without diagnostics
// (diagnostics.points = 0) contributes NaN, which the chart skips, to every
// series but those of step_sum and kl_plus_entropy.

// LossTermsChart() is loss, potential, −div and movement per block.
LineChart LossTermsChart(const v1::ModelInfo& model);
// KlChart() is kl_plus_entropy over step_sum.
LineChart KlChart(const v1::ModelInfo& model);
// KlDecreaseChart() is (KL + H)ₖ₋₁ − (KL + H)ₖ over step_sum, log y: the
// unknown entropy cancels, and a geometric decay is a straight line.
LineChart KlDecreaseChart(const v1::ModelInfo& model);
// ResidualChart() is the first-order residual ε² and its noise floor
// (dashed) per block, log y.
LineChart ResidualChart(const v1::ModelInfo& model);
// InversionChart() is each block's inversion error, log y.
LineChart InversionChart(const v1::ModelInfo& model);
// LipschitzChart() is the Lipschitz lower-bound products of T and T⁻¹.
LineChart LipschitzChart(const v1::ModelInfo& model);

// ReportNotes() is a few numbers of the model in words, and how to read
// the charts. Expects at least one block.
std::vector<std::string> ReportNotes(const v1::ModelInfo& model);

}  // namespace jkoflow

#endif  // JKOFLOW_CLIENT_PLOT_REPORT_CHARTS_H_
