#include "core/control_variate.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "core/evaluation.h"

namespace jkoflow {

MeanEstimate PlainMean(const torch::Tensor& v_in) {
  const at::Tensor v = v_in.to(at::kDouble);
  return {v.mean().item<double>(),
          v.std().item<double>() / std::sqrt(static_cast<double>(v.size(0)))};
}

MeanEstimate ControlledMean(const torch::Tensor& v_in,
                            const torch::Tensor& c_in,
                            const torch::Tensor& reference_in) {
  const at::Tensor v = v_in.to(at::kDouble).cpu();
  const at::Tensor c = c_in.to(at::kDouble).cpu();
  const at::Tensor reference = reference_in.to(at::kDouble).cpu();
  const double m = static_cast<double>(v.size(0));
  const double p = static_cast<double>(c.size(1));
  const double n = static_cast<double>(reference.size(0));
  const at::Tensor c_mean = c.mean(0);
  const at::Tensor centred = c - c_mean;
  const at::Tensor v_centred = v - v.mean();
  // Normal equations with a tiny ridge for controls that are (nearly)
  // collinear on these rows.
  const at::Tensor gram = at::matmul(centred.t(), centred);
  const double ridge = 1e-10 * (gram.diagonal().sum().item<double>() + 1e-300);
  const at::Tensor beta = at::linalg_solve(
      gram + ridge * at::eye(c.size(1), gram.options()),
      at::matmul(centred.t(), v_centred.unsqueeze(1)));  // [p, 1]
  const at::Tensor reference_mean = reference.mean(0);
  const double shift =
      at::matmul((c_mean - reference_mean).unsqueeze(0), beta).item<double>();
  const at::Tensor residual = v_centred - at::matmul(centred, beta).squeeze(1);
  const double residual_var =
      residual.pow(2).sum().item<double>() / (m - p - 1) / m;
  const at::Tensor ref_centred = reference - reference_mean;
  const at::Tensor projected = at::matmul(ref_centred, beta).squeeze(1);
  const double reference_var =
      projected.pow(2).sum().item<double>() / (n - 1) / n;
  return {v.mean().item<double>() - shift,
          std::sqrt(residual_var + reference_var)};
}

torch::Tensor ControlFeatures(const torch::Tensor& x_in,
                              const torch::Tensor& centres_in, int64_t m) {
  const at::Tensor x = x_in.to(at::kDouble);
  const int64_t d = x.size(1);
  std::vector<at::Tensor> controls = {0.5 * x.pow(2).sum(1, /*keepdim=*/true)};
  if (m <= 10 * (d + 1)) return controls[0];
  controls.push_back(x);
  const int64_t k =
      std::min({kKernelControls, m / 10 - d - 1, centres_in.size(0)});
  if (k >= 2) {
    const at::Tensor centres =
        centres_in.narrow(0, 0, k).to(x.device(), at::kDouble);
    at::Tensor r2 = GramSquaredDistances(centres, centres);
    r2.fill_diagonal_(std::numeric_limits<double>::infinity());
    const double b2 = std::get<0>(r2.min(1)).median().item<double>() + 1e-300;
    controls.push_back(at::exp(GramSquaredDistances(x, centres) / (-2 * b2)));
  }
  return at::cat(controls, 1);
}

}  // namespace jkoflow
