// jkoflow-bench: trains a JKO flow from the command line and evaluates it
// (test NLL, KL when the true density is known, MMD, inversion error), or,
// with --perf, measures throughput figures (see perf_bench.h).
#include <torch/types.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <optional>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "base/array_file.h"
#include "base/idx_file.h"
#include "base/program_flags.h"
#include "base/status_macros.h"
#include "bench/bench_data.h"
#include "bench/bench_flags.h"
#include "bench/oracle_bench.h"
#include "bench/perf_bench.h"
#include "bench/quality_suite.h"
#include "bench/real_suite.h"
#include "core/block_diagnostics.h"
#include "core/compute_setup.h"
#include "core/datasets.h"
#include "core/evaluation.h"
#include "core/model_store.h"
#include "core/progressive_trainer.h"
#include "core/torch_status.h"

ABSL_FLAG(std::string, dataset, "8gaussians",
          "training data: a built-in 2-D set (8gaussians, checkerboard, "
          "2spirals, moons, pinwheel, rings, swissroll, circles), "
          "gmm:<dim>:<components>:<seed>, or a .csv/.npy file");
ABSL_FLAG(std::string, test, "",
          "test points (.csv/.npy); default: fresh points of a built-in set");
ABSL_FLAG(std::string, test_logp, "",
          "exact log-density per test point (.csv/.npy, one column); "
          "enables kl");
ABSL_FLAG(int64_t, train_points, 50000,
          "points drawn from a built-in/gmm generator for training");
ABSL_FLAG(int64_t, test_points, 20000,
          "points drawn from a built-in/gmm generator for testing");
// Training flags default to the library's TrainerOptions, so the bench, the
// server's jobs and the library train the same way unless told otherwise.
ABSL_FLAG(int64_t, blocks, jkoflow::TrainerOptions().max_blocks,
          "number of JKO blocks (max)");
ABSL_FLAG(int64_t, iters, jkoflow::TrainerOptions().iterations_per_block,
          "training iterations per block (the budget when --plateau_every "
          "stops blocks early)");
ABSL_FLAG(int64_t, batch, jkoflow::TrainerOptions().batch_size,
          "mini-batch size");
ABSL_FLAG(double, lr, jkoflow::TrainerOptions().learning_rate,
          "Adam learning rate (the schedule's peak)");
ABSL_FLAG(
    std::string, lr_schedule,
    jkoflow::LrScheduleKindName(jkoflow::TrainerOptions().lr_schedule.kind),
    "constant, or cosine (linear warm-up, then cosine decay over each "
    "block's budget)");
ABSL_FLAG(double, warmup, jkoflow::TrainerOptions().lr_schedule.warmup_fraction,
          "cosine schedule: fraction of the budget spent warming up");
ABSL_FLAG(double, final_lr,
          jkoflow::TrainerOptions().lr_schedule.final_fraction,
          "cosine schedule: final rate as a fraction of the peak");
ABSL_FLAG(int64_t, plateau_every, jkoflow::TrainerOptions().plateau.eval_every,
          "evaluate the held-out loss every this many iterations and stop a "
          "block on a plateau (0: off)");
ABSL_FLAG(int64_t, plateau_window, jkoflow::TrainerOptions().plateau.window,
          "stop when the held-out loss has not improved for this many "
          "iterations");
ABSL_FLAG(double, plateau_tol, jkoflow::TrainerOptions().plateau.tolerance,
          "relative improvement that counts for the plateau rule");
ABSL_FLAG(int64_t, min_iters, jkoflow::TrainerOptions().plateau.min_iterations,
          "fewest iterations of a block under the plateau rule");
ABSL_FLAG(double, h0, jkoflow::TrainerOptions().step_size.h0,
          "step size of block 1");
ABSL_FLAG(double, rho, jkoflow::TrainerOptions().step_size.rho,
          "growth factor of the step size per block");
ABSL_FLAG(double, hmax, jkoflow::TrainerOptions().step_size.h_max,
          "largest step size");
ABSL_FLAG(bool, adaptive, jkoflow::TrainerOptions().step_size.adaptive,
          "adaptive step-size rule");
ABSL_FLAG(double, stop_tol, jkoflow::TrainerOptions().stop_tolerance,
          "stop adding blocks when E|T(x)-x|^2/E|T(x)|^2 falls below (0: "
          "never)");
