// Built with -O3 -ffast-math (see core/CMakeLists.txt) so that the loops
// below vectorise through glibc's libmvec expf. Inputs are finite
// (validated at the API), which is all fast-math assumes here.
#include "core/softplus_kernel.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/csrc/autograd/custom_function.h>

#include <algorithm>
#include <cmath>

namespace jkoflow {
namespace {

constexpr int64_t kGrain = 16384;  // elements per parallel task
constexpr float kNegligibleExponent = 20.0f;

// Log1pUnit() is log(1 + e) for e ∈ [0, 1] without a call to logf (which
// cost a fifth of sampling time): with y = e / (2 + e) ∈ [0, 1/3],
// log(1 + e) = 2 atanh(y) = 2y Σ_k y^{2k} / (2k + 1); seven terms leave a
// relative error below 2e-8, under float32 rounding.
inline __attribute__((always_inline)) float Log1pUnit(float e) {
  const float y = e / (2.0f + e);
  const float y2 = y * y;
  float sum = 1.0f / 13.0f;
  sum = sum * y2 + 1.0f / 11.0f;
  sum = sum * y2 + 1.0f / 9.0f;
  sum = sum * y2 + 1.0f / 7.0f;
  sum = sum * y2 + 1.0f / 5.0f;
  sum = sum * y2 + 1.0f / 3.0f;
  sum = sum * y2 + 1.0f;
  return 2.0f * y * sum;
}

// ExpNegAbs() is e^{−|x|}, dropped to 0 for |x| ≥ kNegligibleExponent:
// below 2.1e-9 it moves a softplus value by under 1.1e-10 (absolute) and a
// slope by under 2.1e-9, while computing it lets denormals into the products
// that follow, each a slow microcode assist (the tangent and backward GEMMs
// ran up to 1.5× slower once many units were saturated).
inline __attribute__((always_inline)) float ExpNegAbs(float x) {
  const float t = fabsf(x);
  return t < kNegligibleExponent ? expf(-t) : 0.0f;
}

// SoftplusLoop() is the element loop; it is inlined into each of the two
// target-specific entry points below and vectorised there.
template <bool kWithSlope>
inline __attribute__((always_inline)) void SoftplusLoop(const float* z,
                                                        float* a, float* s,
                                                        int64_t n, float beta) {
  const float inv_beta = 1.0f / beta;
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) {
    const float v = z[i];
    const float e = ExpNegAbs(beta * v);
    a[i] = fmaxf(v, 0.0f) + Log1pUnit(e) * inv_beta;
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
__attribute__((target("avx2,fma"))) void SoftplusLoopAvx2(const float* z,
                                                          float* a, float* s,
                                                          int64_t n,
                                                          float beta) {
  SoftplusLoop<kWithSlope>(z, a, s, n, beta);
}

bool HasAvx2() {
  static const bool has =
      __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
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

// One point of SoftplusRows(); inlined into the entry points.
inline __attribute__((always_inline)) void BiasSoftplusRow(
    const float* pre, const float* bias, int64_t width, float beta, float* h) {
  const float inv_beta = 1.0f / beta;
#pragma omp simd
  for (int64_t j = 0; j < width; ++j) {
    const float v = pre[j] + bias[j];
    h[j] = fmaxf(v, 0.0f) + Log1pUnit(ExpNegAbs(beta * v)) * inv_beta;
  }
}

void BiasSoftplusRangeBaseline(const float* pre, const float* bias,
                               int64_t width, int64_t begin, int64_t end,
                               float beta, float* h) {
  for (int64_t i = begin; i < end; ++i) {
    BiasSoftplusRow(pre + i * width, bias, width, beta, h + i * width);
  }
}
__attribute__((target("avx2,fma"))) void BiasSoftplusRangeAvx2(
    const float* pre, const float* bias, int64_t width, int64_t begin,
    int64_t end, float beta, float* h) {
  for (int64_t i = begin; i < end; ++i) {
    BiasSoftplusRow(pre + i * width, bias, width, beta, h + i * width);
  }
}

// One point of SoftplusJvpForwardRows(); inlined into the entry points.
inline __attribute__((always_inline)) void JvpForwardRow(
    const float* pre, const float* bias, const float* tz, int64_t m,
    int64_t width, float beta, float* h, float* s, float* th) {
  const float inv_beta = 1.0f / beta;
#pragma omp simd
  for (int64_t j = 0; j < width; ++j) {
    const float v = pre[j] + bias[j];
    const float e = ExpNegAbs(beta * v);
    h[j] = fmaxf(v, 0.0f) + Log1pUnit(e) * inv_beta;
    const float r = 1.0f / (1.0f + e);
    s[j] = v >= 0.0f ? r : e * r;
  }
  for (int64_t p = 0; p < m; ++p) {
    const float* t = tz + p * width;
    float* out = th + p * width;
#pragma omp simd
    for (int64_t j = 0; j < width; ++j) out[j] = t[j] * s[j];
  }
}

// One point of SoftplusJvpBackwardRows(), `width` ≤ kBackwardBlock at a time.
constexpr int64_t kBackwardBlock = 256;
inline __attribute__((always_inline)) void JvpBackwardRow(
    const float* s, const float* tz, int64_t m, int64_t row_width,
    int64_t width, float beta, float* gh, float* gth) {
  float gs[kBackwardBlock];
  for (int64_t j = 0; j < width; ++j) gs[j] = 0.0f;
  for (int64_t p = 0; p < m; ++p) {
    const float* t = tz + p * row_width;
    float* g = gth + p * row_width;
#pragma omp simd
    for (int64_t j = 0; j < width; ++j) {
      gs[j] += g[j] * t[j];
      g[j] *= s[j];
    }
  }
#pragma omp simd
  for (int64_t j = 0; j < width; ++j) {
    gh[j] = gh[j] * s[j] + beta * s[j] * (1.0f - s[j]) * gs[j];
  }
}

// The loops over points, inlined into a baseline and an AVX2 entry point.
#define JKOFLOW_JVP_FORWARD_RANGE                                            \
  for (int64_t i = begin; i < end; ++i) {                                    \
    JvpForwardRow(pre + i * width, bias, tz + i * tz_stride, m, width, beta, \
                  h + i * width, s + i * width, th + i * m * width);         \
  }
#define JKOFLOW_JVP_BACKWARD_RANGE                                             \
  for (int64_t i = begin; i < end; ++i) {                                      \
    for (int64_t j0 = 0; j0 < width; j0 += kBackwardBlock) {                   \
      const int64_t n = std::min(kBackwardBlock, width - j0);                  \
      JvpBackwardRow(s + i * width + j0, tz + i * tz_stride + j0, m, width, n, \
                     beta, gh + i * width + j0, gth + i * m * width + j0);     \
    }                                                                          \
  }

void JvpForwardRangeBaseline(const float* pre, const float* bias,
                             const float* tz, int64_t tz_stride, int64_t m,
                             int64_t width, int64_t begin, int64_t end,
                             float beta, float* h, float* s, float* th) {
  JKOFLOW_JVP_FORWARD_RANGE
}
__attribute__((target("avx2,fma"))) void JvpForwardRangeAvx2(
    const float* pre, const float* bias, const float* tz, int64_t tz_stride,
    int64_t m, int64_t width, int64_t begin, int64_t end, float beta, float* h,
    float* s, float* th) {
  JKOFLOW_JVP_FORWARD_RANGE
}
void JvpBackwardRangeBaseline(const float* s, const float* tz,
                              int64_t tz_stride, int64_t m, int64_t width,
                              int64_t begin, int64_t end, float beta, float* gh,
                              float* gth) {
  JKOFLOW_JVP_BACKWARD_RANGE
}
__attribute__((target("avx2,fma"))) void JvpBackwardRangeAvx2(
    const float* s, const float* tz, int64_t tz_stride, int64_t m,
    int64_t width, int64_t begin, int64_t end, float beta, float* gh,
    float* gth) {
  JKOFLOW_JVP_BACKWARD_RANGE
}
#undef JKOFLOW_JVP_FORWARD_RANGE
#undef JKOFLOW_JVP_BACKWARD_RANGE

// RowGrain() is how many points make one parallel task of ~kGrain elements.
int64_t RowGrain(int64_t m, int64_t width) {
  return std::max<int64_t>(1, kGrain / ((m + 1) * width));
}

}  // namespace

void SoftplusJvpForwardRows(const float* pre, const float* bias,
                            const float* tz, int64_t tz_stride, int64_t m,
                            int64_t width, int64_t rows, float beta, float* h,
                            float* s, float* th) {
  at::parallel_for(0, rows, RowGrain(m, width), [&](int64_t b, int64_t e) {
    if (HasAvx2()) {
      JvpForwardRangeAvx2(pre, bias, tz, tz_stride, m, width, b, e, beta, h, s,
                          th);
    } else {
      JvpForwardRangeBaseline(pre, bias, tz, tz_stride, m, width, b, e, beta, h,
                              s, th);
    }
  });
}

void SoftplusRows(const float* pre, const float* bias, int64_t width,
                  int64_t rows, float beta, float* h) {
  at::parallel_for(0, rows, RowGrain(0, width), [&](int64_t b, int64_t e) {
    if (HasAvx2()) {
      BiasSoftplusRangeAvx2(pre, bias, width, b, e, beta, h);
    } else {
      BiasSoftplusRangeBaseline(pre, bias, width, b, e, beta, h);
    }
  });
}

void SoftplusJvpBackwardRows(const float* s, const float* tz, int64_t tz_stride,
                             int64_t m, int64_t width, int64_t rows, float beta,
                             float* gh, float* gth) {
  at::parallel_for(0, rows, RowGrain(m, width), [&](int64_t b, int64_t e) {
    if (HasAvx2()) {
      JvpBackwardRangeAvx2(s, tz, tz_stride, m, width, b, e, beta, gh, gth);
    } else {
      JvpBackwardRangeBaseline(s, tz, tz_stride, m, width, b, e, beta, gh, gth);
    }
  });
}

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
  return torch::clamp_min(z, 0) +
         torch::log1p(torch::exp(-beta * z.abs())) / beta;
}

}  // namespace jkoflow
