#include "core/flow_model.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <torch/utils.h>

#include <cmath>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "core/row_chunks.h"
#include "core/torch_status.h"

namespace jkoflow {

absl::Status ValidatePoints(const torch::Tensor& x, int64_t dim,
                            absl::string_view field) {
  if (!x.defined()) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": missing"));
  }
  if (x.dim() != 2) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": expected a matrix [n, ", dim, "], got ", x.dim(),
                     " dimensions"));
  }
  if (x.size(1) != dim) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": expected ", dim, " columns, got ", x.size(1)));
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

FlowModel::FlowModel(int64_t dim, torch::Device device, torch::ScalarType dtype)
    : dim_(dim), device_(device), dtype_(dtype), transform_(dim) {}

absl::Status FlowModel::set_transform(DataTransform transform) {
  if (transform.dim() != dim_) {
    return absl::InvalidArgumentError(
        absl::StrCat("transform: dimension ", transform.dim(),
                     " does not match the model's ", dim_));
  }
  if (!blocks_.empty() && transform.FlowDim() != FlowDim()) {
    return absl::InvalidArgumentError(
        absl::StrCat("transform: its blocks act on ", transform.FlowDim(),
                     " dimensions, the model's on ", FlowDim()));
  }
  transform_ = std::move(transform);
  return absl::OkStatus();
}

torch::Tensor FlowModel::Head(const torch::Tensor& y) const {
  return FlowDim() == dim_ ? y : y.narrow(1, 0, FlowDim());
}

torch::Tensor FlowModel::Join(const torch::Tensor& head,
                              const torch::Tensor& full) const {
  if (FlowDim() == dim_) return head;
  return torch::cat({head, full.narrow(1, FlowDim(), dim_ - FlowDim())}, 1);
}

absl::StatusOr<std::pair<torch::Tensor, torch::Tensor>> FlowModel::ToFlowSpace(
    const torch::Tensor& x, uint64_t seed) const {
  if (transform_.Identity()) {
    ASSIGN_OR_RETURN(torch::Tensor y, Prepare(x, "points"));
    return GuardTorch(
        [&]() -> absl::StatusOr<std::pair<torch::Tensor, torch::Tensor>> {
          return std::make_pair(
              y, torch::zeros({y.size(0)}, y.options().dtype(torch::kFloat64)));
        });
  }
  RETURN_IF_ERROR(ValidatePoints(x, dim_, "points"));
  ASSIGN_OR_RETURN(auto mapped, transform_.Forward(x, seed, dtype_));
  return GuardTorch(
      [&]() -> absl::StatusOr<std::pair<torch::Tensor, torch::Tensor>> {
        return std::make_pair(mapped.first.to(device_, dtype_),
                              mapped.second.to(device_));
      });
}

absl::StatusOr<torch::Tensor> FlowModel::FromFlowSpace(
    const torch::Tensor& y) const {
  if (transform_.Identity()) return y;
  ASSIGN_OR_RETURN(torch::Tensor x, transform_.Inverse(y));
  return GuardTorch(
      [&]() -> absl::StatusOr<torch::Tensor> { return x.to(device_, dtype_); });
}

