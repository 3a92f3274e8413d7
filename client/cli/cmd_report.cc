// The `report` subcommand: one PNG of a model's per-block diagnostics.

#include <optional>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "client/cli/command.h"
#include "client/plot/report.h"

namespace jkoflow {
namespace {

absl::Status RunReport(CommandContext& context) {
  const ParsedFlags& flags = context.flags;
  const std::string out_path = flags.String("out");
  if (out_path.empty()) return absl::InvalidArgumentError("--out: empty");
  ASSIGN_OR_RETURN(
      v1::ModelInfo model,
      context.client.GetModel(flags.String("model"), flags.Int("version")));
  RETURN_IF_ERROR(CheckReportable(model));
  std::optional<PointMatrix> samples;
  if (model.dim() == 2) {
    // Sample the version GetModel resolved, so that both describe one model.
    ASSIGN_OR_RETURN(SampleResult sample,
                     context.client.Sample(model.name(), model.version(),
                                           flags.Int("n"), flags.Uint("seed")));
    samples = std::move(sample.points);
  }
  ASSIGN_OR_RETURN(const Figure figure,
                   RenderReport(model, samples ? &*samples : nullptr));
  RETURN_IF_ERROR(figure.WritePng(out_path));
  context.out << "wrote " << out_path << " (model " << model.name()
              << " version " << model.version() << ", " << model.blocks_size()
              << " blocks)\n";
  return absl::OkStatus();
}

}  // namespace

Command ReportCommand() {
  return {
      "report",
      "MODEL [--version=V] [--out=report.png] [--n=N] [--seed=S]",
      "Write one PNG of a model's per-block losses and diagnostics "
      "(and its density, if 2-D).",
      {
          {"model", FlagType::kString, "model name", true, "", true},
          {"version", FlagType::kInt, "model version; 0 = newest loaded", false,
           "0"},
          {"out", FlagType::kString, "output PNG file", false, "report.png"},
          {"n", FlagType::kInt, "points drawn for the density panel (2-D only)",
           false, "20000"},
          {"seed", FlagType::kUint, "noise seed of those points", false, "0"},
      },
      RunReport};
}

}  // namespace jkoflow
