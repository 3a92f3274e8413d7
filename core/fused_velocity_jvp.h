#ifndef JKOFLOW_CORE_FUSED_VELOCITY_JVP_H_
#define JKOFLOW_CORE_FUSED_VELOCITY_JVP_H_

#include <torch/types.h>

#include <utility>
#include <vector>

namespace jkoflow {

// FusedMlp is a Softplus MLP as the fused path sees it: weights[l] is
// [fan_out, fan_in] and biases[l] [fan_out], layer 0 already restricted to
// the x columns with the time folded into its bias. Every hidden layer uses
// softplus_β; the last layer is linear.
struct FusedMlp {
  std::vector<torch::Tensor> weights;
  std::vector<torch::Tensor> biases;
  double beta = 20.0;
};

// CanFuseVelocity() says whether FusedVelocity() handles these inputs:
// float32 CPU tensors, at least one hidden layer, x [batch, dim].
bool CanFuseVelocity(const FusedMlp& mlp, const torch::Tensor& x);

// CanFuseVelocityAndJvp() says whether FusedVelocityAndJvp() handles these
// inputs: CanFuseVelocity() and float32 CPU tangents of shape [m, dim] or
// [batch, m, dim].
bool CanFuseVelocityAndJvp(const FusedMlp& mlp, const torch::Tensor& x,
                           const torch::Tensor& tangents);

// FusedVelocity() is f(x) [batch, dim] without autograd, through per-thread
// scratch buffers (no allocation per layer) with bias and activation fused.
// Same inputs as CanFuseVelocityAndJvp() asks for.
torch::Tensor FusedVelocity(const FusedMlp& mlp, const torch::Tensor& x);

// FusedVelocityAndJvp() returns {f(x) [batch, dim], J_f(x) v [batch, m, dim]}
// like VelocityFieldImpl::VelocityAndJvp(), with the point rows and the
// tangent rows of each layer stacked into one matrix product and the
// activation, its slope and the tangent scaling done in one pass. Under
// autograd it is one node whose backward is hand-written the same way
// (gradients for x, weights and biases; the tangents are constants).
std::pair<torch::Tensor, torch::Tensor> FusedVelocityAndJvp(
    const FusedMlp& mlp, const torch::Tensor& x, const torch::Tensor& tangents);

}  // namespace jkoflow

#endif  // JKOFLOW_CORE_FUSED_VELOCITY_JVP_H_
