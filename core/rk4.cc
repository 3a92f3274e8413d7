#include "core/rk4.h"

#include <ATen/ATen.h>

#include "absl/strings/str_cat.h"
#include "core/torch_status.h"

namespace jkoflow {

absl::StatusOr<OdeSolution> IntegrateRk4(const FieldFn& field,
                                         const torch::Tensor& x0, double t0,
                                         double t1, int64_t steps,
                                         bool with_divergence,
                                         const StopCheck& stop) {
  if (steps < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("steps: must be at least 1, got ", steps));
  }
  return GuardTorch([&]() -> absl::StatusOr<OdeSolution> {
    const double dt = (t1 - t0) / static_cast<double>(steps);
    torch::Tensor x = x0;
    torch::Tensor integral;
    for (int64_t s = 0; s < steps; ++s) {
      if (stop) {
        absl::Status status = stop();
        if (!status.ok()) return status;
      }
      const double t = t0 + s * dt;
      auto [k1, d1] = field(x, t, with_divergence);
      auto [k2, d2] = field(x + (0.5 * dt) * k1, t + 0.5 * dt, with_divergence);
      auto [k3, d3] = field(x + (0.5 * dt) * k2, t + 0.5 * dt, with_divergence);
      auto [k4, d4] = field(x + dt * k3, t + dt, with_divergence);
      x = x + (dt / 6.0) * (k1 + 2.0 * (k2 + k3) + k4);
      if (with_divergence) {
        torch::Tensor increment = (dt / 6.0) * (d1 + 2.0 * (d2 + d3) + d4);
        integral = integral.defined() ? integral + increment : increment;
      }
    }
    return OdeSolution{x, integral};
  });
}

}  // namespace jkoflow
