// The `train` and `train-block` subcommands: remote progressive training.

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/array_file.h"
#include "base/status_macros.h"
#include "client/cli/command.h"
#include "client/cli/job_progress.h"

namespace jkoflow {
namespace {

// The flags shared by `train` and `train-block`. An absent flag leaves the
// field unset: the server's default.
std::vector<FlagSpec> HyperparameterFlags() {
  return {
      {"blocks", FlagType::kInt, "max blocks [1, 1000]; server default 6",
       false, ""},
      {"iters", FlagType::kInt, "iterations per block; server default 400",
       false, ""},
      {"batch", FlagType::kInt, "batch size; server default 500", false, ""},
      {"lr", FlagType::kDouble, "Adam peak learning rate; server default 6e-3",
       false, ""},
      {"lr_schedule", FlagType::kString,
       "cosine (warm-up, then cosine decay per block) or constant; server "
       "default cosine",
       false, ""},
      {"warmup", FlagType::kDouble,
       "cosine warm-up fraction of a block's budget; server default 0.05",
       false, ""},
      {"final_lr", FlagType::kDouble,
       "cosine final rate, fraction of --lr; server default 0.02", false, ""},
      {"plateau_every", FlagType::kInt,
       "evaluate the held-out loss every N iterations and stop a block on a "
       "plateau; 0 disables",
       false, ""},
      {"plateau_window", FlagType::kInt,
       "iterations without held-out improvement that end a block", false, ""},
      {"plateau_tol", FlagType::kDouble,
       "relative held-out improvement that counts", false, ""},
      {"min_iters", FlagType::kInt, "fewest iterations of a block", false, ""},
      {"h0", FlagType::kDouble, "first JKO step size; server default 0.25",
       false, ""},
      {"rho", FlagType::kDouble, "growth of h per block; server default 1.4",
       false, ""},
      {"hmax", FlagType::kDouble, "cap on h; server default 5", false, ""},
      {"adaptive", FlagType::kBool, "adaptive step-size rule", false, ""},
      {"tol", FlagType::kDouble,
       "stop when relative movement < tol; server default 0.001; <= 0 disables",
       false, ""},
      {"tau", FlagType::kDouble, "OU pre-smoothing time; default 0", false, ""},
      {"width", FlagType::kInt, "hidden units; server default 128", false, ""},
      {"depth", FlagType::kInt, "hidden layers; server default 3", false, ""},
      {"steps", FlagType::kInt, "RK4 steps per block; server default 3", false,
       ""},
      {"activation", FlagType::kString, "softplus, tanh or silu", false, ""},
      {"divergence", FlagType::kString,
       "training divergence: exact or hutchinson; server default hutchinson",
       false, ""},
      {"probes", FlagType::kInt, "Hutchinson probes; server default 1", false,
       ""},
      {"seed", FlagType::kUint, "training seed", false, ""},
      {"grad_clip", FlagType::kDouble, "gradient norm clip; server default 1",
       false, ""},
      {"wait", FlagType::kBool,
       "watch the job until it ends; exit non-zero unless it succeeds", false,
       ""},
  };
}

// The server-side data flags, shared by both commands.
std::vector<FlagSpec> DataFlags() {
  return {
      {"dataset", FlagType::kString,
       "built-in generator: 8gaussians, checkerboard, 2spirals, moons, "
       "pinwheel, rings, swissroll, circles, or gmm:DIM:COMPONENTS:SEED",
       false, ""},
      {"n", FlagType::kInt, "generator points; server default 100000", false,
       ""},
      {"data_seed", FlagType::kUint, "generator seed", false, ""},
      {"data_file", FlagType::kString,
       "CSV or .npy file under the server's --data_dir", false, ""},
  };
}

// Copies the hyperparameter flags that were given into a request; absent
// ones stay unset so that the server applies its defaults (for train-block:
// the values the model was trained with).
absl::StatusOr<v1::Hyperparameters> ReadHyperparameters(
    const ParsedFlags& flags) {
  v1::Hyperparameters h;
  if (flags.Has("blocks")) h.set_blocks(flags.Int("blocks"));
  if (flags.Has("iters")) h.set_iterations(flags.Int("iters"));
  if (flags.Has("batch")) h.set_batch_size(flags.Int("batch"));
  if (flags.Has("lr")) h.set_learning_rate(flags.Double("lr"));
  if (flags.Has("lr_schedule")) h.set_lr_schedule(flags.String("lr_schedule"));
  if (flags.Has("warmup")) h.set_warmup_fraction(flags.Double("warmup"));
  if (flags.Has("final_lr")) h.set_final_lr_fraction(flags.Double("final_lr"));
  if (flags.Has("plateau_every")) {
    h.set_plateau_eval_every(flags.Int("plateau_every"));
  }
  if (flags.Has("plateau_window")) {
    h.set_plateau_window(flags.Int("plateau_window"));
  }
  if (flags.Has("plateau_tol")) {
    h.set_plateau_tolerance(flags.Double("plateau_tol"));
  }
  if (flags.Has("min_iters")) h.set_min_iterations(flags.Int("min_iters"));
  if (flags.Has("h0")) h.set_h0(flags.Double("h0"));
  if (flags.Has("rho")) h.set_rho(flags.Double("rho"));
  if (flags.Has("hmax")) h.set_h_max(flags.Double("hmax"));
  if (flags.Has("adaptive")) h.set_adaptive_step(flags.Bool("adaptive"));
  if (flags.Has("tol")) h.set_stop_tolerance(flags.Double("tol"));
  if (flags.Has("tau")) h.set_smoothing_tau(flags.Double("tau"));
  if (flags.Has("width")) h.set_width(flags.Int("width"));
  if (flags.Has("depth")) h.set_depth(flags.Int("depth"));
  if (flags.Has("steps")) h.set_steps(flags.Int("steps"));
  if (flags.Has("activation")) h.set_activation(flags.String("activation"));
  if (flags.Has("divergence")) {
    const std::string divergence = flags.String("divergence");
    if (divergence == "exact") {
      h.set_divergence(v1::DIVERGENCE_METHOD_EXACT);
    } else if (divergence == "hutchinson") {
      h.set_divergence(v1::DIVERGENCE_METHOD_HUTCHINSON);
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("--divergence: expected exact or hutchinson, got '",
                       divergence, "'"));
    }
  }
  if (flags.Has("probes")) h.set_probes(flags.Int("probes"));
  if (flags.Has("seed")) h.set_seed(flags.Uint("seed"));
  if (flags.Has("grad_clip")) h.set_grad_clip(flags.Double("grad_clip"));
  return h;
}

TrainingData ReadTrainingData(const ParsedFlags& flags) {
  TrainingData data;
  data.generator = flags.String("dataset");
  data.n = flags.Int("n");
  data.seed = flags.Uint("data_seed");
  data.data_file = flags.String("data_file");
  return data;
}

// Prints the new job and, with --wait, follows it to the end.
absl::Status ReportJob(CommandContext& context, const v1::Job& job) {
  context.out << "job " << job.id() << " " << JobStateName(job.state())
              << " (model " << job.model_name() << ")\n";
  if (!context.flags.Bool("wait")) return absl::OkStatus();
  return WatchWithProgress(context.client, job.id(), context.out,
                           context.out_is_tty);
}

absl::Status RunTrain(CommandContext& context) {
  const ParsedFlags& flags = context.flags;
  const int sources =
      flags.Has("dataset") + flags.Has("data_file") + flags.Has("upload");
  if (sources != 1) {
    return absl::InvalidArgumentError(
        "give exactly one of --dataset, --data_file, --upload");
  }
  ASSIGN_OR_RETURN(v1::Hyperparameters hyperparameters,
                   ReadHyperparameters(flags));
  const std::string model = flags.String("model");
  v1::Job job;
  if (flags.Has("upload")) {
    ASSIGN_OR_RETURN(Array2D array, ReadArrayFile(flags.String("upload")));
    ASSIGN_OR_RETURN(PointMatrix points, FromArray2D(array));
    context.out << "uploading " << points.rows << " points of dimension "
                << points.cols << "\n";
    ASSIGN_OR_RETURN(
        job, context.client.UploadTrainingJob(model, points, hyperparameters));
  } else {
    ASSIGN_OR_RETURN(job, context.client.CreateTrainingJob(
                              model, ReadTrainingData(flags), hyperparameters));
  }
  return ReportJob(context, job);
}

absl::Status RunTrainBlock(CommandContext& context) {
  const ParsedFlags& flags = context.flags;
  if (flags.Has("dataset") && flags.Has("data_file")) {
    return absl::InvalidArgumentError(
        "give at most one of --dataset, --data_file");
  }
  ASSIGN_OR_RETURN(v1::Hyperparameters hyperparameters,
                   ReadHyperparameters(flags));
  ASSIGN_OR_RETURN(v1::Job job, context.client.TrainBlock(
                                    flags.String("model"), flags.Int("version"),
                                    ReadTrainingData(flags), hyperparameters));
  return ReportJob(context, job);
}

// Concatenates flag lists.
std::vector<FlagSpec> Join(std::vector<FlagSpec> a,
                           const std::vector<FlagSpec>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

}  // namespace

Command TrainCommand() {
  return {
      "train",
      "MODEL (--dataset=SPEC [--n=N] | --data_file=PATH | "
      "--upload=local.csv|.npy) [hyperparameters] [--wait]",
      "Start a training job for a new model, on a built-in generator, a "
      "file on the server, or points uploaded from here.",
      Join(Join({{"model", FlagType::kString, "name of the new model", true, "",
                  true}},
                DataFlags()),
           Join({{"upload", FlagType::kString,
                  "local .csv or .npy file streamed to the server", false, ""}},
                HyperparameterFlags())),
      RunTrain};
}

Command TrainBlockCommand() {
  return {
      "train-block",
      "MODEL [--version=V] [--dataset=SPEC | --data_file=PATH] "
      "[hyperparameters] [--wait]",
      "Append one JKO block to a model (written as a new version); data "
      "and unset hyperparameters default to the model's own.",
      Join(
          Join({{"model", FlagType::kString, "model to extend", true, "", true},
                {"version", FlagType::kInt, "version to extend; 0 = newest",
                 false, "0"}},
               DataFlags()),
          HyperparameterFlags()),
      RunTrainBlock};
}

}  // namespace jkoflow
