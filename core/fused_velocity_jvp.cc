#include "core/fused_velocity_jvp.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/csrc/autograd/custom_function.h>

#include <algorithm>
#include <array>

#include "core/row_chunks.h"
#include "core/softplus_kernel.h"

namespace jkoflow {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// Layout of the stacked matrices: for `batch` points and m tangents, rows
// [0, batch) hold the points' values and row batch + i·m + p the tangent p of
// point i. Layer 0's tangents may be shared by all points ([m, dim], rows
// [batch, batch + m)).

// ForwardState is what one evaluation keeps for its backward.
struct ForwardState {
  // inputs[l] is the stacked input of layer l: [x; v] for l = 0, then
  // [h; th] of hidden layer l − 1.
  std::vector<torch::Tensor> inputs;
  // slopes[l] is σ(β z_l) [batch, width] of hidden layer l.
  std::vector<torch::Tensor> slopes;
  // products[l] is the stacked product of layer l before the bias: its
  // tangent rows are tz_l.
  std::vector<torch::Tensor> products;
  torch::Tensor f, jvp;
};

// ThreadScratch() is a [rows, cols] float32 CPU tensor over this thread's
// buffer number `slot`, valid until the next call for the same slot on the
// same thread. Inference reuses these instead of allocating per layer: with
// several threads, allocations of this size serialise in the allocator.
torch::Tensor ThreadScratch(int slot, int64_t rows, int64_t cols) {
  thread_local std::array<torch::Tensor, 4> slots;
  torch::Tensor& buffer = slots.at(slot);
  if (!buffer.defined() || buffer.numel() < rows * cols) {
    buffer = torch::empty({rows * cols}, torch::kFloat32);
  }
  return buffer.narrow(0, 0, rows * cols).view({rows, cols});
}

// RunForward() evaluates one chunk. With `keep` the intermediates are fresh
// tensors kept in the state for the backward; without, they live in the
// thread's scratch buffers and only f and jvp are returned.
ForwardState RunForward(const FusedMlp& mlp, const torch::Tensor& x,
                        const torch::Tensor& tangents, bool keep) {
  const int64_t batch = x.size(0);
  const int64_t dim = x.size(1);
  const bool shared = tangents.dim() == 2;
  const int64_t m = shared ? tangents.size(0) : tangents.size(1);
  const size_t last = mlp.weights.size() - 1;
  ForwardState state;
  torch::Tensor input = torch::cat({x, tangents.reshape({-1, dim})}, 0);
  if (keep) state.inputs.push_back(input);
  for (size_t l = 0; l < last; ++l) {
    const torch::Tensor& weight = mlp.weights[l];
    const int64_t width = weight.size(0);
    torch::Tensor product =
        keep ? torch::empty({input.size(0), width}, x.options())
             : ThreadScratch(0, input.size(0), width);
    at::mm_out(product, input, weight.t());
    torch::Tensor bias = mlp.biases[l].contiguous();
    torch::Tensor next =
        keep ? torch::empty({batch * (1 + m), width}, x.options())
             : ThreadScratch(1 + l % 2, batch * (1 + m), width);
    torch::Tensor slope = keep ? torch::empty({batch, width}, x.options())
                               : ThreadScratch(3, batch, width);
    const bool tz_shared = l == 0 && shared;
    SoftplusJvpForwardRows(
        product.data_ptr<float>(), bias.data_ptr<float>(),
        product.data_ptr<float>() + batch * width, tz_shared ? 0 : m * width, m,
        width, batch, static_cast<float>(mlp.beta), next.data_ptr<float>(),
        slope.data_ptr<float>(), next.data_ptr<float>() + batch * width);
    if (keep) {
      state.products.push_back(product);
      state.slopes.push_back(slope);
      state.inputs.push_back(next);
    }
    input = next;
  }
  torch::Tensor out = at::mm(input, mlp.weights[last].t());
  state.f = out.narrow(0, 0, batch) + mlp.biases[last];
  state.jvp = out.narrow(0, batch, batch * m).view({batch, m, dim});
  return state;
}

// FusedVelocityNoGrad() is f(x) alone through the scratch buffers.
torch::Tensor FusedVelocityNoGrad(const FusedMlp& mlp, const torch::Tensor& x) {
  const int64_t batch = x.size(0);
  const size_t last = mlp.weights.size() - 1;
  torch::Tensor input = x;
  for (size_t l = 0; l < last; ++l) {
    const int64_t width = mlp.weights[l].size(0);
    torch::Tensor z = ThreadScratch(1 + l % 2, batch, width);
    at::mm_out(z, input, mlp.weights[l].t());
    const torch::Tensor bias = mlp.biases[l].contiguous();
    SoftplusRows(z.data_ptr<float>(), bias.data_ptr<float>(), width, batch,
                 static_cast<float>(mlp.beta), z.data_ptr<float>());
    input = z;
  }
  return at::addmm(mlp.biases[last], input, mlp.weights[last].t());
}

// Gradients is one chunk's share of the backward: the gradient for its
// points and its partial sums for the parameters.
struct Gradients {
  torch::Tensor x;
  std::vector<torch::Tensor> weights, biases;
};

// RunBackward() back-propagates g_f [batch, dim] and g_jvp [batch, m, dim]
// (either may be undefined) through one chunk's forward.
Gradients RunBackward(const ForwardState& state,
                      const std::vector<torch::Tensor>& weights, float beta,
                      int64_t m, bool shared, const torch::Tensor& grad_f,
                      const torch::Tensor& grad_jvp) {
  const int64_t layers = static_cast<int64_t>(weights.size());
  const int64_t dim = weights.front().size(1);
  const torch::Tensor& stacked_x = state.inputs[0];
  // Layer 0's stacked input holds the points, then m shared tangent rows or
  // m tangent rows per point.
  const int64_t points =
      shared ? stacked_x.size(0) - m : stacked_x.size(0) / (1 + m);
  // g: the stacked gradient [gz; gtz] of the current layer's output.
  torch::Tensor g = torch::zeros({points * (1 + m), dim}, stacked_x.options());
  if (grad_f.defined()) g.narrow(0, 0, points).copy_(grad_f);
  if (grad_jvp.defined()) {
    g.narrow(0, points, points * m).copy_(grad_jvp.reshape({points * m, dim}));
  }
  Gradients out;
  out.weights.resize(layers);
  out.biases.resize(layers);
  for (int64_t l = layers - 1; l >= 1; --l) {
    out.weights[l] = at::mm(g.t(), state.inputs[l]);
    out.biases[l] = g.narrow(0, 0, points).sum(0);
    torch::Tensor back = at::mm(g, weights[l]);  // [gh; gth] of layer l − 1
    const int64_t width = back.size(1);
    const bool tz_shared = l - 1 == 0 && shared;
    SoftplusJvpBackwardRows(
        state.slopes[l - 1].data_ptr<float>(),
        state.products[l - 1].data_ptr<float>() + points * width,
        tz_shared ? 0 : m * width, m, width, points, beta,
        back.data_ptr<float>(), back.data_ptr<float>() + points * width);
    g = back;
  }
  // Layer 0: its input is [x; v] with v possibly shared by all points.
  const torch::Tensor gz = g.narrow(0, 0, points);
  out.biases[0] = gz.sum(0);
  if (shared) {
    const int64_t width = g.size(1);
    const torch::Tensor gtz_sum =
        g.narrow(0, points, points * m).view({points, m, width}).sum(0);
    out.weights[0] = at::mm(gz.t(), stacked_x.narrow(0, 0, points)) +
                     at::mm(gtz_sum.t(), stacked_x.narrow(0, points, m));
  } else {
    out.weights[0] = at::mm(g.t(), stacked_x);
  }
  out.x = at::mm(gz, weights[0]);
  return out;
}

// The fused kernels cut a batch into RowSplit chunks of kChunkRows rows
// (core/row_chunks) that run in parallel, each on one thread (BLAS
// included) with its working set in cache. The split depends only on the
// batch size and sums over chunks run in chunk order (ReduceInChunkOrder),
// so results depend neither on the thread count nor on thread timing.
constexpr int64_t kChunkRows = 256;

// ForEachChunk() runs fn(c) for every chunk with autograd off (nothing here
// is recorded).
template <typename Fn>
void ForEachChunk(int64_t chunks, const Fn& fn) {
  ForEachRowChunk(chunks, [&](int64_t c) {
    torch::NoGradGuard no_grad;
    fn(c);
  });
}

// ChunkedForward() runs RunForward() on every chunk.
std::vector<ForwardState> ChunkedForward(const FusedMlp& mlp,
                                         const torch::Tensor& x,
                                         const torch::Tensor& tangents,
                                         bool keep) {
  const RowSplit split(x.size(0), kChunkRows);
  const bool shared = tangents.dim() == 2;
  std::vector<ForwardState> states(split.count());
  ForEachChunk(split.count(), [&](int64_t c) {
    states[c] = RunForward(mlp, split.Rows(x, c),
                           shared ? tangents : split.Rows(tangents, c), keep);
  });
  return states;
}

std::pair<torch::Tensor, torch::Tensor> JoinOutputs(
    const std::vector<ForwardState>& states) {
  if (states.size() == 1) return {states[0].f, states[0].jvp};
  std::vector<torch::Tensor> f, jvp;
  for (const ForwardState& state : states) {
    f.push_back(state.f);
    jvp.push_back(state.jvp);
  }
  return {torch::cat(f, 0), torch::cat(jvp, 0)};
}

// The autograd node. Intermediates live in saved_data (they carry no
// autograd history); the weights, which are inputs, go through
// save_for_backward.
class FusedVelocityJvpFunction
    : public torch::autograd::Function<FusedVelocityJvpFunction> {
 public:
  static variable_list forward(AutogradContext* ctx, const torch::Tensor& x,
                               const torch::Tensor& tangents,
                               at::TensorList weights, at::TensorList biases,
                               double beta) {
    FusedMlp mlp{weights.vec(), biases.vec(), beta};
    std::vector<ForwardState> states =
        ChunkedForward(mlp, x, tangents, /*keep=*/true);
    std::vector<torch::Tensor> kept;
    for (const ForwardState& state : states) {
      for (auto* list : {&state.inputs, &state.slopes, &state.products}) {
        kept.insert(kept.end(), list->begin(), list->end());
      }
    }
    ctx->save_for_backward(weights.vec());
    ctx->saved_data["kept"] = kept;
    ctx->saved_data["beta"] = beta;
    ctx->saved_data["batch"] = x.size(0);
    ctx->saved_data["shared"] = tangents.dim() == 2;
    ctx->saved_data["m"] = tangents.size(tangents.dim() - 2);
    auto [f, jvp] = JoinOutputs(states);
    return {f, jvp};
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const variable_list weights = ctx->get_saved_variables();
    const std::vector<torch::Tensor> kept =
        ctx->saved_data["kept"].toTensorVector();
    const float beta = static_cast<float>(ctx->saved_data["beta"].toDouble());
    const int64_t batch = ctx->saved_data["batch"].toInt();
    const bool shared = ctx->saved_data["shared"].toBool();
    const int64_t m = ctx->saved_data["m"].toInt();
    const int64_t layers = static_cast<int64_t>(weights.size());
    const int64_t per_chunk = layers + 2 * (layers - 1);

    const RowSplit split(batch, kChunkRows);
    std::vector<Gradients> parts(split.count());
    ForEachChunk(split.count(), [&](int64_t c) {
      ForwardState state;
      auto first = kept.begin() + c * per_chunk;
      state.inputs.assign(first, first + layers);
      state.slopes.assign(first + layers, first + 2 * layers - 1);
      state.products.assign(first + 2 * layers - 1, first + per_chunk);
      auto rows = [&](const torch::Tensor& g) {
        return g.defined() ? split.Rows(g, c) : g;
      };
      parts[c] = RunBackward(state, weights, beta, m, shared, rows(grads[0]),
                             rows(grads[1]));
    });

    std::vector<torch::Tensor> grad_x;
    for (const Gradients& part : parts) grad_x.push_back(part.x);
    const Gradients total = ReduceInChunkOrder(
        std::move(parts), [&](Gradients sum, const Gradients& part) {
          for (int64_t l = 0; l < layers; ++l) {
            sum.weights[l] = sum.weights[l] + part.weights[l];
            sum.biases[l] = sum.biases[l] + part.biases[l];
          }
          return sum;
        });
    variable_list out = {grad_x.size() == 1 ? grad_x[0] : torch::cat(grad_x, 0),
                         torch::Tensor()};
    out.insert(out.end(), total.weights.begin(), total.weights.end());
    out.insert(out.end(), total.biases.begin(), total.biases.end());
    out.push_back(torch::Tensor());  // beta
    return out;
  }
};

}  // namespace

