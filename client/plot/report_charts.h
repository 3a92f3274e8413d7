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
// KlDecreaseChart() is each block's KL decrease on fixed rows ± its
// standard error over step_sum, linear y with a dashed 0 (negative
// decreases are drawn: they are noise or a block that made things worse).
LineChart KlDecreaseChart(const v1::ModelInfo& model);
// ResidualChart() is the first-order residual ε² (kernel score) and its
// kernel Stein form S² per block, each ± its standard error, log y.
LineChart ResidualChart(const v1::ModelInfo& model);
// InversionChart() is each block's inversion error, log y.
LineChart InversionChart(const v1::ModelInfo& model);
// CertificateChart() is each block's log-Sobolev certificate and the seed
// paper's Theorem 4.3 bound on KL, log y.
LineChart CertificateChart(const v1::ModelInfo& model);

// ReportNotes() is a few numbers of the model in words, and how to read
// the charts. Expects at least one block.
std::vector<std::string> ReportNotes(const v1::ModelInfo& model);

}  // namespace jkoflow

#endif  // JKOFLOW_CLIENT_PLOT_REPORT_CHARTS_H_
