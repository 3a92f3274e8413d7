#ifndef JKOFLOW_CORE_TORCHSCRIPT_SOURCE_H_
#define JKOFLOW_CORE_TORCHSCRIPT_SOURCE_H_

// The TorchScript text of an exported model (docs/design.md, "Export"):
// methods written out for one model's shapes and steps, so that the saved
// module needs nothing of jkoflow to run. No LibTorch here: the text only.

#include <cstdint>
#include <string>
#include <vector>

namespace jkoflow {

// ScriptBlock is what the text of one block depends on. Its module holds
// the buffers w0 … w{depth} and b0 … b{depth} ([out, in] and [out], the
// first layer's weight without its time column) and, with time_input,
// w0t [width] (that column).
struct ScriptBlock {
  int64_t depth = 3;  // hidden layers; the output layer is number `depth`
  int64_t steps = 3;  // RK4 steps over t in [0, 1]
  // "softplus", "tanh" or "silu" (ActivationName()).
  std::string activation = "softplus";
  double softplus_beta = 20.0;
  bool time_input = false;
};

// BlockScript() is the methods of one block's module: velocity(x, t),
// velocity_and_trace(x, t) (the exact divergence, by forward tangents
// through the layers), map(x), inverse(z) and map_with_divergence(x)
// (classic RK4 as core/rk4.h integrates it).
std::string BlockScript(const ScriptBlock& block);

// ScriptTransform is what the text of the data's transform depends on
// (core/data_transform.h). Its buffers on the top module: marginal_cdf;
// mean, scale; white_mean, basis, root (λ^{-1/2}), eigenvalues; present only
// where the step is on.
struct ScriptTransform {
  int64_t dim = 0;
  bool dequantize = false, marginal = false, scale = false, logit = false,
       standardize = false, whiten = false;
  bool project = false;
  double lower = 0, upper = 1;
  double logit_alpha = 0.05;
  int64_t levels = 0;  // marginal: the integer levels upper − lower
};

// TransformScript() is the top module's _to_flow_space(x, seed) ->
// (y, log|det|) and _to_data(y), both on float64 points, with the helpers
// they need; the dequantisation noise (DequantizationNoise()'s, bit for
// bit) is among FlowScript()'s helpers, which every module has.
std::string TransformScript(const ScriptTransform& transform);

// ScriptFlow is what the top module's public methods depend on.
struct ScriptFlow {
  int64_t dim = 0;
  int64_t flow_dim = 0;    // the columns the blocks act on (the first)
  int64_t blocks = 0;      // submodules block0 … block{blocks − 1}
  int64_t chunk_rows = 1;  // rows per pass of log_prob
};

// FlowScript() is the top module's forward(x) (data to noise), log_prob(x,
// seed=0), inverse(z) (noise to data) and sample(n, seed=0), with the
// SplitMix64 helpers that the dequantisation noise and sample()'s Gaussian
// draws (Box–Muller on a counter, the same points on every device) use.
std::string FlowScript(const ScriptFlow& flow);

}  // namespace jkoflow

#endif  // JKOFLOW_CORE_TORCHSCRIPT_SOURCE_H_
