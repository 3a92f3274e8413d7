#include "client/report_png.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/status_macros.h"
#include "client/bitmap_font.h"
#include "client/line_panel.h"

namespace jkoflow {
namespace {

// A qualitative palette (Tableau 10).
constexpr Rgb kBlue = {31, 119, 180};
constexpr Rgb kOrange = {255, 127, 14};
constexpr Rgb kGreen = {44, 160, 44};
constexpr Rgb kRed = {214, 39, 40};
constexpr Rgb kGrey = {110, 110, 110};
constexpr Rgb kInk = {40, 40, 40};

const double kSkip = std::nan("");

// The 1-based index of blocks(i), counting from 1 when it is not set.
double BlockIndex(const v1::ModelInfo& model, int i) {
  const int64_t index = model.blocks(i).index();
  return static_cast<double>(index > 0 ? index : i + 1);
}

bool Measured(const v1::BlockInfo& block) {
  return block.diagnostics().points() > 0;
}

// One series over the block index, of `value(block)`, or kSkip for a block
// without diagnostics when `needs_diagnostics`.
template <typename Value>
Series PerBlock(const v1::ModelInfo& model, const std::string& label,
                Rgb colour, bool needs_diagnostics, Value value) {
  Series series{label, colour, {}, {}, false};
  for (int i = 0; i < model.blocks_size(); ++i) {
    const v1::BlockInfo& block = model.blocks(i);
    series.x.push_back(BlockIndex(model, i));
    series.y.push_back(needs_diagnostics && !Measured(block) ? kSkip
                                                             : value(block));
  }
  return series;
}

LinePanel LossTerms(const v1::ModelInfo& model) {
  return {
      "LOSS TERMS PER BLOCK",
      "BLOCK",
      /*log_y=*/false,
      {PerBlock(model, "LOSS", kBlue, false,
                [](const v1::BlockInfo& b) { return b.stats().loss(); }),
       PerBlock(model, "POTENTIAL", kOrange, false,
                [](const v1::BlockInfo& b) { return b.stats().potential(); }),
       PerBlock(
           model, "-DIV", kGreen, false,
           [](const v1::BlockInfo& b) { return b.stats().neg_divergence(); }),
       PerBlock(model, "MOVEMENT", kRed, false, [](const v1::BlockInfo& b) {
         return b.stats().movement_term();
       })}};
}

LinePanel Kl(const v1::ModelInfo& model) {
  Series series{"", kBlue, {}, {}, false};
  for (const v1::BlockInfo& block : model.blocks()) {
    series.x.push_back(block.diagnostics().step_sum());
    series.y.push_back(block.diagnostics().kl_plus_entropy());
  }
  return {"KL + H(P0) AFTER EACH BLOCK", "SUM H", false, {series}};
}

// KL_{k−1} − KL_k = (KL + H)_{k−1} − (KL + H)_k: the entropy cancels, and a
// geometric decay of KL is a straight line on the log axis.
LinePanel KlDecrease(const v1::ModelInfo& model) {
  Series series{"", kBlue, {}, {}, false};
  for (int i = 1; i < model.blocks_size(); ++i) {
    const v1::BlockDiagnostics& before = model.blocks(i - 1).diagnostics();
    const v1::BlockDiagnostics& after = model.blocks(i).diagnostics();
    series.x.push_back(after.step_sum());
    series.y.push_back(before.kl_plus_entropy() - after.kl_plus_entropy());
  }
  return {"KL DECREASE PER BLOCK (LOG)", "SUM H", true, {series}};
}

LinePanel Residual(const v1::ModelInfo& model) {
  Series floor = PerBlock(
      model, "NOISE FLOOR", kGrey, true,
      [](const v1::BlockInfo& b) { return b.diagnostics().residual_floor(); });
  floor.dashed = true;
  return {"EPS^2 PER BLOCK (LOG)",
          "BLOCK",
          true,
          {PerBlock(model, "EPS^2", kBlue, true,
                    [](const v1::BlockInfo& b) {
                      return b.diagnostics().first_order_residual();
                    }),
           floor}};
}

LinePanel Inversion(const v1::ModelInfo& model) {
  return {"INVERSION ERROR (LOG)",
          "BLOCK",
          true,
          {PerBlock(model, "", kBlue, false, [](const v1::BlockInfo& b) {
            return b.stats().inversion_error();
          })}};
}

LinePanel Lipschitz(const v1::ModelInfo& model) {
  return {
      "LIPSCHITZ LOWER-BOUND PRODUCTS (LOG)",
      "BLOCK",
      true,
      {PerBlock(model, "T", kBlue, true,
                [](const v1::BlockInfo& b) {
                  return b.diagnostics().lipschitz_product();
                }),
       PerBlock(model, "T INVERSE", kOrange, true, [](const v1::BlockInfo& b) {
         return b.diagnostics().inverse_lipschitz_product();
       })}};
}

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

// An empty density panel that says why, in large letters.
void DrawDensityNote(DensityImage& image, const Rect& area,
                     const std::string& note) {
  DrawTextPanel(image, area, "SAMPLE DENSITY", {});
  const int scale = TextWidth(note, 2) <= area.width - 8 ? 2 : 1;
  DrawText(image, area.x + (area.width - TextWidth(note, scale)) / 2,
           area.y + (area.height - kGlyphHeight * scale) / 2, note, kInk,
           scale);
}

absl::Status DrawDensity(DensityImage& image, const Rect& area,
                         const v1::ModelInfo& model,
                         const PointMatrix* samples) {
  if (samples == nullptr) {
    DrawDensityNote(image, area,
                    model.dim() == 2 ? "DENSITY: NO SAMPLES GIVEN"
                                     : "DENSITY: 2-D MODELS ONLY");
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
    DrawDensityNote(image, area, "DENSITY: NO FINITE SAMPLES");
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(const DensityImage density, RenderDensity(finite));
  DrawTextPanel(image, area,
                absl::StrCat("SAMPLE DENSITY (N = ", finite.rows, ")"), {});
  // A square under the title, with room for the axis labels.
  const int top = area.y + 30;
  const int side =
      std::min(area.width - 2 * 58, area.y + area.height - 24 - top);
  const Rect square = {area.x + (area.width - side) / 2, top, side, side};
  BlitScaled(image, square, density);
  DrawFrame(image, square, kInk);
  const DensityExtent x = DensityAxisExtent(finite, 0);
  const DensityExtent y = DensityAxisExtent(finite, 1);
  const std::string y_hi = FormatAxisValue(y.hi);
  const std::string y_lo = FormatAxisValue(y.lo);
  DrawText(image, square.x - 5 - TextWidth(y_hi, 1), square.y, y_hi, kInk, 1);
  DrawText(image, square.x - 5 - TextWidth(y_lo, 1),
           square.y + side - kGlyphHeight, y_lo, kInk, 1);
  const int label_top = square.y + side + 5;
  DrawText(image, square.x, label_top, FormatAxisValue(x.lo), kInk, 1);
  const std::string x_hi = FormatAxisValue(x.hi);
  DrawText(image, square.x + side - TextWidth(x_hi, 1), label_top, x_hi, kInk,
           1);
  return absl::OkStatus();
}

std::vector<std::string> Notes(const v1::ModelInfo& model) {
  int measured = 0;
  std::vector<std::string> above;
  for (int i = 0; i < model.blocks_size(); ++i) {
    const v1::BlockInfo& block = model.blocks(i);
    if (Measured(block)) ++measured;
    if (block.diagnostics().step_above_bound()) {
      above.push_back(absl::StrCat(BlockIndex(model, i)));
    }
  }
  const v1::BlockDiagnostics& last =
      model.blocks(model.blocks_size() - 1).diagnostics();
  return {
      absl::StrCat("BLOCKS: ", model.blocks_size(),
                   ", WITH DIAGNOSTICS: ", measured),
      absl::StrCat("SUM H: ", FormatAxisValue(last.step_sum())),
      absl::StrCat("KL + H(P0) AFTER THE LAST BLOCK: ",
                   FormatAxisValue(last.kl_plus_entropy())),
      absl::StrCat("END-TO-END INVERSION ERROR: ",
                   FormatAxisValue(model.inversion_error())),
      absl::StrCat("H > 1 (ABOVE THE THEORY'S BOUND) IN BLOCKS: ",
                   above.empty() ? "NONE" : absl::StrJoin(above, ",")),
      "",
      "KL DECREASE: (KL+H)[K-1] - (KL+H)[K], POSITIVE ONLY;",
      "THE UNKNOWN DATA ENTROPY H(P0) CANCELS IN IT.",
      "EPS^2: FIRST-ORDER RESIDUAL; DASHED: ITS NOISE FLOOR.",
      "BLOCKS WITHOUT DIAGNOSTICS, NON-FINITE VALUES AND",
      "NON-POSITIVE VALUES ON LOG AXES ARE NOT DRAWN.",
  };
}

std::string Header(const v1::ModelInfo& model) {
  return absl::StrCat(
      "JKOFLOW REPORT: ", model.name(), " VERSION ", model.version(), ", DIM ",
      model.dim(), ", ", model.blocks_size(), " BLOCKS",
      model.dataset().empty() ? "" : ", DATA ", model.dataset());
}

}  // namespace

Rect ReportPanelRect(ReportPanel panel) {
  const int i = static_cast<int>(panel);
  return {(i % kReportColumns) * kReportPanelWidth,
          kReportHeaderHeight + (i / kReportColumns) * kReportPanelHeight,
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

absl::StatusOr<DensityImage> RenderReport(const v1::ModelInfo& model,
                                          const PointMatrix* samples) {
  RETURN_IF_ERROR(CheckReportable(model));
  DensityImage image = BlankImage(kReportWidth, kReportHeight);
  DrawTitle(image, {0, 0, kReportWidth, kReportHeaderHeight}, Header(model));
  DrawLinePanel(image, ReportPanelRect(ReportPanel::kLossTerms),
                LossTerms(model));
  DrawLinePanel(image, ReportPanelRect(ReportPanel::kKl), Kl(model));
  DrawLinePanel(image, ReportPanelRect(ReportPanel::kKlDecrease),
                KlDecrease(model));
  RETURN_IF_ERROR(DrawDensity(image, ReportPanelRect(ReportPanel::kDensity),
                              model, samples));
  DrawLinePanel(image, ReportPanelRect(ReportPanel::kResidual),
                Residual(model));
  DrawLinePanel(image, ReportPanelRect(ReportPanel::kInversion),
                Inversion(model));
  DrawLinePanel(image, ReportPanelRect(ReportPanel::kLipschitz),
                Lipschitz(model));
  DrawTextPanel(image, ReportPanelRect(ReportPanel::kNotes), "NOTES",
                Notes(model));
  return image;
}

}  // namespace jkoflow
