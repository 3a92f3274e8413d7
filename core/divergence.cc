#include "core/divergence.h"

#include <ATen/ATen.h>

#include "absl/strings/str_cat.h"

namespace jkoflow {

DivergenceOptions DefaultDivergenceOptions(int64_t dim) {
  DivergenceOptions options;
  options.method =
      dim <= 10 ? DivergenceMethod::kExact : DivergenceMethod::kHutchinson;
  return options;
}

absl::Status ValidateDivergenceOptions(const DivergenceOptions& options) {
  if (options.method == DivergenceMethod::kHutchinson &&
      (options.probes < 1 || options.probes > 1024)) {
    return absl::InvalidArgumentError(
        absl::StrCat("probes: must be in [1, 1024], got ", options.probes));
  }
  return absl::OkStatus();
}

std::string DivergenceMethodName(DivergenceMethod method) {
  return method == DivergenceMethod::kExact ? "exact" : "hutchinson";
}

absl::StatusOr<DivergenceMethod> ParseDivergenceMethod(
    const std::string& name) {
  if (name == "exact") return DivergenceMethod::kExact;
  if (name == "hutchinson") return DivergenceMethod::kHutchinson;
  return absl::InvalidArgumentError(absl::StrCat(
      "divergence: expected exact or hutchinson, got \"", name, "\""));
}

torch::Tensor MakeTangents(const DivergenceOptions& divergence, int64_t batch,
                           int64_t dim, const torch::TensorOptions& options,
                           at::Generator& generator) {
  if (divergence.method == DivergenceMethod::kExact) {
    return torch::eye(dim, options);
  }
  const std::vector<int64_t> shape = {batch, divergence.probes, dim};
  torch::Tensor probes;
  if (divergence.distribution == ProbeDistribution::kGaussian) {
    probes = at::randn(shape, generator, torch::kFloat32);
  } else {
    probes =
        at::randint(0, 2, shape, generator, torch::kFloat32).mul_(2).sub_(1);
  }
  return probes.to(options.device(), options.dtype().toScalarType());
}

torch::Tensor DivergenceFromJvp(const DivergenceOptions& divergence,
                                const torch::Tensor& tangents,
                                const torch::Tensor& jvp) {
  if (divergence.method == DivergenceMethod::kExact) {
    return jvp.diagonal(/*offset=*/0, /*dim1=*/1, /*dim2=*/2).sum(-1);
  }
  torch::Tensor per_probe = (tangents * jvp).sum(-1);
  return divergence.per_probe ? per_probe : per_probe.mean(-1);
}

}  // namespace jkoflow
