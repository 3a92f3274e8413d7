#include "bench/oracle_bench.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <initializer_list>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "base/status_macros.h"
#include "core/block_diagnostics.h"
#include "core/control_variate.h"
#include "core/convergence_bound.h"
#include "core/model_score.h"
#include "core/stein_residual.h"
#include "core/torch_status.h"

namespace jkoflow {
namespace {

// Points for the first-order residuals: an exact n × n assignment each.
constexpr int64_t kResidualPoints = 2000;

// Draw() is n points of `p` (float32, CPU).
at::Tensor Draw(const DiagonalGaussian& p, int64_t n, uint64_t seed) {
  at::Generator generator = at::detail::createCPUGenerator(seed);
  const int64_t d = static_cast<int64_t>(p.mean.size());
  const at::Tensor z = at::randn({n, d}, generator, at::kDouble);
  return (at::tensor(p.mean, at::kDouble) + at::tensor(p.std, at::kDouble) * z)
      .to(at::kFloat);
}

// LogDensityOf() is log p for points [n, d] (float64) of `p`.
LogDensity LogDensityOf(const DiagonalGaussian& p) {
  const at::Tensor mean = at::tensor(p.mean, at::kDouble);
  const at::Tensor std = at::tensor(p.std, at::kDouble);
  const double constant =
      -std.log().sum().item<double>() - 0.5 * std.size(0) * std::log(2 * M_PI);
  return [mean, std, constant](const at::Tensor& x) {
    return -0.5 * ((x - mean) / std).pow(2).sum(1) + constant;
  };
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

// Carried is the test sample pushed through the blocks so far.
struct Carried {
  at::Tensor y;        // [n, d], the model's dtype and device
  at::Tensor log_det;  // Σ_j ∫div f_j [n], float64, CPU
};

// Push() carries `c` through `block` with exact divergences.
absl::Status Push(const JkoBlock& block, Carried& c) {
  at::Generator unused = at::detail::createCPUGenerator(0);
  ASSIGN_OR_RETURN(OdeSolution out,
                   block.MapWithDivergence(c.y, DivergenceOptions(), unused));
  c.y = out.x;
  c.log_det = c.log_det + out.divergence_integral.to(at::kDouble).cpu();
  return absl::OkStatus();
}

// MeasuredKl() is KL(p_k ‖ N(0, I)) on the carried test points, where
// log p_k(y) = log p_0(x) − Σ∫div: the mean of log p_0(x) − Σ∫div −
// log N(y) and its standard error.
MeanEstimate MeasuredKl(const at::Tensor& test, const Carried& c,
                        const LogDensity& log_p0) {
  const at::Tensor y = c.y.to(at::kDouble).cpu();
  const double d = static_cast<double>(y.size(1));
  const at::Tensor per_point = log_p0(test.to(at::kDouble).cpu()) - c.log_det +
                               0.5 * y.pow(2).sum(1) +
                               0.5 * d * std::log(2 * M_PI);
  return PlainMean(per_point);
}

// FirstOrder is block k's first-order condition several ways, on the first
// kResidualPoints test points.
struct FirstOrder {
  MeanEstimate kernel;  // ε² with the kernel score (the trainer's estimate)
  MeanEstimate exact;   // ε² with the exact score of the learned p_k
  MeanEstimate stein;   // the kernel Stein form, S² (no score)
  // S² again from the exact ξ (FieldPairs()): the same quantity, so
  // stein − stein_exact (stein_gap, one U-statistic) is 0 within its error.
  MeanEstimate stein_exact;
  MeanEstimate stein_gap;
  double movement = 0;  // E|T_k(x) − x|²
};

absl::StatusOr<FirstOrder> MeasureFirstOrder(const FlowModel& model, int64_t k,
                                             const at::Tensor& before,
                                             const at::Tensor& after,
                                             const LogDensity& log_p0) {
  const int64_t n = std::min(kResidualPoints, before.size(0));
  const at::Tensor x = before.narrow(0, 0, n).to(at::kDouble).cpu();
  const at::Tensor y = after.narrow(0, 0, n).to(at::kDouble).cpu();
  const double h = model.block(k - 1).config().h;
  ASSIGN_OR_RETURN(const at::Tensor partner, OtPartners(x, y, nullptr));
  ASSIGN_OR_RETURN(const at::Tensor score,
                   ScoreByChangeOfVariables(model, k, y, log_p0));
  FirstOrder out;
  out.kernel = FirstOrderResidual(y, partner,
                                  KernelScore(y, KernelScoreBandwidth(y)), h);
  out.exact = FirstOrderResidual(y, partner, score, h);
  const at::Tensor stein = SteinPairs(y, partner, h);
  const at::Tensor exact = FieldPairs(y, y + score + (y - partner) / h);
  out.stein = UStatistic(stein);
  out.stein_exact = UStatistic(exact);
  out.stein_gap = UStatistic(stein - exact);
  out.movement = (y - x).pow(2).sum(1).mean().item<double>();
  return out;
}

// Json() is `"name": value` for each pair, comma-separated.
std::string Json(
    std::initializer_list<std::pair<const char*, std::string>> fields) {
  std::vector<std::string> parts;
  for (const auto& [name, value] : fields) {
    parts.push_back(absl::StrCat("\"", name, "\": ", value));
  }
  return absl::StrJoin(parts, ", ");
}

std::string Fixed(double v, int digits) {
  return absl::StrFormat("%.*f", digits, v);
}
std::string General(double v, int digits) {
  return absl::StrFormat("%.*g", digits, v);
}

// MomentsJson() compares the pushed test points y with the exact p_k.
std::string MomentsJson(const at::Tensor& y_in, const DiagonalGaussian& exact) {
  const at::Tensor y = y_in.to(at::kDouble).cpu();
  const at::Tensor mean = y.mean(0);
  const at::Tensor centred = y - mean;
  const at::Tensor cov = at::matmul(centred.t(), centred) / (y.size(0) - 1);
  const at::Tensor std = cov.diagonal().sqrt();
  const at::Tensor exact_mean = at::tensor(exact.mean, at::kDouble);
  const at::Tensor exact_std = at::tensor(exact.std, at::kDouble);
  return Json({{"mean_error", Fixed(MaxAbs(mean - exact_mean), 4)},
               {"std_error", Fixed(MaxAbs(std - exact_std), 4)},
               {"max_off_diagonal",
                Fixed(MaxAbs(cov - at::diag_embed(cov.diagonal())), 4)},
               {"pushed_mean", Numbers(mean)},
               {"exact_mean", Numbers(exact_mean)},
               {"pushed_std", Numbers(std)},
               {"exact_std", Numbers(exact_std)}});
}

// FirstOrderJson() is ε² both ways, S² both ways and their gap.
std::string FirstOrderJson(const FirstOrder& f) {
  return Json({{"eps2_exact_score", General(f.exact.value, 4)},
               {"eps2_exact_score_se", General(f.exact.std_error, 2)},
               {"eps2_kernel", General(f.kernel.value, 4)},
               {"eps2_kernel_se", General(f.kernel.std_error, 2)},
               {"stein", General(f.stein.value, 4)},
               {"stein_se", General(f.stein.std_error, 2)},
               {"stein_exact_score", General(f.stein_exact.value, 4)},
               {"stein_exact_score_se", General(f.stein_exact.std_error, 2)},
               {"stein_gap", General(f.stein_gap.value, 3)},
               {"stein_gap_se", General(f.stein_gap.std_error, 2)}});
}

// OracleCurve is Theorem 4.3 chained with the exact W2²(p_0, q) and the
// exact-score ε_k².
struct OracleCurve {
  double w2 = 0;
};

// BoundsJson() is the bounds on KL(p_k ‖ q) against the exact KL: the
// certificate and Theorem 4.3 with the exact-score ε (the latter from the
// exact W2²(p_0, q)) and with the trainer's kernel ε and measured W2²(p_0,
// q) (`point`, block k's ModelTrajectory()), and Theorem 4.3's W2² bound
// against the exact one.
std::string BoundsJson(const FlowModel& model, int64_t k,
                       const TrajectoryPoint& point, const FirstOrder& f,
                       const DiagonalGaussian& exact, OracleCurve& curve) {
  const double h = model.block(k - 1).config().h;
  const ConvergenceBound bound = ConvergenceStep(curve.w2, h, f.exact.value);
  curve.w2 = bound.w2;
  return Json({{"exact_kl", Fixed(GaussianKl(exact), 5)},
               {"certificate_exact_score",
                Fixed(Certificate(f.movement, h, f.exact.value), 5)},
               {"certificate_kernel",
                Fixed(Certificate(f.movement, h, f.kernel.value), 5)},
               {"theorem_kl_exact_score", Fixed(bound.kl, 5)},
               {"theorem_kl_kernel", Fixed(point.bound.kl, 5)},
               {"exact_w2", Fixed(GaussianW2ToStandard(exact), 5)},
               {"theorem_w2_exact_score", Fixed(bound.w2, 5)},
               {"theorem_w2_kernel", Fixed(point.bound.w2, 5)},
               {"start_distance_measured",
                Fixed(model.stats(0).diagnostics.start_distance, 4)}});
}

// PrintBlock() prints the JSON line of block k (1-based) of `model`.
absl::Status PrintBlock(const FlowModel& model, int64_t k,
                        const at::Tensor& test, const Carried& before,
                        const Carried& after, const DiagonalGaussian& start,
                        const DiagonalGaussian& exact, OracleCurve& curve) {
  const LogDensity log_p0 = LogDensityOf(start);
  ASSIGN_OR_RETURN(const FirstOrder first,
                   MeasureFirstOrder(model, k, before.y, after.y, log_p0));
  const MeanEstimate kl = MeasuredKl(test, after, log_p0);
  const BlockStats& stats = model.stats(k - 1);
  const TrajectoryPoint point = ModelTrajectory(model)[k - 1];
  const std::string line =
      Json({{"dim", absl::StrCat(model.dim())},
            {"block", absl::StrCat(k)},
            {"h", General(model.block(k - 1).config().h, 4)},
            {"step_sum", General(point.step_sum, 4)},
            {"measured_kl", Fixed(kl.value, 5)},
            {"measured_kl_se", Fixed(kl.std_error, 5)},
            {"kl_decrease", Fixed(stats.kl_decrease, 5)},
            {"kl_decrease_se", General(stats.kl_decrease_std_error, 2)},
            {"kl_decrease_unpaired_se",
             General(stats.kl_decrease_unpaired_std_error, 2)},
            {"log_det_error", General(stats.diagnostics.log_det_error, 2)}});
  std::printf("{%s, %s, %s, %s}\n", line.c_str(),
              BoundsJson(model, k, point, first, exact, curve).c_str(),
              FirstOrderJson(first).c_str(),
              MomentsJson(after.y, exact).c_str());
  std::fflush(stdout);
  return absl::OkStatus();
}

// RunDimension() is the oracle in one dimension.
absl::Status RunDimension(const TrainerOptions& options, int64_t dim,
                          int64_t train_points, int64_t test_points,
                          uint64_t seed) {
  const DiagonalGaussian start = OracleStart(dim);
  std::printf(
      "{\"dim\": %d, \"block\": 0, \"exact_kl\": %.5f, \"exact_w2\": "
      "%.5f}\n",
      static_cast<int>(dim), GaussianKl(start), GaussianW2ToStandard(start));
  OracleCurve curve{GaussianW2ToStandard(start)};
  TrainerOptions o = options;
  o.seed = seed;
  ASSIGN_OR_RETURN(
      std::unique_ptr<ProgressiveTrainer> trainer,
      ProgressiveTrainer::Create(o, Draw(start, train_points, seed)));
  const at::Tensor test = Draw(start, test_points, seed + 1).to(options.device);
  FlowModel model = trainer->NewModel(absl::StrCat("oracle:", dim));
  DiagonalGaussian exact = start;
  Carried carried{test, at::zeros({test_points}, at::kDouble)};
  while (model.num_blocks() < o.max_blocks) {
    ASSIGN_OR_RETURN(const bool converged, trainer->TrainNextBlock(model));
    const int64_t k = model.num_blocks();
    exact = ExactDiagonalJkoStep(exact, model.block(k - 1).config().h);
    RETURN_IF_ERROR(GuardTorch([&]() -> absl::Status {
      const Carried before = carried;
      RETURN_IF_ERROR(Push(model.block(k - 1), carried));
      return PrintBlock(model, k, test, before, carried, start, exact, curve);
    }));
    if (converged) break;
  }
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
    RETURN_IF_ERROR(
        RunDimension(options, dim, train_points, test_points, seed));
  }
  return absl::OkStatus();
}

}  // namespace jkoflow
