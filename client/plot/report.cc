#include "client/plot/report.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "client/plot/axes.h"
#include "client/plot/density.h"
#include "client/plot/panel.h"
#include "client/plot/report_charts.h"
#include "client/plot/text.h"
#include "client/plot/ticks.h"

namespace jkoflow {
namespace {

// The rows of `samples` whose coordinates are all finite.
PointMatrix FiniteRows(const PointMatrix& samples) {
  PointMatrix kept;
  kept.cols = samples.cols;
  for (int64_t r = 0; r < samples.rows; ++r) {
    const float* row = &samples.values[r * samples.cols];
    bool finite = true;
    for (int64_t c = 0; c < samples.cols; ++c) {
      finite = finite && std::isfinite(row[c]);
    }
    if (!finite) continue;
    kept.values.insert(kept.values.end(), row, row + samples.cols);
    ++kept.rows;
  }
  return kept;
}

// DrawDensityPanel() draws the density of `samples` in a square with axes,
// or a note saying why there is none.
absl::Status DrawDensityPanel(cairo_t* cr, const Rect& area,
                              const v1::ModelInfo& model,
                              const PointMatrix* samples) {
  if (samples == nullptr) {
    DrawNote(cr, DrawPanel(cr, area, "Sample density"),
             model.dim() == 2 ? "no samples given" : "2-D models only");
    return absl::OkStatus();
  }
  RETURN_IF_ERROR(CheckShape(*samples, "samples"));
  if (samples->cols != 2) {
    return absl::InvalidArgumentError(absl::StrCat(
        "report: the density panel needs 2-D samples, got dimension ",
        samples->cols));
  }
  const PointMatrix finite = FiniteRows(*samples);
  if (finite.rows == 0) {
    DrawNote(cr, DrawPanel(cr, area, "Sample density"), "no finite samples");
    return absl::OkStatus();
  }
  const Rect body = DrawPanel(
      cr, area,
      absl::StrCat("Sample density (n = ", WithThousands(finite.rows), ")"));
  const double room_x = body.width - kAxesLeftRoom - 16;
  const double side =
      std::floor(std::min(room_x, body.height - kAxesBottomRoom - 8));
  const Rect square = {std::floor(body.x + kAxesLeftRoom + (room_x - side) / 2),
                       body.y + 8, side, side};
  DrawDensity(cr, square, finite);
  return absl::OkStatus();
}

void DrawHeader(cairo_t* cr, const v1::ModelInfo& model) {
  const Rect band = {0, 0, kReportWidth, kReportHeaderHeight};
  DrawTitle(cr, {band.x, band.y + 4, band.width, 30},
            absl::StrCat("jkoflow report — ",
                         ModelLabel({model.name(), model.version()})),
            /*size=*/20);
  std::string details =
      absl::StrCat("dimension ", model.dim(), " · ", model.blocks_size(),
                   model.blocks_size() == 1 ? " block" : " blocks");
  if (!model.dataset().empty()) {
    absl::StrAppend(&details, " · data ", model.dataset());
  }
  DrawText(cr, details, band.width / 2, band.y + 38, Align::kCentre,
           Align::kStart, {13, false, kMuted});
}

}  // namespace

Rect ReportPanelRect(ReportPanel panel) {
  const int i = static_cast<int>(panel);
  return {static_cast<double>((i % kReportColumns) * kReportPanelWidth),
          static_cast<double>(kReportHeaderHeight +
                              (i / kReportColumns) * kReportPanelHeight),
          kReportPanelWidth, kReportPanelHeight};
}

absl::Status CheckReportable(const v1::ModelInfo& model) {
  if (model.blocks_size() == 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("report: model ", model.name(), " version ",
                     model.version(), " has no blocks to report on"));
  }
  return absl::OkStatus();
}

absl::StatusOr<Figure> RenderReport(const v1::ModelInfo& model,
                                    const PointMatrix* samples) {
  RETURN_IF_ERROR(CheckReportable(model));
  ASSIGN_OR_RETURN(Figure figure, Figure::Create(kReportWidth, kReportHeight));
  cairo_t* cr = figure.cr();
  DrawHeader(cr, model);
  const auto rect = [](ReportPanel p) { return ReportPanelRect(p); };
  DrawLineChart(cr, rect(ReportPanel::kLossTerms), LossTermsChart(model));
  DrawLineChart(cr, rect(ReportPanel::kKl), KlChart(model));
  DrawLineChart(cr, rect(ReportPanel::kKlDecrease), KlDecreaseChart(model));
  RETURN_IF_ERROR(
      DrawDensityPanel(cr, rect(ReportPanel::kDensity), model, samples));
  DrawLineChart(cr, rect(ReportPanel::kResidual), ResidualChart(model));
  DrawLineChart(cr, rect(ReportPanel::kInversion), InversionChart(model));
  DrawLineChart(cr, rect(ReportPanel::kCertificate), CertificateChart(model));
  const Rect notes = DrawPanel(cr, rect(ReportPanel::kNotes), "Notes");
  DrawTextLines(cr, {notes.x + 14, notes.y + 8, notes.width - 28, 0},
                ReportNotes(model));
  return figure;
}

}  // namespace jkoflow
