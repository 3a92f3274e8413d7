#include "core/flow_matching.h"

#include <ATen/ATen.h>

#include "absl/strings/str_cat.h"
#include "core/torch_status.h"

namespace jkoflow {

std::string TrainingMethodName(TrainingMethod method) {
  return method == TrainingMethod::kJko ? "jko" : "flow_matching";
}

absl::StatusOr<TrainingMethod> ParseTrainingMethod(const std::string& name) {
  if (name == "jko") return TrainingMethod::kJko;
  if (name == "flow_matching") return TrainingMethod::kFlowMatching;
  return absl::InvalidArgumentError(absl::StrCat(
      "method: expected jko or flow_matching, got \"", name, "\""));
}

absl::StatusOr<torch::Tensor> FlowMatchingLoss(const VelocityFieldImpl& field,
                                               const torch::Tensor& x,
                                               at::Generator& generator) {
  if (!field.options().time_input()) {
    return absl::InvalidArgumentError(
        "flow matching: the field must take time as an input");
  }
  return GuardTorch([&]() -> absl::StatusOr<torch::Tensor> {
    // Drawn on the CPU, so that a seed gives the same batch on any device.
    const torch::Tensor z =
        at::randn(x.sizes(), generator, torch::kFloat32).to(x.options());
    const torch::Tensor s =
        at::rand({x.size(0), 1}, generator, torch::kFloat32).to(x.options());
    const torch::Tensor xs = (1 - s) * x + s * z;
    const torch::Tensor target = z - x;
    return (field.VelocityAtTimes(xs, s.squeeze(1)) - target)
        .pow(2)
        .sum(1)
        .mean();
  });
}

}  // namespace jkoflow