ABSL_FLAG(double, tau, jkoflow::TrainerOptions().smoothing_tau,
          "OU pre-smoothing time (0: none)");
ABSL_FLAG(int64_t, width, jkoflow::TrainerOptions().field.width(),
          "hidden units per layer");
ABSL_FLAG(int64_t, depth, jkoflow::TrainerOptions().field.depth(),
          "hidden layers");
ABSL_FLAG(int64_t, steps, jkoflow::TrainerOptions().steps,
          "RK4 steps per block");
ABSL_FLAG(bool, time_input, jkoflow::TrainerOptions().field.time_input(),
          "the velocity fields take time as an input");
ABSL_FLAG(std::string, activation, "softplus", "softplus, tanh or silu");
ABSL_FLAG(bool, oracle, false,
          "the Gaussian benchmark: train on N(m, diag(s²)) in d = 2 and 10 "
          "and compare every block with the exact JKO sequence");
ABSL_FLAG(int64_t, diagnostic_points,
          jkoflow::TrainerOptions().diagnostic_points,
          "points of each block's diagnostics (0: none)");
ABSL_FLAG(std::string, divergence, "",
          "training divergence: exact or hutchinson (default: the library's, "
          "exact for d <= 2, one Rademacher Hutchinson probe above)");
ABSL_FLAG(int64_t, probes, 1, "Hutchinson probes");
ABSL_FLAG(std::string, transform, "auto",
          "the data's transform: auto, none, or a comma-separated list of "
          "dequantize, marginal, scale, logit, standardize, whiten");
ABSL_FLAG(bool, validation_gate, jkoflow::TrainerOptions().validation_gate,
          "keep a block only if it lowers the held-out NLL");
ABSL_FLAG(int64_t, validation_every, jkoflow::TrainerOptions().validation_every,
          "measure the held-out loss every this many iterations and end each "
          "block with its best weights (0: the last weights)");
ABSL_FLAG(uint64_t, seed, 1, "seed of data, initialisation and batches");
ABSL_FLAG(int32_t, threads, 0, "intra-op threads (0: all cores)");
ABSL_FLAG(std::string, device, "cpu", "cpu, cuda, cuda:N");
ABSL_FLAG(std::string, out, "",
          "write the trained model to this directory (--suite=real: the "
          "first seed's default model of each set to <out>/<set>/v1)");
ABSL_FLAG(bool, perf, false,
          "measure throughput figures instead of training (JSON lines)");
ABSL_FLAG(std::string, suite, "",
          "quality: train and evaluate the quality suite's sets under the "
          "authors' baseline, the default and flow matching; real: the real "
          "data sets "
          "(digits, fashion-mnist) under the Gaussian fit, the default and "
          "flow matching (JSON lines)");
ABSL_FLAG(int64_t, seeds, 3,
          "with --suite: seeds per set and setting (mean ± std; the quality "
          "suite's baseline runs --baseline_seeds)");
ABSL_FLAG(int64_t, baseline_seeds, 1,
          "with --suite=quality: seeds of the authors' baseline (the first "
          "of --seeds' seeds)");
ABSL_FLAG(std::string, real_data, "data/real",
          "with --suite=real: the folder deploy/real-data.sh wrote");
ABSL_FLAG(int64_t, max_train_rows, 0,
          "with --suite=real: at most this many training rows (0: all)");
ABSL_FLAG(double, weight_decay, jkoflow::TrainerOptions().weight_decay,
          "Adam's L2 weight decay");
ABSL_FLAG(std::string, method, "jko",
          "training method: jko, or flow_matching (one time-conditioned "
          "block, the peer method)");
ABSL_FLAG(std::string, suite_sets, "",
          "with --suite: comma-separated sets (default: 8gaussians, "
          "checkerboard, 2spirals, gmm:6:8:1, gmm:10:8:1)");
ABSL_FLAG(std::string, suite_settings, "",
          "with --suite: comma-separated settings (default: quality: "
          "baseline, default, flow_matching; real: gaussian, copula, "
          "default, flow_matching)");
ABSL_FLAG(std::string, perf_groups, "inference,training,memory",
          "with --perf: which figure groups to measure, comma-separated "
          "(gemm_peak_gflops is always measured)");

