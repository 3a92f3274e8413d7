#ifndef JKOFLOW_CORE_SOFTPLUS_KERNEL_H_
#define JKOFLOW_CORE_SOFTPLUS_KERNEL_H_

#include <torch/types.h>

#include <utility>

namespace jkoflow {

// SoftplusAndSlope() returns {softplus_β(z), σ(βz)}, the activation and its
// derivative, from one exponential per element:
//   softplus_β(z) = max(z, 0) + log(1 + e^{−β|z|}) / β,
//   σ(βz)        = 1 / (1 + e^{−β|z|}) for z ≥ 0, e^{−β|z|} / (1 + e^{−β|z|})
//   otherwise.
// Float32 CPU tensors go through a vectorised, multi-threaded loop; other
// dtypes and devices through ATen ops. Differentiable in z (both outputs).
std::pair<torch::Tensor, torch::Tensor> SoftplusAndSlope(const torch::Tensor& z,
                                                         double beta);

// Softplus() is softplus_β(z) alone, in a new tensor, by the same rules; not
// differentiable (inference only).
torch::Tensor Softplus(const torch::Tensor& z, double beta);

// The two row kernels below are the elementwise halves of the fused MLP with
// tangents (core/fused_velocity_jvp.h), on raw float32 CPU buffers, parallel
// over rows. For point i, feature j and tangent p (of m):
//   tz(i, p, j) is tz[i * tz_stride + p * width + j] (tz_stride 0: shared),
//   th(i, p, j) and gth(i, p, j) are at [(i * m + p) * width + j].

// SoftplusJvpForwardRows() computes z = pre + bias, h = softplus_β(z),
// s = σ(βz) and th = tz · s for `rows` points of `width` features.
void SoftplusJvpForwardRows(const float* pre, const float* bias,
                            const float* tz, int64_t tz_stride, int64_t m,
                            int64_t width, int64_t rows, float beta, float* h,
                            float* s, float* th);

// SoftplusRows() computes h = softplus_β(pre + bias) for `rows` points of
// `width` features; h may be pre (in place).
void SoftplusRows(const float* pre, const float* bias, int64_t width,
                  int64_t rows, float beta, float* h);

// SoftplusJvpBackwardRows() turns the gradients with respect to h and th
// into those with respect to z and tz, in place:
//   gz = gh · s + β s (1 − s) Σ_p gth · tz,   gtz = gth · s.
void SoftplusJvpBackwardRows(const float* s, const float* tz, int64_t tz_stride,
                             int64_t m, int64_t width, int64_t rows, float beta,
                             float* gh, float* gth);

}  // namespace jkoflow

#endif  // JKOFLOW_CORE_SOFTPLUS_KERNEL_H_
