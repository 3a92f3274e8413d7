#include "client/plot/report_charts.h"

#include <cmath>
#include <cstdint>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace jkoflow {
namespace {

// A qualitative palette (Tableau 10), and a grey for reference lines.
constexpr Colour kBlue = {0.122, 0.467, 0.706};
constexpr Colour kOrange = {1.0, 0.498, 0.055};
constexpr Colour kGreen = {0.173, 0.627, 0.173};
constexpr Colour kRed = {0.839, 0.153, 0.157};
constexpr Colour kGrey = {0.43, 0.43, 0.43};

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
                Colour colour, bool needs_diagnostics, Value value) {
  Series series{label, colour, {}, {}, false};
  for (int i = 0; i < model.blocks_size(); ++i) {
    const v1::BlockInfo& block = model.blocks(i);
    series.x.push_back(BlockIndex(model, i));
    series.y.push_back(needs_diagnostics && !Measured(block) ? kSkip
                                                             : value(block));
  }
  return series;
}

std::string Number(double v) { return absl::StrFormat("%.3g", v); }

}  // namespace

LineChart LossTermsChart(const v1::ModelInfo& model) {
  using B = const v1::BlockInfo&;
  return {"Loss terms per block",
          "block",
          "value",
          /*log_y=*/false,
          {PerBlock(model, "loss", kBlue, false,
                    [](B b) { return b.stats().loss(); }),
           PerBlock(model, "potential", kOrange, false,
                    [](B b) { return b.stats().potential(); }),
           PerBlock(model, "−div", kGreen, false,
                    [](B b) { return b.stats().neg_divergence(); }),
           PerBlock(model, "movement", kRed, false,
                    [](B b) { return b.stats().movement_term(); })}};
}

LineChart KlChart(const v1::ModelInfo& model) {
  Series series{"", kBlue, {}, {}, false};
  for (const v1::BlockInfo& block : model.blocks()) {
    series.x.push_back(block.diagnostics().step_sum());
    series.y.push_back(block.diagnostics().kl_plus_entropy());
  }
  return {"KL + H(P₀) after each block",
          "time Σh",
          "KL + H(P₀) (nats)",
          false,
          {series}};
}

LineChart KlDecreaseChart(const v1::ModelInfo& model) {
  Series decrease{"decrease ± s.e.", kBlue, {}, {}, false};
  Series zero{"0", kGrey, {}, {}, true};
  for (const v1::BlockInfo& block : model.blocks()) {
    decrease.x.push_back(block.diagnostics().step_sum());
    decrease.y.push_back(block.stats().kl_decrease());
    decrease.error.push_back(block.stats().kl_decrease_std_error());
    zero.x.push_back(block.diagnostics().step_sum());
    zero.y.push_back(0);
  }
  return {"KL decrease per block (fixed rows)",
          "time Σh",
          "decrease (nats)",
          false,
          {decrease, zero}};
}

LineChart ResidualChart(const v1::ModelInfo& model) {
  using B = const v1::BlockInfo&;
  Series kernel = PerBlock(model, "ε² (kernel score)", kBlue, true, [](B b) {
    return b.diagnostics().first_order_residual();
  });
  Series stein = PerBlock(model, "Stein S²", kOrange, true,
                          [](B b) { return b.diagnostics().stein_residual(); });
  for (const v1::BlockInfo& b : model.blocks()) {
    kernel.error.push_back(b.diagnostics().first_order_residual_std_error());
    stein.error.push_back(b.diagnostics().stein_residual_std_error());
  }
  return {"First-order residual per block (± s.e.)",
          "block",
          "ε², S²",
          true,
          {kernel, stein}};
}

LineChart InversionChart(const v1::ModelInfo& model) {
  return {"Inversion error per block",
          "block",
          "E|T⁻¹(T(x)) − x|²",
          true,
          {PerBlock(model, "", kBlue, false, [](const v1::BlockInfo& b) {
            return b.stats().inversion_error();
          })}};
}

LineChart CertificateChart(const v1::ModelInfo& model) {
  using B = const v1::BlockInfo&;
  return {"Bounds on KL(pₖ ‖ N(0, I))",
          "block",
          "upper bound (nats)",
          true,
          {PerBlock(model, "½ (√Wₖ / hₖ + εₖ)²", kBlue, true,
                    [](B b) { return b.diagnostics().certificate(); }),
           PerBlock(model, "Theorem 4.3", kOrange, true, [](B b) {
             return b.diagnostics().convergence_kl_bound();
           })}};
}

std::vector<std::string> ReportNotes(const v1::ModelInfo& model) {
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
      absl::StrCat("Blocks: ", model.blocks_size(),
                   ", with diagnostics: ", measured),
      absl::StrCat("Total time Σh: ", Number(last.step_sum())),
      absl::StrCat("KL + H(P₀) after the last block: ",
                   Number(last.kl_plus_entropy())),
      absl::StrCat("End-to-end inversion error: ",
                   Number(model.inversion_error())),
      absl::StrCat("W2(P₀, N(0, I))² (block 1's points): ",
                   Number(model.blocks(0).diagnostics().start_distance())),
      absl::StrCat("Step h above the theory's bound in: ",
                   above.empty()       ? "no block"
                   : above.size() == 1 ? "block "
                                       : "blocks ",
                   absl::StrJoin(above, ", ")),
      "",
      "KL decrease: KLₖ₋₁ − KLₖ on the same rows for every",
      "    block, ± one standard error; negatives drawn.",
      "ε²: first-order residual with a kernel score (biased",
      "    up where pₖ has modes); S²: the same condition in",
      "    Stein form, no score needed (0 when it holds).",
      "Bounds on KL: the log-Sobolev one from εₖ and the",
      "    movement Wₖ; Theorem 4.3 from W2(P₀, N(0, I))²",
      "    and every block's h and ε² (as good as ε²).",
      "Not drawn: blocks without diagnostics, non-finite",
      "    values, and values ≤ 0 on log axes.",
  };
}

}  // namespace jkoflow
