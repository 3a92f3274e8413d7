#ifndef JKOFLOW_CORE_RK4_H_
#define JKOFLOW_CORE_RK4_H_

#include <torch/types.h>

#include <cstdint>
#include <functional>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace jkoflow {

// FieldFn evaluates a vector field at (x [batch, dim], t). When
// `with_divergence` is true it also returns div f(x, t) [batch]; otherwise
// the second tensor may be undefined.
using FieldFn = std::function<std::pair<torch::Tensor, torch::Tensor>(
    const torch::Tensor& x, double t, bool with_divergence)>;

// StopCheck is called between integration steps; a non-OK status (for
// example DEADLINE_EXCEEDED or CANCELLED) aborts the solve with that status.
using StopCheck = std::function<absl::Status()>;

// OdeSolution is the end state of a solve and, when asked for,
// ∫_{t0}^{t1} div f(x(t), t) dt per point [batch].
struct OdeSolution {
  torch::Tensor x;
  torch::Tensor divergence_integral;
};

// IntegrateRk4() integrates dx/dt = f(x, t) from t0 to t1 (t1 < t0 runs
// backwards) with `steps` fixed steps of the classic fourth-order
// Runge–Kutta rule (1/6, 1/3, 1/3, 1/6 — not the 3/8 rule), carrying the
// divergence integral as an extra state evaluated at the same stages.
// Differentiable when autograd is on. steps < 1 is InvalidArgument.
absl::StatusOr<OdeSolution> IntegrateRk4(const FieldFn& field,
                                         const torch::Tensor& x0, double t0,
                                         double t1, int64_t steps,
                                         bool with_divergence,
                                         const StopCheck& stop = nullptr);

}  // namespace jkoflow

#endif  // JKOFLOW_CORE_RK4_H_