namespace jkoflow {
namespace {

absl::StatusOr<BenchData> LoadData() {
  const std::string dataset = absl::GetFlag(FLAGS_dataset);
  BenchData data;
  if (absl::EndsWith(dataset, ".csv") || absl::EndsWith(dataset, ".npy") ||
      IsIdxPath(dataset)) {
    ASSIGN_OR_RETURN(data.train, ReadPointsFile(dataset, &data.item_shape));
  } else {
    ASSIGN_OR_RETURN(
        data, GenerateBenchData(dataset, absl::GetFlag(FLAGS_train_points),
                                absl::GetFlag(FLAGS_test_points),
                                absl::GetFlag(FLAGS_seed)));
  }
  if (!absl::GetFlag(FLAGS_test).empty()) {
    ASSIGN_OR_RETURN(data.test, ReadPointsFile(absl::GetFlag(FLAGS_test)));
    data.test_logp = torch::Tensor();
  }
  if (!data.test.defined()) {
    return absl::InvalidArgumentError(
        "--test: needed when --dataset is a file");
  }
  if (!absl::GetFlag(FLAGS_test_logp).empty()) {
    ASSIGN_OR_RETURN(torch::Tensor logp,
                     ReadPointsFile(absl::GetFlag(FLAGS_test_logp)));
    if (logp.numel() != data.test.size(0)) {
      return absl::InvalidArgumentError(
          absl::StrFormat("--test_logp: %d values for %d test points",
                          logp.numel(), data.test.size(0)));
    }
    data.test_logp = logp.flatten().to(torch::kFloat64);
  }
  return data;
}

absl::StatusOr<TrainerOptions> OptionsFromFlags(torch::Device device) {
  TrainerOptions o;
  o.max_blocks = absl::GetFlag(FLAGS_blocks);
  o.iterations_per_block = absl::GetFlag(FLAGS_iters);
  o.batch_size = absl::GetFlag(FLAGS_batch);
  o.learning_rate = absl::GetFlag(FLAGS_lr);
  ASSIGN_OR_RETURN(o.lr_schedule.kind,
                   ParseLrScheduleKind(absl::GetFlag(FLAGS_lr_schedule)));
  o.lr_schedule.warmup_fraction = absl::GetFlag(FLAGS_warmup);
  o.lr_schedule.final_fraction = absl::GetFlag(FLAGS_final_lr);
  o.plateau.eval_every = absl::GetFlag(FLAGS_plateau_every);
  o.plateau.window = absl::GetFlag(FLAGS_plateau_window);
  o.plateau.tolerance = absl::GetFlag(FLAGS_plateau_tol);
  o.plateau.min_iterations = absl::GetFlag(FLAGS_min_iters);
  o.step_size.h0 = absl::GetFlag(FLAGS_h0);
  o.step_size.rho = absl::GetFlag(FLAGS_rho);
  o.step_size.h_max = absl::GetFlag(FLAGS_hmax);
  o.step_size.adaptive = absl::GetFlag(FLAGS_adaptive);
  o.stop_tolerance = absl::GetFlag(FLAGS_stop_tol);
  o.smoothing_tau = absl::GetFlag(FLAGS_tau);
  o.steps = absl::GetFlag(FLAGS_steps);
  ASSIGN_OR_RETURN(Activation activation,
                   ParseActivation(absl::GetFlag(FLAGS_activation)));
  o.field = TrainerOptions()
                .field.width(absl::GetFlag(FLAGS_width))
                .depth(absl::GetFlag(FLAGS_depth))
                .activation(activation)
                .time_input(absl::GetFlag(FLAGS_time_input));
  if (!absl::GetFlag(FLAGS_divergence).empty()) {
    DivergenceOptions divergence;
    ASSIGN_OR_RETURN(divergence.method,
                     ParseDivergenceMethod(absl::GetFlag(FLAGS_divergence)));
    divergence.probes = absl::GetFlag(FLAGS_probes);
    o.divergence = divergence;
  }
  o.diagnostic_points = absl::GetFlag(FLAGS_diagnostic_points);
  ASSIGN_OR_RETURN(o.transform,
                   ParseTransformSpec(absl::GetFlag(FLAGS_transform)));
  o.validation_gate = absl::GetFlag(FLAGS_validation_gate);
  o.weight_decay = absl::GetFlag(FLAGS_weight_decay);
  ASSIGN_OR_RETURN(o.method, ParseTrainingMethod(absl::GetFlag(FLAGS_method)));
  o.validation_every = absl::GetFlag(FLAGS_validation_every);
  o.seed = absl::GetFlag(FLAGS_seed);
  o.device = device;
  return o;
}

// PrintBlock() prints the last block's statistics, its KL figure (the KL
// itself when the data's entropy is known) and its diagnostics.
void PrintBlock(const FlowModel& model, int64_t max_blocks,
                const std::optional<double>& data_entropy) {
  const int64_t k = model.num_blocks();
  const BlockStats& s = model.stats(k - 1);
  std::printf(
      "block %d/%d h=%.4g iterations=%d loss=%.4f potential=%.4f "
      "neg_div=%.4f movement_term=%.4f movement=%.4g inversion_error=%.3g "
      "seconds=%.1f\n",
      static_cast<int>(k), static_cast<int>(max_blocks),
      model.block(k - 1).config().h, static_cast<int>(s.iterations), s.loss,
      s.potential, s.neg_divergence, s.movement_term, s.movement,
      s.inversion_error, s.train_seconds);
  const BlockDiagnostics& d = s.diagnostics;
  const double kl_plus_entropy = ModelTrajectory(model)[k - 1].kl_plus_entropy;
  if (data_entropy.has_value()) {
    // The data's entropy is known: the trajectory gives the KL itself.
    std::printf("  kl_to_normal=%.5f (KL(p_k ‖ N(0, I)), exact entropy)\n",
                kl_plus_entropy - *data_entropy);
  } else {
    std::printf("  kl_plus_entropy=%.5f (KL(p_k ‖ N(0, I)) + H(data))\n",
                kl_plus_entropy);
  }
  if (d.points > 0) {
    std::printf(
        "  diagnostics n=%d eps2=%.4g floor=%.4g ot_gap=%.3g lip=%.4g "
        "lip_inv=%.4g rk4_err=%.3g seconds=%.2f\n",
        static_cast<int>(d.points), d.first_order_residual, d.residual_floor,
        d.ot_gap, d.lipschitz, d.inverse_lipschitz, d.discretisation_error,
        d.seconds);
  }
}

absl::Status Run(torch::Device device) {
  ASSIGN_OR_RETURN(BenchData data, LoadData());
  ASSIGN_OR_RETURN(TrainerOptions options, OptionsFromFlags(device));
  options.transform.item_shape = data.item_shape;
  ASSIGN_OR_RETURN(auto trainer,
                   ProgressiveTrainer::Create(options, data.train));
  FlowModel model = trainer->NewModel(absl::GetFlag(FLAGS_dataset));
  // H(data) = −E log p(x), by Monte Carlo on the test points, where the
  // true density is known (unsmoothed data only).
  std::optional<double> data_entropy;
  if (data.test_logp.defined() && options.smoothing_tau == 0) {
    data_entropy = -data.test_logp.mean().item<double>();
  }
  const auto start = std::chrono::steady_clock::now();
  std::printf("transform: %s\n", model.transform().Describe().c_str());
  while (model.num_blocks() < options.max_blocks) {
    const int64_t before = model.num_blocks();
    ASSIGN_OR_RETURN(bool converged, trainer->TrainNextBlock(model));
    const int64_t k = model.num_blocks();
    if (k == before) {
      std::printf(
          "block %d dropped: it did not lower the held-out NLL "
          "(validation gate)\n",
          static_cast<int>(k + 1));
      break;
    }
    PrintBlock(model, options.max_blocks, data_entropy);
    std::fflush(stdout);
    if (converged) break;
  }
  const double train_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  if (!absl::GetFlag(FLAGS_out).empty()) {
    RETURN_IF_ERROR(SaveModel(model, absl::GetFlag(FLAGS_out)));
  }
  ASSIGN_OR_RETURN(Evaluation e,
                   EvaluateModel(model, data, absl::GetFlag(FLAGS_seed)));
  std::printf(
      "{\"dataset\": \"%s\", \"blocks\": %d, \"nll\": %.6f, \"kl\": %s, "
      "\"bits_per_dim\": %s, \"mmd\": %.6g, \"inversion_error\": %.3g, "
      "\"train_seconds\": %.2f, \"eval_seconds\": %.2f}\n",
      absl::GetFlag(FLAGS_dataset).c_str(),
      static_cast<int>(model.num_blocks()), e.nll,
      JsonNumberOrNull(e.kl).c_str(), JsonNumberOrNull(e.bits_per_dim).c_str(),
      e.mmd, e.inversion_error, train_seconds, e.eval_seconds);
  return absl::OkStatus();
}

absl::Status RunReal(torch::Device device) {
  RealSuiteOptions suite;
  if (!absl::GetFlag(FLAGS_suite_sets).empty()) {
    suite.sets =
        absl::StrSplit(absl::GetFlag(FLAGS_suite_sets), ',', absl::SkipEmpty());
  }
  if (!absl::GetFlag(FLAGS_suite_settings).empty()) {
    suite.settings = absl::StrSplit(absl::GetFlag(FLAGS_suite_settings), ',',
                                    absl::SkipEmpty());
  }
  ASSIGN_OR_RETURN(suite.default_options, OptionsFromFlags(device));
  suite.data_dir = absl::GetFlag(FLAGS_real_data);
  suite.seeds = absl::GetFlag(FLAGS_seeds);
  suite.seed = absl::GetFlag(FLAGS_seed);
  suite.max_train_rows = absl::GetFlag(FLAGS_max_train_rows);
  suite.device = device;
  suite.out_dir = absl::GetFlag(FLAGS_out);
  return RunRealSuite(suite);
}

absl::Status RunSuite(torch::Device device) {
  if (absl::GetFlag(FLAGS_suite) == "real") return RunReal(device);
  if (absl::GetFlag(FLAGS_suite) != "quality") {
    return absl::InvalidArgumentError(absl::StrCat(
        "--suite: quality or real, got \"", absl::GetFlag(FLAGS_suite), "\""));
  }
  QualitySuiteOptions suite;
  if (!absl::GetFlag(FLAGS_suite_sets).empty()) {
    suite.sets =
        absl::StrSplit(absl::GetFlag(FLAGS_suite_sets), ',', absl::SkipEmpty());
  }
  if (!absl::GetFlag(FLAGS_suite_settings).empty()) {
    suite.settings = absl::StrSplit(absl::GetFlag(FLAGS_suite_settings), ',',
                                    absl::SkipEmpty());
  }
  ASSIGN_OR_RETURN(suite.default_options, OptionsFromFlags(device));
  suite.seed = absl::GetFlag(FLAGS_seed);
  suite.seeds = absl::GetFlag(FLAGS_seeds);
  suite.baseline_seeds = absl::GetFlag(FLAGS_baseline_seeds);
  suite.device = device;
  return RunQualitySuite(suite);
}

}  // namespace
}  // namespace jkoflow

