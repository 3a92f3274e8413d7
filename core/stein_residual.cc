#include "core/stein_residual.h"

#include <ATen/ATen.h>

#include <cmath>

#include "core/evaluation.h"

namespace jkoflow {

MeanEstimate SteinResidual(const torch::Tensor& y_in,
                           const torch::Tensor& partner, double h) {
  const at::Tensor y = y_in.to(at::kDouble);
  const int64_t n = y.size(0);
  const double d = static_cast<double>(y.size(1));
  const at::Tensor g = y + (y - partner.to(at::kDouble)) / h;  // [n, d]
  const at::Tensor r2 = GramSquaredDistances(y, y).clamp_min(0);
  const double b2 = 0.5 * r2.flatten().median().item<double>() + 1e-300;
  const at::Tensor kernel = at::exp(r2 / (-2 * b2));
  // a_ij = g_i·y_j; (g_j − g_i)·(y_i − y_j) = a_ij + a_ji − a_ii − a_jj.
  const at::Tensor a = at::matmul(g, y.t());
  const at::Tensor a_diag = a.diagonal();
  const at::Tensor cross =
      a + a.t() - a_diag.unsqueeze(1) - a_diag.unsqueeze(0);
  at::Tensor u =
      kernel * (at::matmul(g, g.t()) + cross / b2 + d / b2 - r2 / (b2 * b2));
  u.fill_diagonal_(0);
  const at::Tensor rows = u.sum(1) / static_cast<double>(n - 1);
  return {rows.mean().item<double>(),
          2 * rows.std().item<double>() / std::sqrt(static_cast<double>(n))};
}

}  // namespace jkoflow
