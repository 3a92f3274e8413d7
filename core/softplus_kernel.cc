// Built with -O3 -ffast-math (see core/CMakeLists.txt) so that the loops
// below vectorise through glibc's libmvec expf/logf. Inputs are finite
// (validated at the API), which is all fast-math assumes here.
#include "core/softplus_kernel.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/csrc/autograd/custom_function.h>

#include <cmath>

namespace jkoflow {
namespace {

constexpr int64_t kGrain = 16384;  // elements per parallel task

// SoftplusLoop() is the element loop; it is inlined into each of the two
// target-specific entry points below and vectorised there.
template <bool kWithSlope>
inline __attribute__((always_inline)) void SoftplusLoop(const float* z,
                                                        float* a, float* s,
                                                        int64_t n,
                                                        float beta) {
  const float inv_beta = 1.0f / beta;
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) {
    const float v = z[i];
    const float e = expf(-beta * fabsf(v));
    a[i] = fmaxf(v, 0.0f) + logf(1.0f + e) * inv_beta;
    if constexpr (kWithSlope) {
      const float r = 1.0f / (1.0f + e);
      s[i] = v >= 0.0f ? r : e * r;
    }
  }
}

// Baseline x86-64 (SSE, 4 lanes).
template <bool kWithSlope>
void SoftplusLoopBaseline(const float* z, float* a, float* s, int64_t n,
                          float beta) {
  SoftplusLoop<kWithSlope>(z, a, s, n, beta);
}

// AVX2 + FMA (8 lanes), where the CPU has them.
template <bool kWithSlope>
__attribute__((target("avx2,fma"))) void SoftplusLoopAvx2(
    const float* z, float* a, float* s, int64_t n, float beta) {
  SoftplusLoop<kWithSlope>(z, a, s, n, beta);
}

bool HasAvx2() {
  static const bool has = __builtin_cpu_supports("avx2") &&
                          __builtin_cpu_supports("fma");
  return has;
}

template <bool kWithSlope>
void RunCpuKernel(const torch::Tensor& z, torch::Tensor& a, torch::Tensor& s,
                  double beta) {
  const float* zp = z.data_ptr<float>();
  float* ap = a.data_ptr<float>();
  float* sp = kWithSlope ? s.data_ptr<float>() : nullptr;
  const float b = static_cast<float>(beta);
  at::parallel_for(0, z.numel(), kGrain, [&](int64_t begin, int64_t end) {
    float* slope = kWithSlope ? sp + begin : nullptr;
    if (HasAvx2()) {
      SoftplusLoopAvx2<kWithSlope>(zp + begin, ap + begin, slope, end - begin,
                                   b);
    } else {
      SoftplusLoopBaseline<kWithSlope>(zp + begin, ap + begin, slope,
                                       end - begin, b);
    }
  });
}

bool UseCpuKernel(const torch::Tensor& z) {
  return z.device().is_cpu() && z.scalar_type() == torch::kFloat32;
}

std::pair<torch::Tensor, torch::Tensor> ForwardNoGrad(const torch::Tensor& z,
                                                      double beta) {
  if (UseCpuKernel(z)) {
    torch::Tensor input = z.contiguous();
    torch::Tensor a = torch::empty_like(input);
    torch::Tensor s = torch::empty_like(input);
    RunCpuKernel<true>(input, a, s, beta);
    return {a, s};
  }
  torch::Tensor e = torch::exp(-beta * z.abs());
  torch::Tensor r = torch::reciprocal(1 + e);
  torch::Tensor a = torch::clamp_min(z, 0) + torch::log1p(e) / beta;
  torch::Tensor s = torch::where(z >= 0, r, e * r);
  return {a, s};
}

// Autograd wrapper: d softplus/dz = σ, dσ/dz = β σ (1 − σ).
class SoftplusAndSlopeFunction
    : public torch::autograd::Function<SoftplusAndSlopeFunction> {
 public:
  static torch::autograd::variable_list forward(
      torch::autograd::AutogradContext* ctx, const torch::Tensor& z,
      double beta) {
    auto [a, s] = ForwardNoGrad(z, beta);
    ctx->save_for_backward({s});
    ctx->saved_data["beta"] = beta;
    return {a, s};
  }

  static torch::autograd::variable_list backward(
      torch::autograd::AutogradContext* ctx,
      torch::autograd::variable_list grads) {
    const torch::Tensor s = ctx->get_saved_variables()[0];
    const double beta = ctx->saved_data["beta"].toDouble();
    torch::Tensor grad;
    if (grads[0].defined()) grad = grads[0] * s;
    if (grads[1].defined()) {
      torch::Tensor from_slope = grads[1] * (s * (1 - s)) * beta;
      grad = grad.defined() ? grad + from_slope : from_slope;
    }
    return {grad, torch::Tensor()};
  }
};

}  // namespace

std::pair<torch::Tensor, torch::Tensor> SoftplusAndSlope(const torch::Tensor& z,
                                                         double beta) {
  if (torch::GradMode::is_enabled() && z.requires_grad()) {
    torch::autograd::variable_list out =
        SoftplusAndSlopeFunction::apply(z, beta);
    return {out[0], out[1]};
  }
  return ForwardNoGrad(z, beta);
}

torch::Tensor Softplus(const torch::Tensor& z, double beta) {
  if (UseCpuKernel(z)) {
    torch::Tensor input = z.contiguous();
    torch::Tensor a = torch::empty_like(input);
    torch::Tensor unused;
    RunCpuKernel<false>(input, a, unused, beta);
    return a;
  }
  return torch::clamp_min(z, 0) + torch::log1p(torch::exp(-beta * z.abs())) / beta;
}

}  // namespace jkoflow