int main(int argc, char** argv) {
  // --help lists the bench's own flags (they live in files whose names
  // differ from the program's, which --help alone would not show).
  jkoflow::HelpListsFlagsFrom("bench/");
  absl::SetProgramUsageMessage(
      "trains and evaluates a JKO flow; --suite=quality compares the default "
      "with the authors' setup; --oracle compares every block with the exact "
      "JKO sequence of a Gaussian; --perf measures throughput.\n"
      "  jkoflow-bench --dataset=8gaussians\n"
      "  jkoflow-bench --suite=quality --suite_sets=8gaussians,gmm:10:8:1");
  absl::ParseCommandLine(argc, argv);
  const int threads = jkoflow::ThreadsOrCores(absl::GetFlag(FLAGS_threads));
  jkoflow::SetUpCompute(threads);
  absl::Status status = jkoflow::GuardTorch([&]() -> absl::Status {
    const torch::Device device(absl::GetFlag(FLAGS_device));
    if (!absl::GetFlag(FLAGS_suite).empty()) return jkoflow::RunSuite(device);
    if (absl::GetFlag(FLAGS_oracle)) {
      ASSIGN_OR_RETURN(jkoflow::TrainerOptions options,
                       jkoflow::OptionsFromFlags(device));
      return jkoflow::RunOracle(options, absl::GetFlag(FLAGS_train_points),
                                absl::GetFlag(FLAGS_test_points),
                                absl::GetFlag(FLAGS_seed));
    }
    if (absl::GetFlag(FLAGS_perf))
      return jkoflow::RunPerfBench(device, threads,
                                   absl::GetFlag(FLAGS_perf_groups));
    return jkoflow::Run(device);
  });
  if (!status.ok()) {
    std::cerr << "jkoflow-bench: " << status << "\n";
    return 1;
  }
  return 0;
}
