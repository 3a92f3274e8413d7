#ifndef JKOFLOW_CLIENT_PLOT_REPORT_H_
#define JKOFLOW_CLIENT_PLOT_REPORT_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "client/plot/figure.h"
#include "client/point_matrix.h"
#include "jkoflow/v1/flow.pb.h"

namespace jkoflow {

// The report is a header band over a grid of kReportColumns ×
// kReportRows panels (see ReportPanel).
inline constexpr int kReportColumns = 4;
inline constexpr int kReportRows = 2;
inline constexpr int kReportPanelWidth = 440;
inline constexpr int kReportPanelHeight = 350;
inline constexpr int kReportHeaderHeight = 60;
inline constexpr int kReportWidth = kReportColumns * kReportPanelWidth;
inline constexpr int kReportHeight =
    kReportHeaderHeight + kReportRows * kReportPanelHeight;

// ReportPanel names the report's panels in grid order (row by row).
enum class ReportPanel {
  kLossTerms,    // BlockStats loss, potential, −div, movement per block
  kKl,           // kl_plus_entropy against step_sum, linear
  kKlDecrease,   // stats.kl_decrease ± its standard error, linear y
  kDensity,      // 2-D sample density, or a note for other dimensions
  kResidual,     // first_order_residual and stein_residual ± s.e., log y
  kInversion,    // BlockStats.inversion_error, log y
  kCertificate,  // the certificate and Theorem 4.3's KL bound, log y
  kNotes,        // a few numbers in words
};
inline constexpr int kReportPanels = 8;

// ReportPanelRect() is where `panel` lies in the report figure.
Rect ReportPanelRect(ReportPanel panel);

// CheckReportable() returns FailedPrecondition, naming the model, when it
// has no blocks (there is nothing to report); OK otherwise.
absl::Status CheckReportable(const v1::ModelInfo& model);

// RenderReport() draws the per-block diagnostics of `model` (as GetModel
// returns it) into one kReportWidth × kReportHeight figure under a header
// naming the model and its version. Each chart panel has axes with ticks
// and labels, and a legend when it has several series. Values of blocks
// without diagnostics (diagnostics.points = 0) are skipped, except
// step_sum and kl_plus_entropy, which every block has; so are non-finite
// values and, on log axes, non-positive ones. The density panel draws
// `samples` with DrawDensity() when they are given (null: a note, "2-D
// models only" unless model.dim() is 2); rows with a non-finite value are
// left out. Returns the CheckReportable() error, or InvalidArgument when
// `samples` is not a [n, 2] matrix.
absl::StatusOr<Figure> RenderReport(const v1::ModelInfo& model,
                                    const PointMatrix* samples);

}  // namespace jkoflow

#endif  // JKOFLOW_CLIENT_PLOT_REPORT_H_
