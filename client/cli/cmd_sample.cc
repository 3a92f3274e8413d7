// The `sample` subcommand: draw points from a model, write them, plot them.

#include <CLI/CLI.hpp>
#include <memory>
#include <ostream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "base/array_file.h"
#include "base/status_macros.h"
#include "client/cli/command.h"
#include "client/cli/common_options.h"
#include "client/cli/option_checks.h"
#include "client/plot/density.h"
#include "client/plot/image_grid.h"
#include "client/plot/text.h"

namespace jkoflow {
namespace {

// "dir/samples.csv", 3 → "dir/samples.stage3.csv".
std::string StagePath(const std::string& out, size_t stage) {
  const size_t slash = out.find_last_of('/');
  const size_t dot = out.find_last_of('.');
  const bool has_ext =
      dot != std::string::npos && (slash == std::string::npos || dot > slash);
  const std::string stem = has_ext ? out.substr(0, dot) : out;
  const std::string ext = has_ext ? out.substr(dot) : "";
  return absl::StrCat(stem, ".stage", stage, ext);
}

// PlotPlan is how `jkoflow sample --plot` draws a model's samples: a grid
// of image_height × image_width images for an image-shaped model, else
// (0 × 0) a 2-D density; `title` names the model and its version.
struct PlotPlan {
  PlotTitle title;
  int64_t image_height = 0;
  int64_t image_width = 0;
};

// PlanPlot() looks the model up before sampling, so that a model that can
// be neither plot fails fast (InvalidArgument naming its dimension).
absl::StatusOr<PlotPlan> PlanPlot(Client& client, const std::string& model,
                                  int64_t version) {
  ASSIGN_OR_RETURN(v1::ModelInfo info, client.GetModel(model, version));
  PlotPlan plan{{info.name(), info.version()}};
  if (info.item_shape_size() == 2) {
    plan.image_height = info.item_shape(0);
    plan.image_width = info.item_shape(1);
  } else if (info.dim() != 2) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--plot needs 2-D samples or an image-shaped model, but model ",
        info.name(), " version ", info.version(), " has dimension ",
        info.dim()));
  }
  return plan;
}

absl::Status WritePlot(const std::string& path, const PointMatrix& points,
                       const PlotPlan& plan) {
  if (plan.image_height > 0) {
    return WriteImageGridPng(path, points, plan.image_height, plan.image_width,
                             plan.title);
  }
  return WriteDensityPng(path, points, plan.title);
}

// WriteSamples() writes the points to `path` and each trajectory stage
// beside it (StagePath()), saying so on `out`.
absl::Status WriteSamples(const std::string& path, const SampleResult& sample,
                          std::ostream& out) {
  RETURN_IF_ERROR(WriteArrayFile(path, ToArray2D(sample.points)));
  out << "wrote " << path << "\n";
  for (size_t s = 0; s < sample.stages.size(); ++s) {
    const std::string stage_path = StagePath(path, s);
    RETURN_IF_ERROR(WriteArrayFile(stage_path, ToArray2D(sample.stages[s])));
    out << "wrote " << stage_path << "\n";
  }
  return absl::OkStatus();
}

// SampleOptions are the values of `jkoflow sample`'s options.
struct SampleOptions {
  std::string model;
  int64_t version = 0;
  int64_t n = 0;
  uint64_t seed = 0;
  std::string out;
  std::string plot;
  std::string png;  // the same as plot
  int64_t chunk = 0;
  bool trajectory = false;
};

absl::Status RunSample(CommandContext& context, const SampleOptions& options) {
  const std::string& out_path = options.out;
  const std::string& plot_path =
      options.plot.empty() ? options.png : options.plot;
  if (out_path.empty() && plot_path.empty()) {
    return absl::InvalidArgumentError("give --out, --plot (--png) or both");
  }
  if (options.trajectory && out_path.empty()) {
    return absl::InvalidArgumentError("--trajectory needs --out");
  }
  PlotPlan plan;
  if (!plot_path.empty()) {
    ASSIGN_OR_RETURN(plan,
                     PlanPlot(context.client, options.model, options.version));
  }
  const absl::Time start = absl::Now();
  ASSIGN_OR_RETURN(
      SampleResult sample,
      context.client.Sample(options.model, options.version, options.n,
                            options.seed, options.chunk, options.trajectory));
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  context.out << absl::StrFormat(
      "sampled %d points of dimension %d from %s in %.2f s (%.0f points/s)\n",
      sample.points.rows, sample.points.cols, options.model, seconds,
      seconds > 0 ? static_cast<double>(sample.points.rows) / seconds : 0.0);
  if (!out_path.empty()) {
    RETURN_IF_ERROR(WriteSamples(out_path, sample, context.out));
  }
  if (!plot_path.empty()) {
    RETURN_IF_ERROR(WritePlot(plot_path, sample.points, plan));
    context.out << "wrote " << plot_path << "\n";
  }
  return absl::OkStatus();
}

}  // namespace

Command AddSampleCommand(CLI::App& jkoflow) {
  CLI::App* sample = jkoflow.add_subcommand(
      "sample",
      "Draw N points from a model (noise to data) and write them as CSV or "
      ".npy by extension; --plot draws a 2-D density PNG, or a grid of the "
      "samples for an image-shaped model.");
  auto o = std::make_shared<SampleOptions>();
  AddModelOption(*sample, o->model, "model name");
  sample->add_option("n,--n", o->n, "number of points")
      ->required()
      ->check(Positive());
  AddVersionOption(*sample, o->version, "model version; 0 = newest loaded");
  AddSeedOption(*sample, o->seed, "noise seed (same seed, same points)");
  sample->add_option(
      "--out", o->out,
      "output file, .csv or .npy (one of --out/--plot is required)");
  sample->add_option("--plot", o->plot,
                     "write a PNG: the log-density of 2-D samples with axes, "
                     "or a grid of images for an image-shaped model");
  sample->add_option("--png", o->png, "the same as --plot");
  sample
      ->add_option("--chunk", o->chunk,
                   "points per streamed chunk; 0 = server's")
      ->check(AtLeast(0));
  sample->add_flag(
      "--trajectory", o->trajectory,
      "also write the K+1 sampling stages as <out>.stage<k>.<ext>");
  return {sample,
          [o](CommandContext& context) { return RunSample(context, *o); }};
}

}  // namespace jkoflow
