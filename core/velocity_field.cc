#include "core/velocity_field.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <torch/nn/functional/activation.h>
#include <torch/types.h>
#include <torch/utils.h>

#include <cmath>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "core/fused_velocity_jvp.h"
#include "core/softplus_kernel.h"

namespace jkoflow {

std::string ActivationName(Activation activation) {
  switch (activation) {
    case Activation::kSoftplus:
      return "softplus";
    case Activation::kTanh:
      return "tanh";
    case Activation::kSilu:
      return "silu";
  }
  return "unknown";
}

absl::StatusOr<Activation> ParseActivation(const std::string& name) {
  if (name == "softplus") return Activation::kSoftplus;
  if (name == "tanh") return Activation::kTanh;
  if (name == "silu") return Activation::kSilu;
  return absl::InvalidArgumentError(absl::StrCat(
      "activation: expected softplus, tanh or silu, got \"", name, "\""));
}

absl::Status ValidateVelocityFieldOptions(const VelocityFieldOptions& o) {
  RETURN_IF_ERROR(CheckRange(kFieldDimRange, "dim", o.dim()));
  RETURN_IF_ERROR(CheckRange(kFieldWidthRange, "width", o.width()));
  RETURN_IF_ERROR(CheckRange(kFieldDepthRange, "depth", o.depth()));
  return CheckRange(kPositiveFinite, "softplus_beta", o.softplus_beta());
}

VelocityFieldImpl::VelocityFieldImpl(const VelocityFieldOptions& options)
    : options_(options) {
  reset();
}

void VelocityFieldImpl::reset() {
  layers_.clear();
  const int64_t in = options_.dim() + (options_.time_input() ? 1 : 0);
  int64_t fan_in = in;
  for (int64_t l = 0; l <= options_.depth(); ++l) {
    const int64_t fan_out =
        l == options_.depth() ? options_.dim() : options_.width();
    layers_.push_back(register_module(
        absl::StrCat("layer", l),
        torch::nn::Linear(torch::nn::LinearOptions(fan_in, fan_out))));
    fan_in = fan_out;
  }
}

void VelocityFieldImpl::InitializeParameters(uint64_t seed) {
  at::Generator gen = at::detail::createCPUGenerator(seed);
  torch::NoGradGuard no_grad;
  for (auto& layer : layers_) {
    const double bound =
        1.0 / std::sqrt(static_cast<double>(layer->weight.size(1)));
    for (torch::Tensor* p : {&layer->weight, &layer->bias}) {
      torch::Tensor u = at::rand(p->sizes(), gen, torch::kFloat64);
      p->copy_(u.mul_(2 * bound).sub_(bound));
    }
  }
}

torch::Tensor VelocityFieldImpl::FirstPreActivation(const torch::Tensor& x,
                                                    double t) const {
  const auto& layer = layers_.front();
  if (!options_.time_input()) {
    return torch::linear(x, layer->weight, layer->bias);
  }
  const int64_t d = options_.dim();
  // Time enters as one more input column: fold t·W[:, d] into the bias.
  torch::Tensor bias = layer->bias + t * layer->weight.select(1, d);
  return torch::linear(x, layer->weight.narrow(1, 0, d), bias);
}

torch::Tensor VelocityFieldImpl::Activate(const torch::Tensor& z) const {
  switch (options_.activation()) {
    case Activation::kSoftplus:
      if (torch::GradMode::is_enabled() && z.requires_grad()) {
        return torch::softplus(z, options_.softplus_beta(), /*threshold=*/20);
      }
      return Softplus(z, options_.softplus_beta());
    case Activation::kTanh:
      return torch::tanh(z);
    case Activation::kSilu:
      return torch::silu(z);
  }
  return z;
}

std::pair<torch::Tensor, torch::Tensor> VelocityFieldImpl::ActivateWithSlope(
    const torch::Tensor& z) const {
  switch (options_.activation()) {
    case Activation::kSoftplus:
      return SoftplusAndSlope(z, options_.softplus_beta());
    case Activation::kTanh: {
      torch::Tensor th = torch::tanh(z);
      return {th, 1 - th * th};
    }
    case Activation::kSilu: {
      torch::Tensor s = torch::sigmoid(z);
      return {z * s, s * (1 + z * (1 - s))};
    }
  }
  return {z, torch::ones_like(z)};
}

torch::Tensor VelocityFieldImpl::Velocity(const torch::Tensor& x,
                                          double t) const {
  if (options_.activation() == Activation::kSoftplus &&
      !torch::GradMode::is_enabled()) {
    const FusedMlp mlp = Fused(t);
    if (CanFuseVelocity(mlp, x)) return FusedVelocity(mlp, x);
  }
  return VelocityReference(x, t);
}

torch::Tensor VelocityFieldImpl::VelocityReference(const torch::Tensor& x,
                                                   double t) const {
  torch::Tensor h = Activate(FirstPreActivation(x, t));  // [batch, width]
  const size_t last = layers_.size() - 1;
  for (size_t l = 1; l < last; ++l) {
    h = Activate(torch::linear(h, layers_[l]->weight, layers_[l]->bias));
  }
  return torch::linear(h, layers_[last]->weight, layers_[last]->bias);
}

FusedMlp VelocityFieldImpl::Fused(double t) const {
  FusedMlp mlp;
  mlp.beta = options_.softplus_beta();
  const auto& first = layers_.front();
  const int64_t d = options_.dim();
  if (options_.time_input()) {
    mlp.weights.push_back(first->weight.narrow(1, 0, d));
    mlp.biases.push_back(first->bias + t * first->weight.select(1, d));
  } else {
    mlp.weights.push_back(first->weight);
    mlp.biases.push_back(first->bias);
  }
  for (size_t l = 1; l < layers_.size(); ++l) {
    mlp.weights.push_back(layers_[l]->weight);
    mlp.biases.push_back(layers_[l]->bias);
  }
  return mlp;
}

std::pair<torch::Tensor, torch::Tensor> VelocityFieldImpl::VelocityAndJvp(
    const torch::Tensor& x, double t, const torch::Tensor& tangents) const {
  if (options_.activation() == Activation::kSoftplus) {
    const FusedMlp mlp = Fused(t);
    if (CanFuseVelocityAndJvp(mlp, x, tangents)) {
      return FusedVelocityAndJvp(mlp, x, tangents);
    }
  }
  return VelocityAndJvpReference(x, t, tangents);
}

std::pair<torch::Tensor, torch::Tensor>
VelocityFieldImpl::VelocityAndJvpReference(
    const torch::Tensor& x, double t, const torch::Tensor& tangents) const {
  const int64_t d = options_.dim();
  torch::Tensor z = FirstPreActivation(x, t);  // [batch, width]
  const torch::Tensor& w0 = layers_.front()->weight;
  // Tangent of the first pre-activation: [m, width] or [batch, m, width].
  torch::Tensor tz =
      torch::linear(tangents, options_.time_input() ? w0.narrow(1, 0, d) : w0);
  const size_t last = layers_.size() - 1;
  for (size_t l = 0; l < last; ++l) {
    auto [h, slope] = ActivateWithSlope(z);
    torch::Tensor th = tz * slope.unsqueeze(1);  // [batch, m, width]
    const auto& next = layers_[l + 1];
    z = torch::linear(h, next->weight, next->bias);
    tz = torch::linear(th, next->weight);
  }
  return {z, tz};
}

torch::Tensor VelocityFieldImpl::VelocityAtTimes(const torch::Tensor& x,
                                                 const torch::Tensor& t) const {
  const auto& first = layers_.front();
  torch::Tensor input =
      options_.time_input()
          ? torch::cat({x, t.reshape({-1, 1}).to(x.dtype())}, 1)
          : x;
  torch::Tensor h = Activate(torch::linear(input, first->weight, first->bias));
  const size_t last = layers_.size() - 1;
  for (size_t l = 1; l < last; ++l) {
    h = Activate(torch::linear(h, layers_[l]->weight, layers_[l]->bias));
  }
  return torch::linear(h, layers_[last]->weight, layers_[last]->bias);
}

std::pair<torch::Tensor, torch::Tensor> VelocityFieldImpl::VelocityAndTrace(
    const torch::Tensor& x, double t) const {
  const int64_t d = options_.dim();
  const torch::Tensor& w0 = layers_.front()->weight;
  const torch::Tensor w_in = options_.time_input() ? w0.narrow(1, 0, d) : w0;
  const size_t last = layers_.size() - 1;
  // Row j of the tangents is column j of W_in W_out [width, width]: the
  // first pre-activation's tangent along hidden direction j.
  torch::Tensor tz = torch::matmul(w_in, layers_[last]->weight).t();
  torch::Tensor z = FirstPreActivation(x, t);  // [batch, width]
  torch::Tensor trace;
  for (size_t l = 0; l < last; ++l) {
    auto [h, slope] = ActivateWithSlope(z);
    // [width, width] at first, then [batch, width, width].
    torch::Tensor th = tz * slope.unsqueeze(1);
    const auto& next = layers_[l + 1];
    z = torch::linear(h, next->weight, next->bias);
    if (l + 1 < last) {
      tz = torch::linear(th, next->weight);
    } else {
      trace = th.diagonal(/*offset=*/0, /*dim1=*/1, /*dim2=*/2).sum(-1);
    }
  }
  return {z, trace};
}

}  // namespace jkoflow
