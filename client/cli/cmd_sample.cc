// The `sample` subcommand: draw points from a model, write them, plot them.

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "base/array_file.h"
#include "base/status_macros.h"
#include "client/cli/command.h"
#include "client/image_grid.h"
#include "client/plot_png.h"

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

absl::Status RunSample(CommandContext& context) {
  const ParsedFlags& flags = context.flags;
  const std::string model = flags.String("model");
  const std::string out_path = flags.String("out");
  const std::string plot_path =
      flags.String("plot").empty() ? flags.String("png") : flags.String("plot");
  if (out_path.empty() && plot_path.empty()) {
    return absl::InvalidArgumentError("give --out, --plot (--png) or both");
  }
  if (flags.Bool("trajectory") && out_path.empty()) {
    return absl::InvalidArgumentError("--trajectory needs --out");
  }
  // Image-shaped models plot a grid of images; other models a 2-D density.
  int64_t image_height = 0, image_width = 0;
  if (!plot_path.empty()) {
    // Check before sampling: a density plot is only defined in two
    // dimensions.
    ASSIGN_OR_RETURN(v1::ModelInfo info,
                     context.client.GetModel(model, flags.Int("version")));
    if (info.item_shape_size() == 2) {
      image_height = info.item_shape(0);
      image_width = info.item_shape(1);
    } else if (info.dim() != 2) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--plot needs 2-D samples or an image-shaped model, but model ",
          info.name(), " version ", info.version(), " has dimension ",
          info.dim()));
    }
  }
  const absl::Time start = absl::Now();
  ASSIGN_OR_RETURN(
      SampleResult sample,
      context.client.Sample(model, flags.Int("version"), flags.Int("n"),
                            flags.Uint("seed"), flags.Int("chunk"),
                            flags.Bool("trajectory")));
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  context.out << absl::StrFormat(
      "sampled %d points of dimension %d from %s in %.2f s (%.0f points/s)\n",
      sample.points.rows, sample.points.cols, model, seconds,
      seconds > 0 ? static_cast<double>(sample.points.rows) / seconds : 0.0);
  if (!out_path.empty()) {
    RETURN_IF_ERROR(WriteArrayFile(out_path, ToArray2D(sample.points)));
    context.out << "wrote " << out_path << "\n";
    for (size_t s = 0; s < sample.stages.size(); ++s) {
      const std::string path = StagePath(out_path, s);
      RETURN_IF_ERROR(WriteArrayFile(path, ToArray2D(sample.stages[s])));
      context.out << "wrote " << path << "\n";
    }
  }
  if (!plot_path.empty()) {
    if (image_height > 0) {
      RETURN_IF_ERROR(WriteImageGridPng(plot_path, sample.points, image_height,
                                        image_width));
    } else {
      RETURN_IF_ERROR(WriteDensityPng(plot_path, sample.points));
    }
    context.out << "wrote " << plot_path << "\n";
  }
  return absl::OkStatus();
}

}  // namespace

Command SampleCommand() {
  return {"sample",
          "MODEL N [--version=V] [--seed=S] [--out=samples.csv|.npy] "
          "[--plot=out.png]",
          "Draw N points from a model (noise to data) and write them as CSV or "
          ".npy by extension; --plot draws a 2-D density PNG, or a grid of the "
          "samples for an image-shaped model.",
          {
              {"model", FlagType::kString, "model name", true, "", true},
              {"version", FlagType::kInt, "model version; 0 = newest loaded",
               false, "0"},
              {"n", FlagType::kInt, "number of points", true, "", true},
              {"seed", FlagType::kUint, "noise seed (same seed, same points)",
               false, "0"},
              {"out", FlagType::kString,
               "output file, .csv or .npy (one of --out/--plot is required)",
               false, ""},
              {"plot", FlagType::kString,
               "write a 512x512 log-density PNG of 2-D samples, or a grid of "
               "images for an image-shaped model",
               false, ""},
              {"png", FlagType::kString, "the same as --plot", false, ""},
              {"chunk", FlagType::kInt,
               "points per streamed chunk; 0 = server's", false, "0"},
              {"trajectory", FlagType::kBool,
               "also write the K+1 sampling stages as <out>.stage<k>.<ext>",
               false, ""},
          },
          RunSample};
}

}  // namespace jkoflow
