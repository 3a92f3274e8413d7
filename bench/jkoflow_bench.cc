// jkoflow-bench: trains a JKO flow from the command line and evaluates it
// (test NLL, KL when the true density is known, MMD, inversion error), or,
// with --perf, measures throughput figures (see perf_bench.h).
#include <ATen/Parallel.h>
#include <torch/types.h>

#include <cstdio>
#include <iostream>
#include <string>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "base/array_file.h"
#include "base/status_macros.h"
#include "bench/bench_flags.h"
#include "bench/perf_bench.h"
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
ABSL_FLAG(int64_t, blocks, 4, "number of JKO blocks (max)");
ABSL_FLAG(int64_t, iters, 300, "training iterations per block");
ABSL_FLAG(int64_t, batch, 2000, "mini-batch size");
ABSL_FLAG(double, lr, 1e-3, "Adam learning rate");
ABSL_FLAG(double, h0, 1.0,
          "step size of block 1 (the library default is 0.25 for 8 blocks; "
          "1.0 lets a 4-block run reach N(0, I))");
ABSL_FLAG(double, rho, 1.4, "growth factor of the step size per block");
ABSL_FLAG(double, hmax, 5.0, "largest step size");
ABSL_FLAG(bool, adaptive, false, "adaptive step-size rule");
ABSL_FLAG(double, stop_tol, 0.0,
          "stop adding blocks when E|T(x)-x|^2/E|T(x)|^2 falls below (0: "
          "never)");
ABSL_FLAG(double, tau, 0.0, "OU pre-smoothing time (0: none)");
ABSL_FLAG(int64_t, width, 128, "hidden units per layer");
ABSL_FLAG(int64_t, depth, 3, "hidden layers");
ABSL_FLAG(int64_t, steps, 3, "RK4 steps per block");
ABSL_FLAG(std::string, activation, "softplus", "softplus, tanh or silu");
ABSL_FLAG(std::string, divergence, "",
          "training divergence: exact or hutchinson (default: exact for "
          "d <= 10)");
ABSL_FLAG(int64_t, probes, 1, "Hutchinson probes");
ABSL_FLAG(uint64_t, seed, 1, "seed of data, initialisation and batches");
ABSL_FLAG(int32_t, threads, 0, "intra-op threads (0: all cores)");
ABSL_FLAG(std::string, device, "cpu", "cpu, cuda, cuda:N");
ABSL_FLAG(std::string, out, "", "write the trained model to this directory");
ABSL_FLAG(bool, perf, false,
          "measure throughput figures instead of training (JSON lines)");
ABSL_FLAG(std::string, perf_groups, "inference,training,memory",
          "with --perf: which figure groups to measure, comma-separated "
          "(gemm_peak_gflops is always measured)");