namespace {
bool IsCpuFloat(const torch::Tensor& t) {
  return t.defined() && t.is_cpu() && t.scalar_type() == torch::kFloat32;
}
}  // namespace

bool CanFuseVelocity(const FusedMlp& mlp, const torch::Tensor& x) {
  if (mlp.weights.size() < 2 || mlp.weights.size() != mlp.biases.size() ||
      !IsCpuFloat(x) || x.dim() != 2) {
    return false;
  }
  for (size_t l = 0; l < mlp.weights.size(); ++l) {
    if (!IsCpuFloat(mlp.weights[l]) || !IsCpuFloat(mlp.biases[l])) {
      return false;
    }
  }
  return true;
}

bool CanFuseVelocityAndJvp(const FusedMlp& mlp, const torch::Tensor& x,
                           const torch::Tensor& tangents) {
  return CanFuseVelocity(mlp, x) && IsCpuFloat(tangents) &&
         (tangents.dim() == 2 || tangents.dim() == 3);
}

torch::Tensor FusedVelocity(const FusedMlp& mlp, const torch::Tensor& x) {
  const torch::Tensor input = x.contiguous();
  const RowSplit split(input.size(0), kChunkRows);
  if (split.count() == 1) return FusedVelocityNoGrad(mlp, input);
  std::vector<torch::Tensor> parts(split.count());
  ForEachChunk(split.count(), [&](int64_t c) {
    parts[c] = FusedVelocityNoGrad(mlp, split.Rows(input, c));
  });
  return torch::cat(parts, 0);
}

std::pair<torch::Tensor, torch::Tensor> FusedVelocityAndJvp(
    const FusedMlp& mlp, const torch::Tensor& x,
    const torch::Tensor& tangents) {
  const torch::Tensor input = x.contiguous();
  const torch::Tensor v = tangents.contiguous();
  bool needs_grad = false;
  if (torch::GradMode::is_enabled()) {
    needs_grad = input.requires_grad();
    for (const auto& t : mlp.weights) needs_grad |= t.requires_grad();
    for (const auto& t : mlp.biases) needs_grad |= t.requires_grad();
  }
  if (!needs_grad) {
    return JoinOutputs(ChunkedForward(mlp, input, v, /*keep=*/false));
  }
  variable_list out =
      FusedVelocityJvpFunction::apply(input, v, at::TensorList(mlp.weights),
                                      at::TensorList(mlp.biases), mlp.beta);
  return {out[0], out[1]};
}

}  // namespace jkoflow
