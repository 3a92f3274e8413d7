// The `train` and `train-block` subcommands: remote progressive training.

#include <CLI/CLI.hpp>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/array_file.h"
#include "base/status_macros.h"
#include "client/cli/command.h"
#include "client/cli/common_options.h"
#include "client/cli/job_progress.h"
#include "client/cli/option_checks.h"

namespace jkoflow {
namespace {

// HyperparameterFlags are the options `train` and `train-block` share. An
// absent one stays unset: the server's default (for train-block, the value
// the model was trained with). The server checks the ranges.
struct HyperparameterFlags {
  std::optional<int64_t> blocks, iters, batch, plateau_every, plateau_window,
      min_iters, width, depth, steps, probes;
  std::optional<double> lr, warmup, final_lr, plateau_tol, h0, rho, hmax, tol,
      tau, grad_clip;
  std::optional<std::string> lr_schedule, activation, divergence;
  std::optional<uint64_t> seed;
  std::optional<bool> adaptive;
};

// DataFlags are the server-side data options, shared by both commands.
struct DataFlags {
  std::optional<std::string> dataset, data_file;
  int64_t n = 0;  // 0: the server's default
  uint64_t data_seed = 0;
};

// TrainFlags are the values of `jkoflow train` and `train-block`.
struct TrainFlags {
  std::string model;
  int64_t version = 0;                // train-block only
  std::optional<std::string> upload;  // train only
  DataFlags data;
  HyperparameterFlags h;
  bool wait = false;
};

void AddIntFlags(CLI::App& command, HyperparameterFlags& h) {
  command.add_option("--blocks", h.blocks,
                     "max blocks [1, 1000]; server default 6");
  command.add_option("--iters", h.iters,
                     "iterations per block; server default 400");
  command.add_option("--batch", h.batch, "batch size; server default 500");
  command.add_option("--plateau_every", h.plateau_every,
                     "evaluate the held-out loss every N iterations and stop "
                     "a block on a plateau; 0 disables");
  command.add_option("--plateau_window", h.plateau_window,
                     "iterations without held-out improvement that end a "
                     "block");
  command.add_option("--min_iters", h.min_iters,
                     "fewest iterations of a block");
  command.add_option("--width", h.width, "hidden units; server default 128");
  command.add_option("--depth", h.depth, "hidden layers; server default 3");
  command.add_option("--steps", h.steps,
                     "RK4 steps per block; server default 3");
  command.add_option("--probes", h.probes,
                     "Hutchinson probes; server default 1");
  command.add_option("--seed", h.seed, "training seed")->check(AtLeast(0));
}

// AddNumber() adds a finite floating-point option.
void AddNumber(CLI::App& command, const std::string& name,
               std::optional<double>& value, const std::string& help) {
  command.add_option(name, value, help)->check(FiniteNumber());
}

void AddRealFlags(CLI::App& command, HyperparameterFlags& h) {
  AddNumber(command, "--lr", h.lr,
            "Adam peak learning rate; server default 6e-3");
  AddNumber(command, "--warmup", h.warmup,
            "cosine warm-up fraction of a block's budget; server default "
            "0.05");
  AddNumber(command, "--final_lr", h.final_lr,
            "cosine final rate, fraction of --lr; server default 0.02");
  AddNumber(command, "--plateau_tol", h.plateau_tol,
            "relative held-out improvement that counts");
  AddNumber(command, "--h0", h.h0, "first JKO step size; server default 0.25");
  AddNumber(command, "--rho", h.rho,
            "growth of h per block; server default 1.4");
  AddNumber(command, "--hmax", h.hmax, "cap on h; server default 5");
  AddNumber(command, "--tol", h.tol,
            "stop adding blocks when ½ E|T(x) − x|²/h² < tol (nats); server "
            "default 0.001; <= 0 "
            "disables");
  AddNumber(command, "--tau", h.tau, "OU pre-smoothing time; default 0");
  AddNumber(command, "--grad_clip", h.grad_clip,
            "gradient norm clip; server default 1");
}

void AddHyperparameterFlags(CLI::App& command, TrainFlags& flags) {
  HyperparameterFlags& h = flags.h;
  AddIntFlags(command, h);
  AddRealFlags(command, h);
  command.add_option("--lr_schedule", h.lr_schedule,
                     "cosine (warm-up, then cosine decay per block) or "
                     "constant; server default cosine");
  command.add_option("--activation", h.activation, "softplus, tanh or silu");
  command
      .add_option("--divergence", h.divergence,
                  "training divergence: exact or hutchinson; server "
                  "default exact for d <= 2, one Rademacher probe above")
      ->check(CLI::IsMember({"exact", "hutchinson"}));
  command
      .add_option("--adaptive", h.adaptive,
                  "adaptive step-size rule, capped at h <= 1 (--adaptive or "
                  "--adaptive=false); server default off")
      ->expected(0, 1)
      ->default_str("true");
  command.add_flag("--wait", flags.wait,
                   "watch the job until it ends; exit non-zero unless it "
                   "succeeds");
}

void AddDataFlags(CLI::App& command, DataFlags& data) {
  command.add_option("--dataset", data.dataset,
                     "built-in generator: 8gaussians, checkerboard, 2spirals, "
                     "moons, pinwheel, rings, swissroll, circles, or "
                     "gmm:DIM:COMPONENTS:SEED");
  command.add_option("--n", data.n, "generator points; server default 100000")
      ->check(AtLeast(0));
  AddSeedOption(command, data.data_seed, "generator seed", "--data_seed");
  command.add_option("--data_file", data.data_file,
                     "CSV or .npy file under the server's --data_dir");
}

// Copies the hyperparameter flags that were given into a request; absent
// ones stay unset so that the server applies its defaults.
v1::Hyperparameters ReadHyperparameters(const HyperparameterFlags& f) {
  v1::Hyperparameters h;
  const auto set = [](const auto& flag, auto setter) {
    if (flag.has_value()) setter(*flag);
  };
  set(f.blocks, [&](int64_t v) { h.set_blocks(v); });
  set(f.iters, [&](int64_t v) { h.set_iterations(v); });
  set(f.batch, [&](int64_t v) { h.set_batch_size(v); });
  set(f.lr, [&](double v) { h.set_learning_rate(v); });
  set(f.lr_schedule, [&](const std::string& v) { h.set_lr_schedule(v); });
  set(f.warmup, [&](double v) { h.set_warmup_fraction(v); });
  set(f.final_lr, [&](double v) { h.set_final_lr_fraction(v); });
  set(f.plateau_every, [&](int64_t v) { h.set_plateau_eval_every(v); });
  set(f.plateau_window, [&](int64_t v) { h.set_plateau_window(v); });
  set(f.plateau_tol, [&](double v) { h.set_plateau_tolerance(v); });
  set(f.min_iters, [&](int64_t v) { h.set_min_iterations(v); });
  set(f.h0, [&](double v) { h.set_h0(v); });
  set(f.rho, [&](double v) { h.set_rho(v); });
  set(f.hmax, [&](double v) { h.set_h_max(v); });
  set(f.adaptive, [&](bool v) { h.set_adaptive_step(v); });
  set(f.tol, [&](double v) { h.set_stop_tolerance(v); });
  set(f.tau, [&](double v) { h.set_smoothing_tau(v); });
  set(f.width, [&](int64_t v) { h.set_width(v); });
  set(f.depth, [&](int64_t v) { h.set_depth(v); });
  set(f.steps, [&](int64_t v) { h.set_steps(v); });
  set(f.activation, [&](const std::string& v) { h.set_activation(v); });
  set(f.divergence, [&](const std::string& v) {
    h.set_divergence(v == "exact" ? v1::DIVERGENCE_METHOD_EXACT
                                  : v1::DIVERGENCE_METHOD_HUTCHINSON);
  });
  set(f.probes, [&](int64_t v) { h.set_probes(v); });
  set(f.seed, [&](uint64_t v) { h.set_seed(v); });
  set(f.grad_clip, [&](double v) { h.set_grad_clip(v); });
  return h;
}

TrainingData ReadTrainingData(const DataFlags& flags) {
  TrainingData data;
  data.generator = flags.dataset.value_or("");
  data.n = flags.n;
  data.seed = flags.data_seed;
  data.data_file = flags.data_file.value_or("");
  return data;
}

// Prints the new job and, with --wait, follows it to the end.
absl::Status ReportJob(CommandContext& context, const v1::Job& job, bool wait) {
  context.out << "job " << job.id() << " " << JobStateName(job.state())
              << " (model " << job.model_name() << ")\n";
  if (!wait) return absl::OkStatus();
  return WatchWithProgress(context.client, job.id(), context.out,
                           context.out_is_tty);
}

absl::Status RunTrain(CommandContext& context, const TrainFlags& flags) {
  const int sources = flags.data.dataset.has_value() +
                      flags.data.data_file.has_value() +
                      flags.upload.has_value();
  if (sources != 1) {
    return absl::InvalidArgumentError(
        "give exactly one of --dataset, --data_file, --upload");
  }
  const v1::Hyperparameters hyperparameters = ReadHyperparameters(flags.h);
  const std::string& model = flags.model;
  v1::Job job;
  if (flags.upload.has_value()) {
    ASSIGN_OR_RETURN(Array2D array, ReadArrayFile(*flags.upload));
    ASSIGN_OR_RETURN(PointMatrix points, FromArray2D(array));
    context.out << "uploading " << points.rows << " points of dimension "
                << points.cols << "\n";
    ASSIGN_OR_RETURN(
        job, context.client.UploadTrainingJob(model, points, hyperparameters));
  } else {
    ASSIGN_OR_RETURN(job,
                     context.client.CreateTrainingJob(
                         model, ReadTrainingData(flags.data), hyperparameters));
  }
  return ReportJob(context, job, flags.wait);
}

absl::Status RunTrainBlock(CommandContext& context, const TrainFlags& flags) {
  if (flags.data.dataset.has_value() && flags.data.data_file.has_value()) {
    return absl::InvalidArgumentError(
        "give at most one of --dataset, --data_file");
  }
  ASSIGN_OR_RETURN(v1::Job job,
                   context.client.TrainBlock(flags.model, flags.version,
                                             ReadTrainingData(flags.data),
                                             ReadHyperparameters(flags.h)));
  return ReportJob(context, job, flags.wait);
}

}  // namespace

Command AddTrainCommand(CLI::App& jkoflow) {
  CLI::App* train = jkoflow.add_subcommand(
      "train",
      "Start a training job for a new model, on a built-in generator "
      "(--dataset), a file on the server (--data_file), or points uploaded "
      "from here (--upload).");
  auto flags = std::make_shared<TrainFlags>();
  AddModelOption(*train, flags->model, "name of the new model");
  AddDataFlags(*train, flags->data);
  train->add_option("--upload", flags->upload,
                    "local .csv or .npy file streamed to the server");
  AddHyperparameterFlags(*train, *flags);
  return {train, [flags](CommandContext& context) {
            return RunTrain(context, *flags);
          }};
}

Command AddTrainBlockCommand(CLI::App& jkoflow) {
  CLI::App* train_block = jkoflow.add_subcommand(
      "train-block",
      "Append one JKO block to a model (written as a new version); data "
      "and unset hyperparameters default to the model's own.");
  auto flags = std::make_shared<TrainFlags>();
  AddModelOption(*train_block, flags->model, "model to extend");
  AddVersionOption(*train_block, flags->version,
                   "version to extend; 0 = newest");
  AddDataFlags(*train_block, flags->data);
  AddHyperparameterFlags(*train_block, *flags);
  return {train_block, [flags](CommandContext& context) {
            return RunTrainBlock(context, *flags);
          }};
}

}  // namespace jkoflow
