#include "bench/oracle_bench.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/status_macros.h"
#include "core/block_diagnostics.h"
#include "core/torch_status.h"

namespace jkoflow {
namespace {

// Draw() is n points of `p` (float32, CPU).
at::Tensor Draw(const DiagonalGaussian& p, int64_t n, uint64_t seed) {
  at::Generator generator = at::detail::createCPUGenerator(seed);
  const int64_t d = static_cast<int64_t>(p.mean.size());
  const at::Tensor z = at::randn({n, d}, generator, at::kDouble);
  return (at::tensor(p.mean, at::kDouble) + at::tensor(p.std, at::kDouble) * z)
      .to(at::kFloat);
}

double MaxAbs(const at::Tensor& t) { return t.abs().max().item<double>(); }

std::string Numbers(const at::Tensor& t) {
  std::vector<std::string> parts;
  const at::Tensor c = t.to(at::kDouble).contiguous();
  for (int64_t i = 0; i < c.numel(); ++i) {
    parts.push_back(absl::StrCat(c.data_ptr<double>()[i]));
  }
  return absl::StrCat("[", absl::StrJoin(parts, ", "), "]");
}

// PrintBlock() prints the JSON line of block k (1-based) of `model`.
absl::Status PrintBlock(const FlowModel& model, int64_t k,
                        const at::Tensor& test, const DiagonalGaussian& start,
                        const DiagonalGaussian& exact) {
  ASSIGN_OR_RETURN(at::Tensor pushed, model.MapToNoise(test));
  const at::Tensor y = pushed.to(at::kDouble).cpu();
  const at::Tensor mean = y.mean(0);
  const at::Tensor centred = y - mean;
  const at::Tensor cov = at::matmul(centred.t(), centred) / (y.size(0) - 1);
  const at::Tensor std = cov.diagonal().sqrt();
  const at::Tensor off = cov - at::diag_embed(cov.diagonal());
  const BlockDiagnostics& d = model.stats(k - 1).diagnostics;
  const TrajectoryPoint point = ModelTrajectory(model)[k - 1];
  const double measured_kl = point.kl_plus_entropy - GaussianEntropy(start);
  std::printf(
      "{\"dim\": %d, \"block\": %d, \"h\": %.4g, \"step_sum\": %.4g, "
      "\"mean_error\": %.4f, \"std_error\": %.4f, \"max_off_diagonal\": %.4f, "
      "\"exact_kl\": %.5f, \"measured_kl\": %.5f, \"eps2\": %.4g, "
      "\"eps2_floor\": %.4g, \"lipschitz\": %.4g, \"inverse_lipschitz\": "
      "%.4g, \"pushed_mean\": %s, \"exact_mean\": %s, \"pushed_std\": %s, "
      "\"exact_std\": %s}\n",
      static_cast<int>(model.dim()), static_cast<int>(k),
      model.block(k - 1).config().h, point.step_sum,
      MaxAbs(mean - at::tensor(exact.mean, at::kDouble)),
      MaxAbs(std - at::tensor(exact.std, at::kDouble)), MaxAbs(off),
      GaussianKl(exact), measured_kl, d.first_order_residual, d.residual_floor,
      d.lipschitz, d.inverse_lipschitz, Numbers(mean).c_str(),
      Numbers(at::tensor(exact.mean, at::kDouble)).c_str(),
      Numbers(std).c_str(),
      Numbers(at::tensor(exact.std, at::kDouble)).c_str());
  std::fflush(stdout);
  return absl::OkStatus();
}

}  // namespace

DiagonalGaussian OracleStart(int64_t dim) {
  DiagonalGaussian p;
  for (int64_t i = 0; i < dim; ++i) {
    p.mean.push_back((i % 2 == 0 ? 2.5 : -2.5) + 0.1 * static_cast<double>(i));
    p.std.push_back(0.5 + 0.3 * static_cast<double>(i % 4));
  }
  return p;
}

absl::Status RunOracle(const TrainerOptions& options, int64_t train_points,
                       int64_t test_points, uint64_t seed) {
  for (const int64_t dim : {int64_t{2}, int64_t{10}}) {
    const DiagonalGaussian start = OracleStart(dim);
    std::printf("{\"dim\": %d, \"block\": 0, \"exact_kl\": %.5f}\n",
                static_cast<int>(dim), GaussianKl(start));
    TrainerOptions o = options;
    o.seed = seed;
    ASSIGN_OR_RETURN(
        std::unique_ptr<ProgressiveTrainer> trainer,
        ProgressiveTrainer::Create(o, Draw(start, train_points, seed)));
    const at::Tensor test =
        Draw(start, test_points, seed + 1).to(options.device);
    FlowModel model = trainer->NewModel(absl::StrCat("oracle:", dim));
    DiagonalGaussian exact = start;
    while (model.num_blocks() < o.max_blocks) {
      ASSIGN_OR_RETURN(const bool converged, trainer->TrainNextBlock(model));
      const int64_t k = model.num_blocks();
      exact = ExactDiagonalJkoStep(exact, model.block(k - 1).config().h);
      RETURN_IF_ERROR(
          GuardTorch([&] { return PrintBlock(model, k, test, start, exact); }));
      if (converged) break;
    }
  }
  return absl::OkStatus();
}

}  // namespace jkoflow
