#ifndef JKOFLOW_CORE_SOFTPLUS_KERNEL_H_
#define JKOFLOW_CORE_SOFTPLUS_KERNEL_H_

#include <torch/types.h>

#include <utility>

namespace jkoflow {

// SoftplusAndSlope() returns {softplus_β(z), σ(βz)}, the activation and its
// derivative, from one exponential per element:
//   softplus_β(z) = max(z, 0) + log(1 + e^{−β|z|}) / β,
//   σ(βz)        = 1 / (1 + e^{−β|z|}) for z ≥ 0, e^{−β|z|} / (1 + e^{−β|z|}) otherwise.
// Float32 CPU tensors go through a vectorised, multi-threaded loop; other
// dtypes and devices through ATen ops. Differentiable in z (both outputs).
std::pair<torch::Tensor, torch::Tensor> SoftplusAndSlope(const torch::Tensor& z,
                                                         double beta);

// Softplus() is softplus_β(z) alone, in a new tensor, by the same rules; not
// differentiable (inference only).
torch::Tensor Softplus(const torch::Tensor& z, double beta);

}  // namespace jkoflow

#endif  // JKOFLOW_CORE_SOFTPLUS_KERNEL_H_
