#include "core/block_diagnostics.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <c10/core/GradMode.h>
#include <torch/csrc/autograd/autograd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "core/control_variate.h"
#include "core/evaluation.h"
#include "core/float64_copy.h"
#include "core/gaussian_oracle.h"
#include "core/stein_residual.h"
#include "core/torch_status.h"

namespace jkoflow {
namespace {

// Up to this dimension full Jacobians are cheap: d maps or backward passes.
constexpr int64_t kFullJacobianMaxDim = 16;

// UnitRows() scales every row of v to length 1.
at::Tensor UnitRows(const at::Tensor& v) {
  return v / v.norm(2, 1, /*keepdim=*/true).clamp_min(1e-300);
}

// LargestSingularValue() is the largest σ_max of the Jacobian of `map`
// (row-wise, float64) seen over `iterations` power iterations at the rows
// of x: J v by central differences, Jᵀ u by autograd.
template <typename Map>
absl::StatusOr<double> LargestSingularValue(const Map& map, const at::Tensor& x,
                                            int64_t iterations,
                                            at::Generator& generator) {
  constexpr double kDelta = 1e-5;
  at::Tensor v =
      UnitRows(at::randn(x.sizes(), generator, at::kDouble)).to(x.device());
  double largest = 0;
  for (int64_t it = 0; it < iterations; ++it) {
    at::Tensor jv;
    {
      c10::AutoGradMode grad_off(false);
      ASSIGN_OR_RETURN(at::Tensor plus, map(x + kDelta * v));
      ASSIGN_OR_RETURN(at::Tensor minus, map(x - kDelta * v));
      jv = (plus - minus) / (2 * kDelta);
    }
    largest = std::max(largest, jv.norm(2, 1).max().item<double>());
    c10::AutoGradMode grad_on(true);
    at::Tensor xg = x.detach().clone().requires_grad_(true);
    ASSIGN_OR_RETURN(at::Tensor out, map(xg));
    out.backward(jv);
    v = UnitRows(xg.grad().detach());
  }
  return largest;
}

// GaussianFloor() is the residual estimator on an exact Gaussian JKO step
// from N(mean of x, s² I) (s² the mean per-coordinate variance of x) with
// step size h, at x's n and d: what it reports when ε_k = 0. The exact map
// y = m' + (s'/s)(x − m) is the gradient of a convex function, so the
// exact OT pairing of its samples is the identity: no assignment is
// solved.
double GaussianFloor(const at::Tensor& x, double h, at::Generator& generator) {
  const at::Tensor mu = x.mean(0);
  const double s = std::sqrt(x.var(0).mean().item<double>());
  const std::vector<double> mean(mu.data_ptr<double>(),
                                 mu.data_ptr<double>() + mu.numel());
  const GaussianJkoStep step = ExactGaussianJkoStep(mean, s, h);
  const at::Tensor source =
      mu + s * at::randn(x.sizes(), generator, at::kDouble);
  const at::Tensor target =
      at::tensor(step.mean, at::kDouble) + (step.std / s) * (source - mu);
  const double b = KernelScoreBandwidth(target);
  return FirstOrderResidual(target, source, KernelScore(target, b), h).value;
}

// Integrator() is T (or T⁻¹ when `inverse`) of `block` as a row-wise map.
auto Integrator(const JkoBlock& block, bool inverse) {
  return [&block, inverse](const at::Tensor& z) {
    return inverse ? block.Inverse(z) : block.Map(z);
  };
}

// JacobianNorm() is the largest σ_max of the Jacobian of T_k (of T_k⁻¹ when
// `inverse`) at the rows of x [n, d]: for d ≤ kFullJacobianMaxDim the full
// Jacobian by central differences (2d maps in the block's own precision,
// step 3e-3 in float32: about 1e-4 relative error) and its singular values;
// above, LargestSingularValue() on a float64 copy of the block.
absl::StatusOr<double> JacobianNorm(const JkoBlock& block, const at::Tensor& x,
                                    bool inverse, int64_t iterations,
                                    at::Generator& generator) {
  const int64_t d = x.size(1);
  if (d > kFullJacobianMaxDim) {
    const JkoBlock exact = Float64Copy(block, x.device());
    return LargestSingularValue(Integrator(exact, inverse), x.to(at::kDouble),
                                iterations, generator);
  }
  const double delta = x.scalar_type() == at::kDouble ? 1e-6 : 3e-3;
  const auto map = Integrator(block, inverse);
  c10::AutoGradMode grad_off(false);
  std::vector<at::Tensor> columns;
  for (int64_t i = 0; i < d; ++i) {
    at::Tensor step = at::zeros_like(x);
    step.select(1, i).fill_(delta);
    ASSIGN_OR_RETURN(at::Tensor plus, map(x + step));
    ASSIGN_OR_RETURN(at::Tensor minus, map(x - step));
    // ∂T/∂x_i [n, d]
    columns.push_back((plus - minus).to(at::kDouble) / (2 * delta));
  }
  const at::Tensor jacobian = at::stack(columns, 2);  // [n, d, d]
  return at::linalg_svdvals(jacobian.cpu()).select(1, 0).max().item<double>();
}

// LogDetError() is mean |log|det ∂T_RK4(x)| − ∫div| over the rows of x, in
// float64: the full Jacobian of the discrete RK4 map by d backward passes,
// against the RK4 sum of exact divergences that likelihoods use. NaN above
// kFullJacobianMaxDim.
absl::StatusOr<double> LogDetError(const JkoBlock& block, const at::Tensor& x) {
  const int64_t d = x.size(1);
  if (d > kFullJacobianMaxDim) return std::numeric_limits<double>::quiet_NaN();
  const JkoBlock exact = Float64Copy(block, x.device());
  at::Tensor divergence;
  {
    c10::AutoGradMode grad_off(false);
    const at::Tensor eye = at::eye(d, x.options().dtype(at::kDouble));
    ASSIGN_OR_RETURN(OdeSolution solution,
                     exact.MapWithDivergence(x.to(at::kDouble), {}, eye));
    divergence = solution.divergence_integral;
  }
  c10::AutoGradMode grad_on(true);
  const at::Tensor input = x.to(at::kDouble).detach().requires_grad_(true);
  ASSIGN_OR_RETURN(at::Tensor mapped, exact.Map(input));
  std::vector<at::Tensor> rows;  // ∂T_i/∂x [n, d], points independent
  for (int64_t i = 0; i < d; ++i) {
    rows.push_back(torch::autograd::grad({mapped.select(1, i).sum()}, {input},
                                         {}, /*retain_graph=*/true)[0]);
  }
  const at::Tensor log_det =
      std::get<1>(at::linalg_slogdet(at::stack(rows, 1)));
  return (log_det - divergence).abs().mean().item<double>();
}

}  // namespace

absl::Status ValidateDiagnosticOptions(const DiagnosticOptions& options) {
  if (options.points < kMinDiagnosticPoints ||
      options.points > kMaxDiagnosticPoints) {
    return absl::InvalidArgumentError(
        absl::StrCat("diagnostic_points: must be in [", kMinDiagnosticPoints,
                     ", ", kMaxDiagnosticPoints, "], got ", options.points));
  }
  if (options.power_iterations < 1 || options.power_iterations > 1000) {
    return absl::InvalidArgumentError(
        absl::StrCat("power_iterations: must be in [1, 1000], got ",
                     options.power_iterations));
  }
  return absl::OkStatus();
}

double KernelScoreBandwidth(const torch::Tensor& y) {
  const double n = static_cast<double>(y.size(0));
  const double d = static_cast<double>(y.size(1));
  const double spread = y.to(at::kDouble).std(0).mean().item<double>();
  return spread * std::pow(4.0 / ((d + 2.0) * n), 1.0 / (d + 4.0));
}

torch::Tensor KernelScore(const torch::Tensor& y, double b) {
  const at::Tensor yd = y.to(at::kDouble);
  at::Tensor logits = GramSquaredDistances(yd, yd) / (-2.0 * b * b);
  logits.fill_diagonal_(-std::numeric_limits<double>::infinity());
  const at::Tensor weights = at::softmax(logits, 1);
  return (at::matmul(weights, yd) - yd) / (b * b);
}

absl::StatusOr<torch::Tensor> OtPartners(const torch::Tensor& x,
                                         const torch::Tensor& y,
                                         std::vector<int64_t>* ot_pairing) {
  const at::Tensor xd = x.to(at::kDouble);
  const at::Tensor yd = y.to(at::kDouble);
  ASSIGN_OR_RETURN(std::vector<int64_t> pairing,
                   ExactOtAssignment(GramSquaredDistances(xd, yd)));
  // T̃(y_j) = x_i for the x_i paired with y_j.
  std::vector<int64_t> back(pairing.size());
  for (size_t i = 0; i < pairing.size(); ++i) back[pairing[i]] = i;
  if (ot_pairing != nullptr) *ot_pairing = std::move(pairing);
  return xd.index_select(0, at::tensor(back, at::kLong).to(xd.device()));
}

MeanEstimate FirstOrderResidual(const torch::Tensor& y,
                                const torch::Tensor& partner,
                                const torch::Tensor& score, double h) {
  const at::Tensor yd = y.to(at::kDouble);
  const at::Tensor xi = yd + score.to(at::kDouble) + (yd - partner) / h;
  return PlainMean(xi.pow(2).sum(1));
}

absl::StatusOr<BlockDiagnostics> DiagnoseBlock(
    const JkoBlock& block, const torch::Tensor& x, uint64_t seed,
    const DiagnosticOptions& options) {
  RETURN_IF_ERROR(ValidateDiagnosticOptions(options));
  if (x.dim() != 2 || x.size(0) < 2) {
    return absl::InvalidArgumentError(
        "DiagnoseBlock: x must hold at least 2 points [n, d]");
  }
  return GuardTorch([&]() -> absl::StatusOr<BlockDiagnostics> {
    const auto start = std::chrono::steady_clock::now();
    at::Generator generator = at::detail::createCPUGenerator(seed);
    const int64_t n = std::min(options.points, x.size(0));
    const at::Tensor points = x.narrow(0, 0, n);
    const double h = block.config().h;
    BlockDiagnostics d;
    d.points = n;
    at::Tensor y;
    {
      c10::AutoGradMode grad_off(false);
      ASSIGN_OR_RETURN(y, block.Map(points));
      ASSIGN_OR_RETURN(at::Tensor fine,
                       block.WithSteps(2 * block.config().steps).Map(points));
      d.discretisation_error =
          (y - fine).to(at::kDouble).pow(2).sum(1).mean().item<double>();
    }
    const at::Tensor xc = points.to(at::kDouble).cpu();
    const at::Tensor yc = y.to(at::kDouble).cpu();
    d.score_bandwidth = KernelScoreBandwidth(yc);
    std::vector<int64_t> pairing;
    ASSIGN_OR_RETURN(const at::Tensor partner, OtPartners(xc, yc, &pairing));
    const MeanEstimate residual =
        FirstOrderResidual(yc, partner, KernelScore(yc, d.score_bandwidth), h);
    d.first_order_residual = residual.value;
    d.first_order_residual_std_error = residual.std_error;
    const MeanEstimate stein = SteinResidual(yc, partner, h);
    d.stein_residual = stein.value;
    d.stein_residual_std_error = stein.std_error;
    const at::Tensor ot_image =
        yc.index_select(0, at::tensor(pairing, at::kLong));
    d.ot_gap = (yc - ot_image).pow(2).sum(1).mean().item<double>();
    d.residual_floor = GaussianFloor(xc, h, generator);
    ASSIGN_OR_RETURN(d.log_det_error, LogDetError(block, points));
    ASSIGN_OR_RETURN(d.lipschitz,
                     JacobianNorm(block, points, /*inverse=*/false,
                                  options.power_iterations, generator));
    ASSIGN_OR_RETURN(d.inverse_lipschitz,
                     JacobianNorm(block, y, /*inverse=*/true,
                                  options.power_iterations, generator));
    if (options.start_distance) {
      ASSIGN_OR_RETURN(d.start_distance, TargetDistance(xc, generator));
    }
    d.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count();
    return d;
  });
}

double StopQuantity(const BlockStats& stats, double h) {
  return 0.5 * stats.movement / (h * h);
}

bool StopRuleMet(const BlockStats& stats, double h, double tolerance) {
  return tolerance > 0 && StopQuantity(stats, h) < tolerance;
}

double Certificate(double movement, double h, double residual) {
  if (!(residual >= 0) || !(movement >= 0) || !(h > 0)) {
    return std::numeric_limits<double>::quiet_NaN();
  }
  const double root = std::sqrt(movement) / h + std::sqrt(residual);
  return 0.5 * root * root;
}

std::vector<TrajectoryPoint> ModelTrajectory(const FlowModel& model) {
  std::vector<double> steps, residuals;
  for (int64_t k = 0; k < model.num_blocks(); ++k) {
    steps.push_back(model.block(k).config().h);
    residuals.push_back(model.stats(k).diagnostics.first_order_residual);
  }
  const std::vector<ConvergenceBound> bounds = ConvergenceCurve(
      model.num_blocks() > 0 ? model.stats(0).diagnostics.start_distance : 0,
      steps, residuals);
  std::vector<TrajectoryPoint> trajectory;
  const double normaliser =
      0.5 * static_cast<double>(model.FlowDim()) * std::log(2 * M_PI);
  TrajectoryPoint point;
  point.lipschitz_product = 1;
  point.inverse_lipschitz_product = 1;
  double neg_divergence = 0;
  for (int64_t k = 0; k < model.num_blocks(); ++k) {
    const double h = model.block(k).config().h;
    const BlockStats& stats = model.stats(k);
    point.step_sum += h;
    neg_divergence += stats.neg_divergence;
    point.kl_plus_entropy = stats.potential + neg_divergence + normaliser;
    point.lipschitz_product *= stats.diagnostics.lipschitz;
    point.inverse_lipschitz_product *= stats.diagnostics.inverse_lipschitz;
    point.step_above_bound = h > kTheoryStepBound;
    point.certificate =
        Certificate(stats.movement, h, stats.diagnostics.first_order_residual);
    point.bound = bounds[k];
    trajectory.push_back(point);
  }
  return trajectory;
}

}  // namespace jkoflow
