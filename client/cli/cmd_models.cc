// The `models` and `info` subcommands: what the server serves.

#include <CLI/CLI.hpp>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/status_macros.h"
#include "client/cli/command.h"
#include "client/cli/common_options.h"
#include "client/cli/table.h"

namespace jkoflow {
namespace {

std::string StateName(v1::ModelState state) {
  switch (state) {
    case v1::MODEL_STATE_LOADED:
      return "LOADED";
    case v1::MODEL_STATE_UNLOADED:
      return "UNLOADED";
    case v1::MODEL_STATE_FAILED:
      return "FAILED";
    default:
      return "UNSPECIFIED";
  }
}

absl::Status RunModels(CommandContext& context) {
  ASSIGN_OR_RETURN(std::vector<v1::ModelInfo> models,
                   context.client.ListModels());
  if (models.empty()) {
    context.out << "no models\n";
    return absl::OkStatus();
  }
  std::vector<std::vector<std::string>> rows = {
      {"NAME", "VERSION", "STATE", "DIM", "BLOCKS", "DATASET", "CREATED"}};
  for (const v1::ModelInfo& m : models) {
    rows.push_back({m.name(), absl::StrCat(m.version()), StateName(m.state()),
                    absl::StrCat(m.dim()), absl::StrCat(m.blocks_size()),
                    m.dataset(), m.created_utc()});
  }
  context.out << FormatTable(rows);
  return absl::OkStatus();
}

// PlusMinus() is "value±error" in `format`.
std::string PlusMinus(const char* format, double value, double error) {
  return absl::StrCat(absl::StrFormat(format, value), "±",
                      absl::StrFormat("%.2g", error));
}

// DiagnosticsRow() is one block's row of PrintDiagnostics()'s table.
std::vector<std::string> DiagnosticsRow(const v1::BlockInfo& b) {
  const v1::BlockDiagnostics& d = b.diagnostics();
  const v1::BlockStats& s = b.stats();
  const bool measured = d.points() > 0;
  const auto value = [measured](const char* format, double v) {
    return measured ? absl::StrFormat(format, v) : std::string("-");
  };
  return {absl::StrCat(b.index()),
          absl::StrFormat("%.4g", d.step_sum()),
          measured ? PlusMinus("%.3g", d.first_order_residual(),
                               d.first_order_residual_std_error())
                   : "-",
          measured ? PlusMinus("%.2g", d.stein_residual(),
                               d.stein_residual_std_error())
                   : "-",
          value("%.3g", d.ot_gap()),
          value("%.4g", d.lipschitz()),
          value("%.4g", d.inverse_lipschitz()),
          value("%.3g", d.discretisation_error()),
          value("%.2g", d.log_det_error()),
          absl::StrFormat("%.4f", d.kl_plus_entropy()),
          PlusMinus("%.4f", s.kl_decrease(), s.kl_decrease_std_error()),
          value("%.4g", d.certificate()),
          value("%.4g", d.convergence_kl_bound()),
          d.step_above_bound() ? "yes" : "no"};
}

// PrintDiagnostics() writes the per-block diagnostics table (blocks trained
// with diagnostics; see BlockDiagnostics in flow.proto), if any.
void PrintDiagnostics(const v1::ModelInfo& m, std::ostream& out) {
  std::vector<std::vector<std::string>> rows = {
      {"BLOCK", "SUM_H", "EPS2", "STEIN", "OT_GAP", "LIP>=", "LIP_INV>=",
       "RK4_ERR", "LOGDET_ERR", "KL+H0", "KL_DROP", "CERT", "THM4.3", "H>1"}};
  for (const v1::BlockInfo& b : m.blocks()) rows.push_back(DiagnosticsRow(b));
  out << "diagnostics (± one standard error; EPS2: first-order residual ε² "
         "with a kernel score, biased upwards where p_k has modes; STEIN: the "
         "same condition in kernel Stein form, no score needed, 0 when it "
         "holds; LIP>=, LIP_INV>=: Lipschitz lower bounds seen at the "
         "points; RK4_ERR: state error, LOGDET_ERR: log-det error of RK4 (d "
         "<= 16); KL+H0: KL to N(0, I) plus the data entropy; KL_DROP: its "
         "decrease over the block, on fixed rows; CERT: log-Sobolev bound "
         "KL <= (sqrt(W_K)/h + EPS)^2 / 2; THM4.3: the seed paper's Theorem "
         "4.3 bound on KL from W2(p_0, N(0, I))^2 and every block's h and "
         "EPS2; H>1: step above the theory's bound):\n"
      << FormatTable(rows);
  if (m.blocks_size() > 0 && m.blocks(0).diagnostics().points() > 0) {
    out << absl::StrFormat(
        "THM4.3 starts from W2(p_0, N(0, I))^2 = %.4g, by exact assignment "
        "of block 1's %d points to as many N(0, I) draws (an over-estimate "
        "on average)\n",
        m.blocks(0).diagnostics().start_distance(),
        m.blocks(0).diagnostics().points());
  }
}

// InfoOptions are the values of `jkoflow info`'s options.
struct InfoOptions {
  std::string model;
  int64_t version = 0;
};

absl::Status RunInfo(CommandContext& context, const InfoOptions& options) {
  ASSIGN_OR_RETURN(v1::ModelInfo m,
                   context.client.GetModel(options.model, options.version));
  std::ostream& out = context.out;
  out << "model " << m.name() << " version " << m.version() << " ("
      << StateName(m.state()) << ")\n";
  if (!m.error().empty()) out << "error: " << m.error() << "\n";
  out << absl::StrFormat("dim %d, %d blocks, dataset %s, seed %d, created %s\n",
                         m.dim(), m.blocks_size(),
                         m.dataset().empty() ? "-" : m.dataset(), m.seed(),
                         m.created_utc().empty() ? "-" : m.created_utc());
  out << absl::StrFormat("smoothing tau %g, end-to-end inversion error %.3g\n",
                         m.smoothing_tau(), m.inversion_error());
  std::string shape;
  for (const int64_t extent : m.item_shape()) {
    absl::StrAppend(&shape, shape.empty() ? "" : "x", extent);
  }
  out << absl::StrFormat(
      "transform: %s%s%s\n", m.transform().empty() ? "none" : m.transform(),
      shape.empty() ? "" : absl::StrCat("; points are ", shape, " images"),
      m.integer() ? "; integer data (bits/dim apply)" : "");
  if (!m.hyperparameters().empty()) {
    std::vector<std::string> keys;
    for (const auto& [key, value] : m.hyperparameters()) keys.push_back(key);
    std::sort(keys.begin(), keys.end());
    out << "hyperparameters:";
    for (const std::string& key : keys) {
      out << " " << key << "=" << m.hyperparameters().at(key);
    }
    out << "\n";
  }
  if (m.blocks_size() == 0) return absl::OkStatus();
  std::vector<std::vector<std::string>> rows = {
      {"BLOCK", "H", "STEPS", "NET", "LOSS", "POTENTIAL", "-DIV", "MOVE_TERM",
       "W_K", "REL_MOVE", "INV_ERR", "ITERS", "SECONDS"}};
  for (const v1::BlockInfo& b : m.blocks()) {
    const v1::BlockStats& s = b.stats();
    rows.push_back({absl::StrCat(b.index()), absl::StrFormat("%.4g", b.h()),
                    absl::StrCat(b.steps()),
                    absl::StrFormat("%dx%d %s%s", b.depth(), b.width(),
                                    b.activation(), b.time_input() ? "+t" : ""),
                    absl::StrFormat("%.4f", s.loss()),
                    absl::StrFormat("%.4f", s.potential()),
                    absl::StrFormat("%.4f", s.neg_divergence()),
                    absl::StrFormat("%.4f", s.movement_term()),
                    absl::StrFormat("%.4g", s.movement()),
                    absl::StrFormat("%.3g", s.relative_movement()),
                    absl::StrFormat("%.3g", s.inversion_error()),
                    absl::StrCat(s.iterations()),
                    absl::StrFormat("%.1f", s.train_seconds())});
  }
  out << FormatTable(rows);
  PrintDiagnostics(m, out);
  return absl::OkStatus();
}

}  // namespace

Command AddModelsCommand(CLI::App& jkoflow) {
  return {jkoflow.add_subcommand("models",
                                 "List every model version on the server."),
          RunModels};
}

Command AddInfoCommand(CLI::App& jkoflow) {
  CLI::App* info = jkoflow.add_subcommand(
      "info",
      "Show a model's metadata, per-block step sizes, losses and "
      "diagnostics.");
  auto options = std::make_shared<InfoOptions>();
  AddModelOption(*info, options->model, "model name");
  AddVersionOption(*info, options->version, "model version; 0 = newest loaded");
  return {info, [options](CommandContext& context) {
            return RunInfo(context, *options);
          }};
}

}  // namespace jkoflow