namespace jkoflow {
namespace {

// Data is the training set, the test set and, when known, the true log-density
// of each test point.
struct Data {
  torch::Tensor train;
  torch::Tensor test;
  torch::Tensor test_logp;  // undefined when unknown
};

absl::StatusOr<torch::Tensor> ReadPoints(const std::string& path) {
  ASSIGN_OR_RETURN(Array2D array, ReadArrayFile(path));
  return GuardTorch([&]() -> absl::StatusOr<torch::Tensor> {
    return torch::tensor(array.values, torch::kFloat64)
        .reshape({array.rows, array.cols})
        .to(torch::kFloat32);
  });
}

absl::StatusOr<Data> LoadData() {
  const std::string dataset = absl::GetFlag(FLAGS_dataset);
  const uint64_t seed = absl::GetFlag(FLAGS_seed);
  const uint64_t test_seed = seed + 7919;
  Data data;
  if (absl::StartsWith(dataset, "gmm:")) {
    ASSIGN_OR_RETURN(GaussianMixture gmm, ParseGaussianMixtureSpec(dataset));
    ASSIGN_OR_RETURN(data.train,
                     gmm.Sample(absl::GetFlag(FLAGS_train_points), seed));
    ASSIGN_OR_RETURN(data.test,
                     gmm.Sample(absl::GetFlag(FLAGS_test_points), test_seed));
    ASSIGN_OR_RETURN(data.test_logp, gmm.LogProb(data.test));
  } else if (absl::EndsWith(dataset, ".csv") ||
             absl::EndsWith(dataset, ".npy")) {
    ASSIGN_OR_RETURN(data.train, ReadPoints(dataset));
  } else {
    ASSIGN_OR_RETURN(data.train,
                     GenerateBuiltin(dataset, absl::GetFlag(FLAGS_train_points),
                                     seed));
    ASSIGN_OR_RETURN(data.test,
                     GenerateBuiltin(dataset, absl::GetFlag(FLAGS_test_points),
                                     test_seed));
    if (dataset == "8gaussians") {
      ASSIGN_OR_RETURN(data.test_logp,
                       GaussianMixture::EightGaussians().LogProb(data.test));
    }
  }
  if (!absl::GetFlag(FLAGS_test).empty()) {
    ASSIGN_OR_RETURN(data.test, ReadPoints(absl::GetFlag(FLAGS_test)));
    data.test_logp = torch::Tensor();
  }
  if (!data.test.defined()) {
    return absl::InvalidArgumentError(
        "--test: needed when --dataset is a file");
  }
  if (!absl::GetFlag(FLAGS_test_logp).empty()) {
    ASSIGN_OR_RETURN(torch::Tensor logp,
                     ReadPoints(absl::GetFlag(FLAGS_test_logp)));
    if (logp.numel() != data.test.size(0)) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "--test_logp: %d values for %d test points", logp.numel(),
          data.test.size(0)));
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
  o.step_size.h0 = absl::GetFlag(FLAGS_h0);
  o.step_size.rho = absl::GetFlag(FLAGS_rho);
  o.step_size.h_max = absl::GetFlag(FLAGS_hmax);
  o.step_size.adaptive = absl::GetFlag(FLAGS_adaptive);
  o.stop_tolerance = absl::GetFlag(FLAGS_stop_tol);
  o.smoothing_tau = absl::GetFlag(FLAGS_tau);
  o.steps = absl::GetFlag(FLAGS_steps);
  ASSIGN_OR_RETURN(Activation activation,
                   ParseActivation(absl::GetFlag(FLAGS_activation)));
  o.field = VelocityFieldOptions(2)
                .width(absl::GetFlag(FLAGS_width))
                .depth(absl::GetFlag(FLAGS_depth))
                .activation(activation);
  if (!absl::GetFlag(FLAGS_divergence).empty()) {
    DivergenceOptions divergence;
    ASSIGN_OR_RETURN(divergence.method,
                     ParseDivergenceMethod(absl::GetFlag(FLAGS_divergence)));
    divergence.probes = absl::GetFlag(FLAGS_probes);
    o.divergence = divergence;
  }
  o.seed = absl::GetFlag(FLAGS_seed);
  o.device = device;
  return o;
}

absl::Status Run(torch::Device device) {
  ASSIGN_OR_RETURN(Data data, LoadData());
  ASSIGN_OR_RETURN(TrainerOptions options, OptionsFromFlags(device));
  ASSIGN_OR_RETURN(auto trainer, ProgressiveTrainer::Create(options, data.train));
  FlowModel model = trainer->NewModel(absl::GetFlag(FLAGS_dataset));
  double train_seconds = 0;
  while (model.num_blocks() < options.max_blocks) {
    ASSIGN_OR_RETURN(bool converged, trainer->TrainNextBlock(model));
    const int64_t k = model.num_blocks();
    const BlockStats& s = model.stats(k - 1);
    train_seconds += s.train_seconds;
    std::printf(
        "block %d/%d h=%.4g loss=%.4f potential=%.4f neg_div=%.4f "
        "movement_term=%.4f movement=%.4g inversion_error=%.3g seconds=%.1f\n",
        static_cast<int>(k), static_cast<int>(options.max_blocks),
        model.block(k - 1).config().h, s.loss, s.potential, s.neg_divergence,
        s.movement_term, s.movement, s.inversion_error, s.train_seconds);
    std::fflush(stdout);
    if (converged) break;
  }
  if (!absl::GetFlag(FLAGS_out).empty()) {
    RETURN_IF_ERROR(SaveModel(model, absl::GetFlag(FLAGS_out)));
  }

  ASSIGN_OR_RETURN(torch::Tensor logp, model.LogProb(data.test));
  logp = logp.to(torch::kCPU, torch::kFloat64);
  const double nll = -logp.mean().item<double>();
  ASSIGN_OR_RETURN(torch::Tensor samples,
                   model.Sample(std::min<int64_t>(data.test.size(0), 5000),
                                absl::GetFlag(FLAGS_seed) + 1));
  ASSIGN_OR_RETURN(double mmd, GaussianMmd(samples.cpu(), data.test,
                                           absl::GetFlag(FLAGS_seed)));
  ASSIGN_OR_RETURN(FlowModel::InversionReport inversion,
                   model.InversionError(data.test));
  std::string kl = "null";
  if (data.test_logp.defined()) {
    kl = absl::StrFormat("%.6f", (data.test_logp - logp).mean().item<double>());
  }
  std::printf(
      "{\"dataset\": \"%s\", \"blocks\": %d, \"nll\": %.6f, \"kl\": %s, "
      "\"mmd\": %.6g, \"inversion_error\": %.3g, \"train_seconds\": %.2f}\n",
      absl::GetFlag(FLAGS_dataset).c_str(),
      static_cast<int>(model.num_blocks()), nll, kl.c_str(), mmd, inversion.end_to_end, train_seconds);
  return absl::OkStatus();
}

}  // namespace
}  // namespace jkoflow

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "trains and evaluates a JKO flow; --perf measures throughput.\n"
      "  jkoflow-bench --dataset=8gaussians --blocks=4 --iters=300");
  absl::ParseCommandLine(argc, argv);
  int threads = absl::GetFlag(FLAGS_threads);
  if (threads <= 0) {
    threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  }
  at::set_num_threads(threads);
  absl::Status status = jkoflow::GuardTorch([&]() -> absl::Status {
    const torch::Device device(absl::GetFlag(FLAGS_device));
    if (absl::GetFlag(FLAGS_perf)) return jkoflow::RunPerfBench(device, threads, absl::GetFlag(FLAGS_perf_groups));
    return jkoflow::Run(device);
  });
  if (!status.ok()) {
    std::cerr << "jkoflow-bench: " << status << "\n";
    return 1;
  }
  return 0;
}
