#include "core/flow_model.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <torch/utils.h>

#include <cmath>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "core/torch_status.h"

namespace jkoflow {

absl::Status ValidatePoints(const torch::Tensor& x, int64_t dim,
                            absl::string_view field) {
  if (!x.defined()) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": missing"));
  }
  if (x.dim() != 2) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": expected a matrix [n, ", dim, "], got ", x.dim(),
        " dimensions"));
  }
  if (x.size(1) != dim) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": expected ", dim, " columns, got ", x.size(1)));
  }
  if (x.size(0) < 1) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": no points"));
  }
  if (!at::isFloatingType(x.scalar_type())) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": expected floating-point values"));
  }
  return GuardTorch([&]() -> absl::Status {
    if (!torch::isfinite(x).all().item<bool>()) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": contains NaN or Inf"));
    }
    return absl::OkStatus();
  });
}

FlowModel::FlowModel(int64_t dim, torch::Device device,
                     torch::ScalarType dtype)
    : dim_(dim), device_(device), dtype_(dtype) {}

absl::Status FlowModel::AppendBlock(JkoBlock block, const BlockStats& stats) {
  if (block.config().field.dim() != dim_) {
    return absl::InvalidArgumentError(
        absl::StrCat("block: dimension ", block.config().field.dim(),
                     " does not match the model's ", dim_));
  }
  return GuardTorch([&]() -> absl::Status {
    block.field()->to(device_, dtype_);
    blocks_.push_back(std::move(block));
    stats_.push_back(stats);
    return absl::OkStatus();
  });
}

absl::Status FlowModel::To(torch::Device device, torch::ScalarType dtype) {
  return GuardTorch([&]() -> absl::Status {
    for (JkoBlock& block : blocks_) block.field()->to(device, dtype);
    device_ = device;
    dtype_ = dtype;
    return absl::OkStatus();
  });
}

absl::StatusOr<torch::Tensor> FlowModel::Prepare(
    const torch::Tensor& x, absl::string_view field) const {
  RETURN_IF_ERROR(ValidatePoints(x, dim_, field));
  return GuardTorch([&]() -> absl::StatusOr<torch::Tensor> {
    return x.to(device_, dtype_);
  });
}

absl::StatusOr<FlowModel::ForwardResult> FlowModel::Forward(
    const torch::Tensor& x, const DivergenceOptions& divergence,
    uint64_t probe_seed, const StopCheck& stop) const {
  RETURN_IF_ERROR(ValidateDivergenceOptions(divergence));
  ASSIGN_OR_RETURN(torch::Tensor z, Prepare(x, "points"));
  return GuardTorch([&]() -> absl::StatusOr<ForwardResult> {
    torch::NoGradGuard no_grad;
    at::Generator generator = at::detail::createCPUGenerator(probe_seed);
    torch::Tensor log_det = torch::zeros({z.size(0)}, z.options());
    for (const JkoBlock& block : blocks_) {
      ASSIGN_OR_RETURN(OdeSolution solution,
                       block.MapWithDivergence(z, divergence, generator, stop));
      z = solution.x;
      log_det = log_det + solution.divergence_integral;
    }
    return ForwardResult{z, log_det};
  });
}

absl::StatusOr<torch::Tensor> FlowModel::LogProb(
    const torch::Tensor& x, const DivergenceOptions& divergence,
    uint64_t probe_seed, const StopCheck& stop) const {
  ASSIGN_OR_RETURN(ForwardResult forward,
                   Forward(x, divergence, probe_seed, stop));
  return GuardTorch([&]() -> absl::StatusOr<torch::Tensor> {
    const double log_norm = 0.5 * dim_ * std::log(2 * M_PI);
    return -0.5 * forward.z.pow(2).sum(1) - log_norm + forward.log_det;
  });
}

absl::StatusOr<torch::Tensor> FlowModel::MapToNoise(
    const torch::Tensor& x, const StopCheck& stop) const {
  ASSIGN_OR_RETURN(torch::Tensor z, Prepare(x, "points"));
  torch::NoGradGuard no_grad;
  for (const JkoBlock& block : blocks_) {
    ASSIGN_OR_RETURN(z, block.Map(z, stop));
  }
  return z;
}

absl::StatusOr<torch::Tensor> FlowModel::MapToData(
    const torch::Tensor& z, const StopCheck& stop) const {
  ASSIGN_OR_RETURN(torch::Tensor x, Prepare(z, "noise"));
  torch::NoGradGuard no_grad;
  for (auto it = blocks_.rbegin(); it != blocks_.rend(); ++it) {
    ASSIGN_OR_RETURN(x, it->Inverse(x, stop));
  }
  return x;
}

absl::StatusOr<torch::Tensor> FlowModel::Noise(int64_t n,
                                               uint64_t seed) const {
  if (n < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("n: must be at least 1, got ", n));
  }
  return GuardTorch([&]() -> absl::StatusOr<torch::Tensor> {
    at::Generator generator = at::detail::createCPUGenerator(seed);
    return at::randn({n, dim_}, generator, torch::kFloat32)
        .to(device_, dtype_);
  });
}

absl::StatusOr<torch::Tensor> FlowModel::Sample(int64_t n, uint64_t seed,
                                                const StopCheck& stop) const {
  ASSIGN_OR_RETURN(torch::Tensor z, Noise(n, seed));
  return MapToData(z, stop);
}

absl::StatusOr<std::vector<torch::Tensor>> FlowModel::SampleTrajectory(
    int64_t n, uint64_t seed, const StopCheck& stop) const {
  ASSIGN_OR_RETURN(torch::Tensor x, Noise(n, seed));
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> stages = {x};
  for (auto it = blocks_.rbegin(); it != blocks_.rend(); ++it) {
    ASSIGN_OR_RETURN(x, it->Inverse(x, stop));
    stages.push_back(x);
  }
  return stages;
}

absl::StatusOr<FlowModel::InversionReport> FlowModel::InversionError(
    const torch::Tensor& x) const {
  ASSIGN_OR_RETURN(torch::Tensor input, Prepare(x, "points"));
  return GuardTorch([&]() -> absl::StatusOr<InversionReport> {
    torch::NoGradGuard no_grad;
    InversionReport report;
    torch::Tensor pushed = input;
    for (const JkoBlock& block : blocks_) {
      ASSIGN_OR_RETURN(torch::Tensor mapped, block.Map(pushed));
      ASSIGN_OR_RETURN(torch::Tensor back, block.Inverse(mapped));
      report.per_block.push_back(
          (back - pushed).pow(2).sum(1).mean().item<double>());
      pushed = mapped;
    }
    ASSIGN_OR_RETURN(torch::Tensor round_trip, MapToData(pushed));
    report.end_to_end =
        (round_trip - input).pow(2).sum(1).mean().item<double>();
    return report;
  });
}

}  // namespace jkoflow
