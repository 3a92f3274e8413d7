#ifndef JKOFLOW_CORE_VELOCITY_FIELD_H_
#define JKOFLOW_CORE_VELOCITY_FIELD_H_

#include <torch/arg.h>
#include <torch/nn/cloneable.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/fused_velocity_jvp.h"
#include "core/option_range.h"

namespace jkoflow {

// Activation is the hidden-layer nonlinearity of a velocity field.
enum class Activation { kSoftplus, kTanh, kSilu };

// ActivationName() is the manifest spelling: "softplus", "tanh" or "silu".
std::string ActivationName(Activation activation);
// ParseActivation() inverts ActivationName(); anything else is InvalidArgument.
absl::StatusOr<Activation> ParseActivation(const std::string& name);

// VelocityFieldOptions configures the MLP f(x, t) of one block.
struct VelocityFieldOptions {
  explicit VelocityFieldOptions(int64_t dim = 2) : dim_(dim) {}
  // Data dimension d (input and output width).
  TORCH_ARG(int64_t, dim);
  // Units per hidden layer.
  TORCH_ARG(int64_t, width) = 128;
  // Number of hidden layers.
  TORCH_ARG(int64_t, depth) = 3;
  TORCH_ARG(Activation, activation) = Activation::kSoftplus;
  // β of Softplus(z) = log(1 + exp(βz)) / β; ignored by other activations.
  TORCH_ARG(double, softplus_beta) = 20.0;
  // When true, t is appended to the input of the first layer.
  TORCH_ARG(bool, time_input) = false;
};

// The ranges of the field's options (core/option_range.h).
inline constexpr OptionRange kFieldDimRange{
    "in [1, 4096]", [](double v) { return v >= 1 && v <= 4096; }};
inline constexpr OptionRange kFieldWidthRange{
    "in [1, 8192]", [](double v) { return v >= 1 && v <= 8192; }};
inline constexpr OptionRange kFieldDepthRange{
    "in [1, 32]", [](double v) { return v >= 1 && v <= 32; }};

// ValidateVelocityFieldOptions() names the first out-of-range option.
absl::Status ValidateVelocityFieldOptions(const VelocityFieldOptions& options);

// VelocityFieldImpl is the MLP velocity f(x, t) of one JKO block:
// Linear(d[+1] → w), act, (Linear(w → w), act) × (depth − 1), Linear(w → d).
// Besides f it propagates forward-mode tangents through the same layers,
// reusing the activations, which gives exact divergences (d tangents) or
// Hutchinson estimates (one tangent per probe) without double backward.
// Not thread-safe for mutation; const evaluation may run concurrently.
class VelocityFieldImpl : public torch::nn::Cloneable<VelocityFieldImpl> {
 public:
  explicit VelocityFieldImpl(const VelocityFieldOptions& options);

  // reset() (re)creates and registers the layers (Cloneable requirement).
  void reset() override;

  // Velocity() evaluates f(x, t) for x [batch, dim]; returns [batch, dim].
  torch::Tensor Velocity(const torch::Tensor& x, double t) const;

  // VelocityReference() is Velocity() by plain LibTorch ops. Velocity() takes
  // the fused path (FusedVelocity) for Softplus fields on float32 CPU tensors
  // when autograd is off; tests compare the two.
  torch::Tensor VelocityReference(const torch::Tensor& x, double t) const;

  // VelocityAndJvp() evaluates f(x, t) and the Jacobian-vector products
  // J_f(x) v for m directions: `tangents` is [m, dim] (shared by every point)
  // or [batch, m, dim]. Returns {f [batch, dim], Jv [batch, m, dim]}.
  std::pair<torch::Tensor, torch::Tensor> VelocityAndJvp(
      const torch::Tensor& x, double t, const torch::Tensor& tangents) const;

  // VelocityAndJvpReference() is VelocityAndJvp() by plain LibTorch ops and
  // autograd, whatever the activation and device. VelocityAndJvp() takes the
  // fused path (core/fused_velocity_jvp.h) for Softplus fields on float32
  // CPU tensors; tests compare the two.
  std::pair<torch::Tensor, torch::Tensor> VelocityAndJvpReference(
      const torch::Tensor& x, double t, const torch::Tensor& tangents) const;

  // VelocityAtTimes() evaluates f(x_i, t_i) for x [batch, dim] at one time
  // per row, t [batch] (a time-input field; else t is ignored); plain
  // LibTorch ops, differentiable. Flow matching trains on it.
  torch::Tensor VelocityAtTimes(const torch::Tensor& x,
                                const torch::Tensor& t) const;

  // HiddenTraceCheaper() is true when the exact divergence costs less
  // through the hidden layers (VelocityAndTrace()) than through d tangents:
  // when the width is below the dimension.
  bool HiddenTraceCheaper() const { return options_.width() < options_.dim(); }

  // VelocityAndTrace() evaluates f(x, t) [batch, dim] and the exact
  // divergence tr ∂f/∂x [batch] through the hidden layers: with
  // J = W_out G W_in, tr J = tr(G · W_in W_out), so the width columns of
  // W_in W_out are propagated instead of d unit tangents, at
  // (depth − 1) · width³ per point whatever d is. Plain LibTorch ops
  // (differentiable), any activation and device.
  std::pair<torch::Tensor, torch::Tensor> VelocityAndTrace(
      const torch::Tensor& x, double t) const;

  // InitializeParameters() redraws every weight and bias from
  // U(−1/√fan_in, 1/√fan_in) with a generator seeded by `seed`, so that a
  // seed fixes the block whatever the global RNG state.
  void InitializeParameters(uint64_t seed);

  const VelocityFieldOptions& options() const { return options_; }

 private:
  // Fused() is this field at time t as the fused paths take it.
  FusedMlp Fused(double t) const;
  // FirstPreActivation() is layer 0's pre-activation for x (time folded
  // into the bias).
  torch::Tensor FirstPreActivation(const torch::Tensor& x, double t) const;
  torch::Tensor Activate(const torch::Tensor& z) const;
  // ActivateWithSlope() returns the activation and its derivative at z.
  std::pair<torch::Tensor, torch::Tensor> ActivateWithSlope(
      const torch::Tensor& z) const;

  VelocityFieldOptions options_;
  std::vector<torch::nn::Linear> layers_;
};
TORCH_MODULE(VelocityField);

}  // namespace jkoflow

#endif  // JKOFLOW_CORE_VELOCITY_FIELD_H_