absl::Status FlowModel::AppendBlock(JkoBlock block, const BlockStats& stats) {
  if (block.config().field.dim() != FlowDim()) {
    return absl::InvalidArgumentError(
        absl::StrCat("block: dimension ", block.config().field.dim(),
                     " does not match the model's ", FlowDim()));
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
  return GuardTorch(
      [&]() -> absl::StatusOr<torch::Tensor> { return x.to(device_, dtype_); });
}

absl::StatusOr<FlowModel::ForwardResult> FlowModel::Forward(
    const torch::Tensor& x, const DivergenceOptions& divergence,
    uint64_t probe_seed, const StopCheck& stop) const {
  RETURN_IF_ERROR(ValidateDivergenceOptions(divergence));
  ASSIGN_OR_RETURN(torch::Tensor z, Prepare(x, "points"));
  const bool per_point = divergence.method == DivergenceMethod::kHutchinson;
  std::vector<torch::Tensor> inputs = {z};
  RETURN_IF_ERROR(GuardTorch([&]() -> absl::Status {
    // Probes are drawn for all rows up front, block after block, so chunks
    // see the same probes as one whole-batch solve would.
    at::Generator generator = at::detail::createCPUGenerator(probe_seed);
    for (size_t k = 0; per_point && k < blocks_.size(); ++k) {
      inputs.push_back(MakeTangents(divergence, z.size(0), FlowDim(),
                                    z.options(), generator));
    }
    return absl::OkStatus();
  }));
  auto run = [&](const std::vector<torch::Tensor>& rows, const StopCheck& check)
      -> absl::StatusOr<std::vector<torch::Tensor>> {
    torch::NoGradGuard no_grad;
    torch::Tensor y = Head(rows[0]);
    const torch::Tensor eye = torch::eye(FlowDim(), y.options());
    // [rows], or [rows, probes] when each probe's estimate is kept.
    torch::Tensor log_det =
        per_point && divergence.per_probe
            ? torch::zeros({y.size(0), divergence.probes}, y.options())
            : torch::zeros({y.size(0)}, y.options());
    for (size_t k = 0; k < blocks_.size(); ++k) {
      ASSIGN_OR_RETURN(
          OdeSolution solution,
          blocks_[k].MapWithDivergence(y, divergence,
                                       per_point ? rows[k + 1] : eye, check));
      y = solution.x;
      log_det = log_det + solution.divergence_integral;
    }
    return std::vector<torch::Tensor>{Join(y, rows[0]), log_det};
  };
  ASSIGN_OR_RETURN(std::vector<torch::Tensor> out,
                   MapRowChunks(inputs, kInferenceChunkRows, stop, run));
  return ForwardResult{out[0], out[1]};
}

absl::StatusOr<torch::Tensor> FlowModel::LogProb(
    const torch::Tensor& x, const DivergenceOptions& divergence,
    uint64_t probe_seed, const StopCheck& stop) const {
  ASSIGN_OR_RETURN(LogProbEstimate estimate,
                   LogProbWithError(x, divergence, probe_seed, stop));
  return estimate.log_prob;
}

absl::StatusOr<FlowModel::LogProbEstimate> FlowModel::LogProbWithError(
    const torch::Tensor& x, const DivergenceOptions& divergence,
    uint64_t probe_seed, const StopCheck& stop) const {
  DivergenceOptions options = divergence;
  options.per_probe = divergence.method == DivergenceMethod::kHutchinson &&
                      divergence.probes >= 2;
  ASSIGN_OR_RETURN(auto flow_space, ToFlowSpace(x, probe_seed));
  ASSIGN_OR_RETURN(ForwardResult forward,
                   Forward(flow_space.first, options, probe_seed, stop));
  return GuardTorch([&]() -> absl::StatusOr<LogProbEstimate> {
    const double log_norm = 0.5 * dim_ * std::log(2 * M_PI);
    // Summed in float64: the transform's log|det| can be large (pixels).
    torch::Tensor log_det = forward.log_det.to(torch::kFloat64);
    LogProbEstimate estimate;
    if (options.per_probe) {
      // The probes are independent given x: the mean's standard error is
      // their sample standard deviation over √probes.
      estimate.std_error =
          (log_det.std(1, /*unbiased=*/true) / std::sqrt(options.probes))
              .to(dtype_);
      log_det = log_det.mean(1);
    }
    torch::Tensor log_p = -0.5 * forward.z.to(torch::kFloat64).pow(2).sum(1) -
                          log_norm + log_det + flow_space.second;
    estimate.log_prob = log_p.to(dtype_);
    return estimate;
  });
}

absl::StatusOr<std::vector<torch::Tensor>> FlowModel::Pass(
    const torch::Tensor& x, bool to_data, bool keep_stages,
    const StopCheck& stop) const {
  auto run = [&](const std::vector<torch::Tensor>& rows, const StopCheck& check)
      -> absl::StatusOr<std::vector<torch::Tensor>> {
    torch::NoGradGuard no_grad;
    torch::Tensor y = Head(rows[0]);
    std::vector<torch::Tensor> stages;
    if (keep_stages) stages.push_back(rows[0]);
    for (size_t i = 0; i < blocks_.size(); ++i) {
      if (to_data) {
        ASSIGN_OR_RETURN(y, blocks_[blocks_.size() - 1 - i].Inverse(y, check));
      } else {
        ASSIGN_OR_RETURN(y, blocks_[i].Map(y, check));
      }
      if (keep_stages) stages.push_back(Join(y, rows[0]));
    }
    if (!keep_stages) stages.push_back(Join(y, rows[0]));
    return stages;
  };
  return MapRowChunks({x}, kInferenceChunkRows, stop, run);
}

absl::StatusOr<torch::Tensor> FlowModel::MapToNoise(
    const torch::Tensor& x, const StopCheck& stop) const {
  ASSIGN_OR_RETURN(auto flow_space, ToFlowSpace(x));
  const torch::Tensor& z = flow_space.first;
  ASSIGN_OR_RETURN(std::vector<torch::Tensor> out,
                   Pass(z, /*to_data=*/false, /*keep_stages=*/false, stop));
  return out.front();
}

absl::StatusOr<torch::Tensor> FlowModel::MapToData(
    const torch::Tensor& z, const StopCheck& stop) const {
  ASSIGN_OR_RETURN(torch::Tensor x, Prepare(z, "noise"));
  ASSIGN_OR_RETURN(std::vector<torch::Tensor> out,
                   Pass(x, /*to_data=*/true, /*keep_stages=*/false, stop));
  return FromFlowSpace(out.front());
}

absl::StatusOr<std::vector<torch::Tensor>> FlowModel::MapToDataStages(
    const torch::Tensor& z, const StopCheck& stop) const {
  ASSIGN_OR_RETURN(torch::Tensor x, Prepare(z, "noise"));
  ASSIGN_OR_RETURN(std::vector<torch::Tensor> stages,
                   Pass(x, /*to_data=*/true, /*keep_stages=*/true, stop));
  for (size_t i = 1; i < stages.size(); ++i) {
    ASSIGN_OR_RETURN(stages[i], FromFlowSpace(stages[i]));
  }
  return stages;
}

absl::StatusOr<torch::Tensor> FlowModel::Noise(int64_t n, uint64_t seed) const {
  if (n < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("n: must be at least 1, got ", n));
  }
  return GuardTorch([&]() -> absl::StatusOr<torch::Tensor> {
    at::Generator generator = at::detail::createCPUGenerator(seed);
    return at::randn({n, dim_}, generator, torch::kFloat32).to(device_, dtype_);
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
  return MapToDataStages(x, stop);
}

absl::StatusOr<FlowModel::InversionReport> FlowModel::InversionError(
    const torch::Tensor& x) const {
  ASSIGN_OR_RETURN(torch::Tensor input, Prepare(x, "points"));
  return GuardTorch([&]() -> absl::StatusOr<InversionReport> {
    torch::NoGradGuard no_grad;
    InversionReport report;
    torch::Tensor pushed = Head(input);
    for (const JkoBlock& block : blocks_) {
      ASSIGN_OR_RETURN(torch::Tensor mapped, block.Map(pushed));
      ASSIGN_OR_RETURN(torch::Tensor back, block.Inverse(mapped));
      report.per_block.push_back(
          (back - pushed).pow(2).sum(1).mean().item<double>());
      pushed = mapped;
    }
    ASSIGN_OR_RETURN(std::vector<torch::Tensor> back_out,
                     Pass(Join(pushed, input), /*to_data=*/true,
                          /*keep_stages=*/false, nullptr));
    const torch::Tensor& round_trip = back_out.front();
    report.end_to_end =
        (round_trip - input).pow(2).sum(1).mean().item<double>();
    return report;
  });
}

}  // namespace jkoflow
