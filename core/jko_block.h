#ifndef JKOFLOW_CORE_JKO_BLOCK_H_
#define JKOFLOW_CORE_JKO_BLOCK_H_

#include <ATen/core/Generator.h>
#include <torch/types.h>

#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/divergence.h"
#include "core/rk4.h"
#include "core/velocity_field.h"

namespace jkoflow {

// JkoBlockConfig: one JKO step with step size h, integrated with `steps`
// RK4 steps over t ∈ [0, 1].
struct JkoBlockConfig {
  double h = 0.25;
  int64_t steps = 3;
  VelocityFieldOptions field;
};

// ValidateJkoBlockConfig() names the first out-of-range field.
absl::Status ValidateJkoBlockConfig(const JkoBlockConfig& config);

// LossTerms are the batch means of the three terms of the per-block loss
//   L = E[ V(T(x)) − ∫₀¹ div f dt + |T(x) − x|² / (2h) ],  V(x) = |x|²/2,
// each a scalar tensor (differentiable when autograd is on).
struct LossTerms {
  torch::Tensor potential;       // E V(T(x))
  torch::Tensor neg_divergence;  // −E ∫ div f
  torch::Tensor movement;        // E |T(x) − x|² / (2h)
  torch::Tensor total;
};

// JkoBlock is one neural-ODE block T: x(0) ↦ x(1) of dx/dt = f(x, t).
// Copies share the same velocity field (use Clone() for an independent
// one). Const methods may run concurrently; mutation is not thread-safe.
class JkoBlock {
 public:
  // Create() builds a block with weights drawn from `seed`.
  static absl::StatusOr<JkoBlock> Create(const JkoBlockConfig& config,
                                         uint64_t seed);

  // Clone() deep-copies the weights; `h` replaces the step size (warm start).
  JkoBlock Clone(double h) const;
  // WithSteps() is this block integrated with `steps` ≥ 1 RK4 steps; it
  // shares the velocity field.
  JkoBlock WithSteps(int64_t steps) const;

  const JkoBlockConfig& config() const { return config_; }
  VelocityField& field() { return field_; }
  const VelocityField& field() const { return field_; }

  // Map() is T(x): integrate x [batch, dim] from t = 0 to 1.
  absl::StatusOr<torch::Tensor> Map(const torch::Tensor& x,
                                    const StopCheck& stop = nullptr) const;

  // Inverse() is T⁻¹(z): integrate from t = 1 back to 0.
  absl::StatusOr<torch::Tensor> Inverse(const torch::Tensor& z,
                                        const StopCheck& stop = nullptr) const;

  // MapWithDivergence() returns T(x) and ∫₀¹ div f(x(t), t) dt [batch].
  // Hutchinson probes (if any) are drawn from `generator`.
  absl::StatusOr<OdeSolution> MapWithDivergence(
      const torch::Tensor& x, const DivergenceOptions& divergence,
      at::Generator& generator, const StopCheck& stop = nullptr) const;

  // MapWithDivergence() with the tangents given: `tangents` comes from
  // MakeTangents() for the same divergence options and x's rows.
  absl::StatusOr<OdeSolution> MapWithDivergence(
      const torch::Tensor& x, const DivergenceOptions& divergence,
      const torch::Tensor& tangents, const StopCheck& stop = nullptr) const;

  // Loss() evaluates the per-block loss terms on a batch x [batch, dim].
  absl::StatusOr<LossTerms> Loss(const torch::Tensor& x,
                                 const DivergenceOptions& divergence,
                                 at::Generator& generator) const;

  // Loss() with the tangents given (MakeTangents() for the same divergence
  // options and x's rows): a data-parallel rank draws the tangents of the
  // whole batch, so that its generator stays in step with the other ranks',
  // and passes its share of them.
  absl::StatusOr<LossTerms> Loss(const torch::Tensor& x,
                                 const DivergenceOptions& divergence,
                                 const torch::Tensor& tangents) const;

 private:
  // LossFromSolution() is the loss terms of the solution from x.
  absl::StatusOr<LossTerms> LossFromSolution(const torch::Tensor& x,
                                             const OdeSolution& solution) const;

  // Integrate() solves dx/dt = f(x, t) from t0 to t1 without the divergence.
  absl::StatusOr<torch::Tensor> Integrate(const torch::Tensor& x, double t0,
                                          double t1,
                                          const StopCheck& stop) const;

  JkoBlock(const JkoBlockConfig& config, VelocityField field)
      : config_(config), field_(std::move(field)) {}

  JkoBlockConfig config_;
  VelocityField field_;
};

}  // namespace jkoflow

#endif  // JKOFLOW_CORE_JKO_BLOCK_H_
