#include "bench/perf_bench.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <torch/utils.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "base/status_macros.h"
#include "bench/peak_rss.h"
#include "core/progressive_trainer.h"
#include "core/torch_status.h"

namespace jkoflow {
namespace {

constexpr int kRepetitions = 5;

// PerfConfig is the model shape a figure was measured on.
struct PerfConfig {
  int64_t dim = 2;
  int64_t batch = 10000;
  int64_t blocks = 8;
  int64_t steps = 3;
  int64_t width = 128;
  int64_t depth = 3;
  int threads = 1;
};

void Synchronize(torch::Device device) {
  if (device.is_cuda()) {
    // A tiny host copy waits for the queued kernels of the current stream.
    torch::zeros({1}, torch::TensorOptions().device(device)).cpu();
  }
}

// MedianSeconds() runs `fn` once to warm up, then kRepetitions times, and
// returns the median wall time.
absl::StatusOr<double> MedianSeconds(torch::Device device,
                                     const std::function<absl::Status()>& fn,
                                     int repetitions = kRepetitions) {
  RETURN_IF_ERROR(fn());
  Synchronize(device);
  std::vector<double> seconds;
  for (int r = 0; r < repetitions; ++r) {
    const auto start = std::chrono::steady_clock::now();
    RETURN_IF_ERROR(fn());
    Synchronize(device);
    seconds.push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count());
  }
  std::sort(seconds.begin(), seconds.end());
  return seconds[seconds.size() / 2];
}

// MlpFlops() is 2 × Σ fan_in × fan_out of one MLP evaluation per point;
// TangentFlops() the same for one tangent pass (the first layer's tangent is
// shared by all points and not counted).
double MlpFlops(const PerfConfig& c) {
  return 2.0 * (c.dim * c.width + (c.depth - 1) * c.width * c.width +
                c.width * c.dim);
}
double TangentFlops(const PerfConfig& c) {
  return 2.0 * ((c.depth - 1) * c.width * c.width + c.width * c.dim);
}
double Evaluations(const PerfConfig& c) { return c.blocks * c.steps * 4.0; }

void Print(const std::string& figure, double value, const std::string& unit,
           double roofline_fraction, const PerfConfig& c) {
  const std::string fraction = roofline_fraction < 0
                                   ? "null"
                                   : absl::StrFormat("%.3f", roofline_fraction);
  std::printf(
      "{\"figure\": \"%s\", \"value\": %.6g, \"unit\": \"%s\", "
      "\"roofline_fraction\": %s, \"config\": {\"d\": %d, \"batch\": %d, "
      "\"blocks\": %d, \"steps\": %d, \"width\": %d, \"depth\": %d, "
      "\"threads\": %d}}\n",
      figure.c_str(), value, unit.c_str(), fraction.c_str(),
      static_cast<int>(c.dim), static_cast<int>(c.batch),
      static_cast<int>(c.blocks), static_cast<int>(c.steps),
      static_cast<int>(c.width), static_cast<int>(c.depth), c.threads);
  std::fflush(stdout);
}

// RandomFlow() builds `blocks` freshly initialised blocks: throughput does
// not depend on training.
absl::StatusOr<FlowModel> RandomFlow(const PerfConfig& c,
                                     torch::Device device) {
  FlowModel model(c.dim, device);
  for (int64_t k = 0; k < c.blocks; ++k) {
    JkoBlockConfig config;
    config.steps = c.steps;
    config.field = VelocityFieldOptions(c.dim).width(c.width).depth(c.depth);
    ASSIGN_OR_RETURN(JkoBlock block, JkoBlock::Create(config, 100 + k));
    RETURN_IF_ERROR(model.AppendBlock(block, BlockStats()));
  }
  return model;
}

// GemmPeak() is the float32 GFLOP/s of [rows, width] × [width, width], the
// shape of a hidden layer, on all threads: the better of one BLAS call on the
// whole batch (BLAS's own threading) and one call per thread on its own
// block of rows at once (how the fast paths run; on this kind of machine
// OpenBLAS's threading gets far less out of two cores than that).
absl::StatusOr<double> GemmPeak(const PerfConfig& c, torch::Device device) {
  torch::Tensor a = torch::randn({c.batch, c.width}, torch::device(device));
  torch::Tensor b = torch::randn({c.width, c.width}, torch::device(device));
  torch::Tensor out = torch::empty({c.batch, c.width}, torch::device(device));
  const int inner = 20;
  const double flops = 2.0 * c.batch * c.width * c.width * inner;
  ASSIGN_OR_RETURN(double whole, MedianSeconds(device, [&]() {
                     for (int i = 0; i < inner; ++i) at::mm_out(out, a, b);
                     return absl::OkStatus();
                   }));
  double best = flops / whole / 1e9;
  if (device.is_cpu()) {
    // Each thread multiplies its own 512-row blocks, as the chunked paths do.
    const int64_t rows = 512;
    const int64_t blocks = c.batch / rows;
    ASSIGN_OR_RETURN(
        double per_thread, MedianSeconds(device, [&]() {
          at::parallel_for(0, blocks, 1, [&](int64_t b0, int64_t b1) {
            for (int i = 0; i < inner; ++i) {
              for (int64_t k = b0; k < b1; ++k) {
                torch::Tensor o = out.narrow(0, k * rows, rows);
                at::mm_out(o, a.narrow(0, k * rows, rows), b);
              }
            }
          });
          return absl::OkStatus();
        }));
    best = std::max(best, 2.0 * blocks * rows * c.width * c.width * inner /
                              per_thread / 1e9);
  }
  return best;
}

// InferenceBatch() is the batch of the inference figures at dimension d.
int64_t InferenceBatch(int64_t dim) { return dim >= 256 ? 1000 : 10000; }

absl::Status InferenceFigures(const PerfConfig& c, torch::Device device,
                              double peak_gflops) {
  ASSIGN_OR_RETURN(FlowModel model, RandomFlow(c, device));
  ASSIGN_OR_RETURN(torch::Tensor noise, model.Noise(c.batch, 1));
  ASSIGN_OR_RETURN(double sample_s, MedianSeconds(device, [&]() {
                     return model.MapToData(noise).status();
                   }));
  const double sample_flops = c.batch * MlpFlops(c) * Evaluations(c);
  Print("sample_points_per_s", c.batch / sample_s, "points/s",
        sample_flops / sample_s / 1e9 / peak_gflops, c);

  ASSIGN_OR_RETURN(torch::Tensor x, model.MapToData(noise));
  const bool hidden_trace = c.width < c.dim;  // docs/design.md §5
  if (c.dim <= 10 || hidden_trace) {
    DivergenceOptions exact;
    ASSIGN_OR_RETURN(double exact_s, MedianSeconds(device, [&]() {
                       return model.LogProb(x, exact).status();
                     }));
    // Through the hidden layers: width tangents over depth − 1 products.
    const double trace_flops =
        hidden_trace ? 2.0 * (c.depth - 1) * c.width * c.width * c.width
                     : c.dim * TangentFlops(c);
    const double flops = c.batch * (MlpFlops(c) + trace_flops) * Evaluations(c);
    Print("loglik_exact_points_per_s", c.batch / exact_s, "points/s",
          flops / exact_s / 1e9 / peak_gflops, c);
  }
  DivergenceOptions hutchinson{DivergenceMethod::kHutchinson, 1,
                               ProbeDistribution::kRademacher};
  ASSIGN_OR_RETURN(double hutchinson_s, MedianSeconds(device, [&]() {
                     return model.LogProb(x, hutchinson, 3).status();
                   }));
  const double flops =
      c.batch * (MlpFlops(c) + TangentFlops(c)) * Evaluations(c);
  Print("loglik_hutchinson_points_per_s", c.batch / hutchinson_s, "points/s",
        flops / hutchinson_s / 1e9 / peak_gflops, c);
  return absl::OkStatus();
}

// TrainingFigures() times one optimisation step (forward, backward, Adam)
// of a single block at batch 2000.
absl::Status TrainingFigures(PerfConfig c, torch::Device device,
                             double peak_gflops) {
  c.batch = 2000;
  c.blocks = 1;
  at::Generator gen = at::detail::createCPUGenerator(5);
  torch::Tensor data = at::randn({c.batch, c.dim}, gen, torch::kFloat32);
  for (bool exact : {false, true}) {
    if (exact && c.dim > 10) continue;
    TrainerOptions options;
    options.max_blocks = 1;
    options.iterations_per_block = 1;
    options.batch_size = c.batch;
    options.steps = c.steps;
    options.field = VelocityFieldOptions(c.dim).width(c.width).depth(c.depth);
    options.divergence =
        exact ? DivergenceOptions()
              : DivergenceOptions{DivergenceMethod::kHutchinson, 1,
                                  ProbeDistribution::kRademacher};
    options.stats_points = 1;
    options.device = device;
    // Iterations are timed inside one block through the progress callback:
    // the first is warm-up, then the median of the intervals.
    options.iterations_per_block = 2 + 2 * kRepetitions;
    ASSIGN_OR_RETURN(auto trainer, ProgressiveTrainer::Create(options, data));
    FlowModel model = trainer->NewModel("perf");
    std::vector<double> stamps;
    RETURN_IF_ERROR(trainer
                        ->TrainNextBlock(model,
                                         [&](const IterationProgress& p) {
                                           stamps.push_back(p.block_seconds);
                                         })
                        .status());
    std::vector<double> per_iteration;
    for (size_t i = 1; i < stamps.size(); ++i) {
      per_iteration.push_back(stamps[i] - stamps[i - 1]);
    }
    std::sort(per_iteration.begin(), per_iteration.end());
    const double seconds = per_iteration[per_iteration.size() / 2];
    const double tangents = exact ? c.dim : 1;
    // Backward costs about twice the forward's products.
    const double flops = 3.0 * c.batch *
                         (MlpFlops(c) + tangents * TangentFlops(c)) *
                         Evaluations(c);
    Print(exact ? "train_iter_exact_ms" : "train_iter_ms", seconds * 1e3, "ms",
          flops / seconds / 1e9 / peak_gflops, c);
  }
  return absl::OkStatus();
}

// MemoryFigures() is the peak RSS of training blocks of 10 iterations on
// 50,000 points (block 1 and the last).
absl::Status MemoryFigures(PerfConfig c, torch::Device device) {
  c.batch = 2000;
  at::Generator gen = at::detail::createCPUGenerator(6);
  torch::Tensor data = at::randn({50000, c.dim}, gen, torch::kFloat32);
  TrainerOptions options;
  options.max_blocks = c.blocks;
  options.iterations_per_block = 10;
  options.batch_size = c.batch;
  options.steps = c.steps;
  options.stop_tolerance = 0;
  options.field = VelocityFieldOptions(c.dim).width(c.width).depth(c.depth);
  options.device = device;
  ASSIGN_OR_RETURN(auto trainer, ProgressiveTrainer::Create(options, data));
  FlowModel model = trainer->NewModel("perf");
  for (int64_t k = 1; k <= c.blocks; ++k) {
    ResetPeakRss();
    RETURN_IF_ERROR(trainer->TrainNextBlock(model).status());
    if (k == 1 || k == c.blocks) {
      Print(absl::StrFormat("train_peak_rss_mb_block%d", k), PeakRssMb(), "MiB",
            -1, c);
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status RunPerfBench(torch::Device device, int threads,
                          const std::string& groups) {
  const std::vector<std::string> names = absl::StrSplit(groups, ',');
  auto wanted = [&](const std::string& group) {
    return std::find(names.begin(), names.end(), group) != names.end();
  };
  for (const std::string& name : names) {
    if (name != "inference" && name != "training" && name != "memory") {
      return absl::InvalidArgumentError(absl::StrCat(
          "--perf_groups: expected inference, training or memory, got \"", name,
          "\""));
    }
  }
  return GuardTorch([&]() -> absl::Status {
    PerfConfig base;
    base.threads = threads;
    ASSIGN_OR_RETURN(double peak, GemmPeak(base, device));
    Print("gemm_peak_gflops", peak, "GFLOP/s", -1, base);
    for (int64_t dim : {2, 10, 64, 784}) {
      PerfConfig c = base;
      c.dim = dim;
      // Points/s hardly depend on the batch once it fills the threads; at
      // d = 784 a smaller one keeps the exact log-likelihood's six passes
      // (warm-up and five timed) to about a minute on two cores.
      c.batch = InferenceBatch(dim);
      if (wanted("inference")) {
        RETURN_IF_ERROR(InferenceFigures(c, device, peak));
      }
      if (wanted("training")) {
        RETURN_IF_ERROR(TrainingFigures(c, device, peak));
      }
      if (wanted("memory") && dim != 10) {
        RETURN_IF_ERROR(MemoryFigures(c, device));
      }
    }
    return absl::OkStatus();
  });
}

}  // namespace jkoflow
