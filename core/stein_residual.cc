#include "core/stein_residual.h"

#include <ATen/ATen.h>

#include <cmath>

#include "core/evaluation.h"

namespace jkoflow {
namespace {

// SquaredDistances() is r²_ij [n, n] (float64) between the rows of y.
at::Tensor SquaredDistances(const at::Tensor& y) {
  return GramSquaredDistances(y, y).clamp_min(0);
}

// Bandwidth2() is b²: half the median of r² (the median heuristic).
double Bandwidth2(const at::Tensor& r2) {
  return 0.5 * r2.flatten().median().item<double>() + 1e-300;
}

}  // namespace

torch::Tensor SteinPairs(const torch::Tensor& y_in,
                         const torch::Tensor& partner, double h) {
  const at::Tensor y = y_in.to(at::kDouble);
  const double d = static_cast<double>(y.size(1));
  const at::Tensor g = y + (y - partner.to(at::kDouble)) / h;  // [n, d]
  const at::Tensor r2 = SquaredDistances(y);
  const double b2 = Bandwidth2(r2);
  const at::Tensor kernel = at::exp(r2 / (-2 * b2));
  // a_ij = g_i·y_j; (g_j − g_i)·(y_i − y_j) = a_ij + a_ji − a_ii − a_jj.
  const at::Tensor a = at::matmul(g, y.t());
  const at::Tensor a_diag = a.diagonal();
  const at::Tensor cross =
      a + a.t() - a_diag.unsqueeze(1) - a_diag.unsqueeze(0);
  at::Tensor u =
      kernel * (at::matmul(g, g.t()) + cross / b2 + d / b2 - r2 / (b2 * b2));
  u.fill_diagonal_(0);
  return u;
}

torch::Tensor FieldPairs(const torch::Tensor& y_in,
                         const torch::Tensor& field) {
  const at::Tensor y = y_in.to(at::kDouble);
  const at::Tensor xi = field.to(at::kDouble);
  const at::Tensor r2 = SquaredDistances(y);
  at::Tensor u = at::exp(r2 / (-2 * Bandwidth2(r2))) * at::matmul(xi, xi.t());
  u.fill_diagonal_(0);
  return u;
}

MeanEstimate UStatistic(const torch::Tensor& pairs) {
  const int64_t n = pairs.size(0);
  const at::Tensor rows = pairs.sum(1) / static_cast<double>(n - 1);
  return {rows.mean().item<double>(),
          2 * rows.std().item<double>() / std::sqrt(static_cast<double>(n))};
}

MeanEstimate SteinResidual(const torch::Tensor& y, const torch::Tensor& partner,
                           double h) {
  return UStatistic(SteinPairs(y, partner, h));
}

}  // namespace jkoflow
