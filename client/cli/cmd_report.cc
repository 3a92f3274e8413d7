// The `report` subcommand: one PNG of a model's per-block diagnostics.

#include <CLI/CLI.hpp>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "client/cli/command.h"
#include "client/cli/common_options.h"
#include "client/cli/option_checks.h"
#include "client/plot/report.h"

namespace jkoflow {
namespace {

// ReportOptions are the values of `jkoflow report`'s options.
struct ReportOptions {
  std::string model;
  int64_t version = 0;
  std::string out = "report.png";
  int64_t n = 20000;
  uint64_t seed = 0;
};

absl::Status RunReport(CommandContext& context, const ReportOptions& options) {
  if (options.out.empty()) return absl::InvalidArgumentError("--out: empty");
  ASSIGN_OR_RETURN(v1::ModelInfo model,
                   context.client.GetModel(options.model, options.version));
  RETURN_IF_ERROR(CheckReportable(model));
  std::optional<PointMatrix> samples;
  if (model.dim() == 2) {
    // Sample the version GetModel resolved, so that both describe one model.
    ASSIGN_OR_RETURN(SampleResult sample,
                     context.client.Sample(model.name(), model.version(),
                                           options.n, options.seed));
    samples = std::move(sample.points);
  }
  ASSIGN_OR_RETURN(const Figure figure,
                   RenderReport(model, samples ? &*samples : nullptr));
  RETURN_IF_ERROR(figure.WritePng(options.out));
  context.out << "wrote " << options.out << " (model " << model.name()
              << " version " << model.version() << ", " << model.blocks_size()
              << " blocks)\n";
  return absl::OkStatus();
}

}  // namespace

Command AddReportCommand(CLI::App& jkoflow) {
  CLI::App* report = jkoflow.add_subcommand(
      "report",
      "Write one PNG of a model's per-block losses and diagnostics "
      "(and its density, if 2-D).");
  auto o = std::make_shared<ReportOptions>();
  AddModelOption(*report, o->model, "model name");
  AddVersionOption(*report, o->version, "model version; 0 = newest loaded");
  report->add_option("--out", o->out, "output PNG file")->capture_default_str();
  report
      ->add_option("--n", o->n, "points drawn for the density panel (2-D only)")
      ->check(Positive());
  AddSeedOption(*report, o->seed, "noise seed of those points");
  return {report,
          [o](CommandContext& context) { return RunReport(context, *o); }};
}

}  // namespace jkoflow
