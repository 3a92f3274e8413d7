#include "core/jko_block.h"

#include <ATen/ATen.h>

#include <cmath>
#include <memory>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "core/torch_status.h"

namespace jkoflow {

absl::Status ValidateJkoBlockConfig(const JkoBlockConfig& config) {
  if (!(config.h > 0) || !std::isfinite(config.h)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "h: step size must be positive and finite, got ", config.h));
  }
  if (config.steps < 1 || config.steps > 10000) {
    return absl::InvalidArgumentError(
        absl::StrCat("steps: must be in [1, 10000], got ", config.steps));
  }
  return ValidateVelocityFieldOptions(config.field);
}

absl::StatusOr<JkoBlock> JkoBlock::Create(const JkoBlockConfig& config,
                                          uint64_t seed) {
  RETURN_IF_ERROR(ValidateJkoBlockConfig(config));
  return GuardTorch([&]() -> absl::StatusOr<JkoBlock> {
    VelocityField field(config.field);
    field->InitializeParameters(seed);
    return JkoBlock(config, std::move(field));
  });
}

JkoBlock JkoBlock::Clone(double h) const {
  JkoBlockConfig config = config_;
  config.h = h;
  auto copy = std::dynamic_pointer_cast<VelocityFieldImpl>(field_->clone());
  return JkoBlock(config, VelocityField(copy));
}

JkoBlock JkoBlock::WithSteps(int64_t steps) const {
  JkoBlockConfig config = config_;
  config.steps = steps;
  return JkoBlock(config, field_);
}

absl::StatusOr<torch::Tensor> JkoBlock::Integrate(const torch::Tensor& x,
                                                  double t0, double t1,
                                                  const StopCheck& stop) const {
  const VelocityFieldImpl& f = *field_;
  FieldFn fn = [&f](const torch::Tensor& y, double t, bool) {
    return std::make_pair(f.Velocity(y, t), torch::Tensor());
  };
  ASSIGN_OR_RETURN(OdeSolution solution,
                   IntegrateRk4(fn, x, t0, t1, config_.steps,
                                /*with_divergence=*/false, stop));
  return solution.x;
}

absl::StatusOr<torch::Tensor> JkoBlock::Map(const torch::Tensor& x,
                                            const StopCheck& stop) const {
  return Integrate(x, 0.0, 1.0, stop);
}

absl::StatusOr<torch::Tensor> JkoBlock::Inverse(const torch::Tensor& z,
                                                const StopCheck& stop) const {
  return Integrate(z, 1.0, 0.0, stop);
}

absl::StatusOr<OdeSolution> JkoBlock::MapWithDivergence(
    const torch::Tensor& x, const DivergenceOptions& divergence,
    at::Generator& generator, const StopCheck& stop) const {
  RETURN_IF_ERROR(ValidateDivergenceOptions(divergence));
  ASSIGN_OR_RETURN(
      torch::Tensor tangents, GuardTorch([&] {
        return absl::StatusOr<torch::Tensor>(MakeTangents(
            divergence, x.size(0), x.size(1), x.options(), generator));
      }));
  return MapWithDivergence(x, divergence, tangents, stop);
}

absl::StatusOr<OdeSolution> JkoBlock::MapWithDivergence(
    const torch::Tensor& x, const DivergenceOptions& divergence,
    const torch::Tensor& tangents, const StopCheck& stop) const {
  RETURN_IF_ERROR(ValidateDivergenceOptions(divergence));
  return GuardTorch([&]() -> absl::StatusOr<OdeSolution> {
    const VelocityFieldImpl& f = *field_;
    const bool hidden_trace =
        divergence.method == DivergenceMethod::kExact && f.HiddenTraceCheaper();
    // Probes stay fixed across every stage of this solve.
    FieldFn fn = [&](const torch::Tensor& y, double t, bool) {
      if (hidden_trace) return f.VelocityAndTrace(y, t);
      auto [v, jv] = f.VelocityAndJvp(y, t, tangents);
      return std::make_pair(v, DivergenceFromJvp(divergence, tangents, jv));
    };
    return IntegrateRk4(fn, x, 0.0, 1.0, config_.steps,
                        /*with_divergence=*/true, stop);
  });
}

absl::StatusOr<LossTerms> JkoBlock::Loss(const torch::Tensor& x,
                                         const DivergenceOptions& divergence,
                                         at::Generator& generator) const {
  ASSIGN_OR_RETURN(OdeSolution solution,
                   MapWithDivergence(x, divergence, generator));
  return LossFromSolution(x, solution);
}

absl::StatusOr<LossTerms> JkoBlock::Loss(const torch::Tensor& x,
                                         const DivergenceOptions& divergence,
                                         const torch::Tensor& tangents) const {
  ASSIGN_OR_RETURN(OdeSolution solution,
                   MapWithDivergence(x, divergence, tangents));
  return LossFromSolution(x, solution);
}

absl::StatusOr<LossTerms> JkoBlock::LossFromSolution(
    const torch::Tensor& x, const OdeSolution& solution) const {
  return GuardTorch([&]() -> absl::StatusOr<LossTerms> {
    LossTerms terms;
    terms.potential = 0.5 * solution.x.pow(2).sum(1).mean();
    terms.neg_divergence = -solution.divergence_integral.mean();
    terms.movement = (solution.x - x).pow(2).sum(1).mean() / (2.0 * config_.h);
    terms.total = terms.potential + terms.neg_divergence + terms.movement;
    return terms;
  });
}

}  // namespace jkoflow
