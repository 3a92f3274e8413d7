#include "server/hyperparameters.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "core/model_store.h"

namespace jkoflow {
namespace {

absl::Status OutOfRange(absl::string_view field, absl::string_view limit,
                        double value) {
  return absl::InvalidArgumentError(absl::StrCat(
      "hyperparameters.", field, ": must be ", limit, ", got ", value));
}

// ScheduleFromProto() overlays the learning-rate schedule and the plateau
// rule; core's validation checks their ranges afterwards.
absl::Status ScheduleFromProto(const v1::Hyperparameters& hp,
                               TrainerOptions& o) {
  if (!hp.lr_schedule().empty()) {
    absl::StatusOr<LrScheduleKind> kind = ParseLrScheduleKind(hp.lr_schedule());
    if (!kind.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("hyperparameters.", kind.status().message()));
    }
    o.lr_schedule.kind = *kind;
  }
  if (hp.has_warmup_fraction()) {
    o.lr_schedule.warmup_fraction = hp.warmup_fraction();
  }
  if (hp.has_final_lr_fraction()) {
    o.lr_schedule.final_fraction = hp.final_lr_fraction();
  }
  if (hp.has_plateau_eval_every()) {
    o.plateau.eval_every = hp.plateau_eval_every();
  }
  if (hp.has_plateau_window()) o.plateau.window = hp.plateau_window();
  if (hp.has_plateau_tolerance()) {
    o.plateau.tolerance = hp.plateau_tolerance();
  }
  if (hp.has_min_iterations()) {
    o.plateau.min_iterations = hp.min_iterations();
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<TrainerOptions> TrainerOptionsFromProto(
    const v1::Hyperparameters& hp, TrainerOptions o, int64_t num_points,
    int64_t dim) {
  if (hp.has_blocks()) {
    if (hp.blocks() < 1 || hp.blocks() > 1000) {
      return OutOfRange("blocks", "in [1, 1000]", hp.blocks());
    }
    o.max_blocks = hp.blocks();
  }
  if (hp.has_iterations()) {
    if (hp.iterations() < 1 || hp.iterations() > 10000000) {
      return OutOfRange("iterations", "in [1, 10000000]", hp.iterations());
    }
    o.iterations_per_block = hp.iterations();
  }
  if (hp.has_batch_size()) {
    if (hp.batch_size() < 1) {
      return OutOfRange("batch_size", "≥ 1", hp.batch_size());
    }
    if (hp.batch_size() > num_points) {
      return absl::InvalidArgumentError(
          absl::StrCat("hyperparameters.batch_size: ", hp.batch_size(),
                       " is larger than the data (", num_points, " points)"));
    }
    o.batch_size = hp.batch_size();
  } else {
    o.batch_size = std::min(o.batch_size, num_points);
  }
  if (hp.has_learning_rate()) {
    if (!(hp.learning_rate() > 0) || !(hp.learning_rate() <= 1)) {
      return OutOfRange("learning_rate", "in (0, 1]", hp.learning_rate());
    }
    o.learning_rate = hp.learning_rate();
  }
  if (hp.has_h0()) {
    if (!(hp.h0() > 0) || !std::isfinite(hp.h0())) {
      return OutOfRange("h0", "positive and finite", hp.h0());
    }
    o.step_size.h0 = hp.h0();
  }
  if (hp.has_rho()) {
    if (!(hp.rho() > 0) || !std::isfinite(hp.rho())) {
      return OutOfRange("rho", "positive and finite", hp.rho());
    }
    o.step_size.rho = hp.rho();
  }
  if (hp.has_h_max()) {
    if (!(hp.h_max() > 0) || !std::isfinite(hp.h_max())) {
      return OutOfRange("h_max", "positive and finite", hp.h_max());
    }
    o.step_size.h_max = hp.h_max();
  }
  if (hp.adaptive_step()) o.step_size.adaptive = true;
  if (hp.has_stop_tolerance()) {
    if (!std::isfinite(hp.stop_tolerance())) {
      return OutOfRange("stop_tolerance", "finite", hp.stop_tolerance());
    }
    o.stop_tolerance = std::max(0.0, hp.stop_tolerance());
  }
  if (hp.has_smoothing_tau()) {
    if (!(hp.smoothing_tau() >= 0) || !std::isfinite(hp.smoothing_tau())) {
      return OutOfRange("smoothing_tau", "≥ 0 and finite", hp.smoothing_tau());
    }
    o.smoothing_tau = hp.smoothing_tau();
  }
  if (hp.has_width()) {
    if (hp.width() < 1 || hp.width() > 8192) {
      return OutOfRange("width", "in [1, 8192]", hp.width());
    }
    o.field.width(hp.width());
  }
  if (hp.has_depth()) {
    if (hp.depth() < 1 || hp.depth() > 32) {
      return OutOfRange("depth", "in [1, 32]", hp.depth());
    }
    o.field.depth(hp.depth());
  }
  if (hp.has_diagnostic_points()) {
    if (hp.diagnostic_points() != 0 &&
        (hp.diagnostic_points() < 2 || hp.diagnostic_points() > 5000)) {
      return OutOfRange("diagnostic_points", "0 or in [2, 5000]",
                        hp.diagnostic_points());
    }
    o.diagnostic_points = hp.diagnostic_points();
  }
  if (hp.has_steps()) {
    if (hp.steps() < 1 || hp.steps() > 10000) {
      return OutOfRange("steps", "in [1, 10000]", hp.steps());
    }
    o.steps = hp.steps();
  }
  if (!hp.activation().empty()) {
    absl::StatusOr<Activation> activation = ParseActivation(hp.activation());
    if (!activation.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("hyperparameters.", activation.status().message()));
    }
    o.field.activation(*activation);
  }
  if (hp.has_probes() && (hp.probes() < 1 || hp.probes() > 1024)) {
    return OutOfRange("probes", "in [1, 1024]", hp.probes());
  }
  switch (hp.divergence()) {
    case v1::DIVERGENCE_METHOD_EXACT:
      o.divergence = DivergenceOptions();
      break;
    case v1::DIVERGENCE_METHOD_HUTCHINSON: {
      DivergenceOptions d;
      d.method = DivergenceMethod::kHutchinson;
      d.probes = hp.has_probes() ? hp.probes() : 1;
      o.divergence = d;
      break;
    }
    case v1::DIVERGENCE_METHOD_UNSPECIFIED:
      if (hp.has_probes() && o.divergence.has_value()) {
        o.divergence->probes = hp.probes();
      }
      break;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("hyperparameters.divergence: unknown method ",
                       static_cast<int>(hp.divergence())));
  }
  if (hp.has_seed()) o.seed = hp.seed();
  if (hp.has_grad_clip()) {
    if (!(hp.grad_clip() >= 0) || !std::isfinite(hp.grad_clip())) {
      return OutOfRange("grad_clip", "≥ 0 and finite (0 disables)",
                        hp.grad_clip());
    }
    o.grad_clip_norm = hp.grad_clip();
  }
  RETURN_IF_ERROR(ScheduleFromProto(hp, o));
  o.field.dim(dim);
  absl::Status valid = ValidateTrainerOptions(o, num_points);
  if (!valid.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("hyperparameters.", valid.message()));
  }
  return o;
}

absl::Status CheckBlockParams(const VelocityFieldOptions& field,
                              int64_t limit) {
  const int64_t params = BlockParameterCount(field);
  if (limit <= 0 || params <= limit) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "hyperparameters: a block of width ", field.width(), " and depth ",
      field.depth(), " on dimension ", field.dim(), " has ", params,
      " parameters, more than the limit of ", limit,
      " (--max_block_params)"));
}

TrainerOptions TrainerOptionsFromProvenance(const Provenance& provenance) {
  TrainerOptions o;
  o.seed = provenance.seed;
  DivergenceOptions divergence;
  bool has_divergence = false;
  for (const auto& [key, value] : provenance.hyperparameters) {
    int64_t i = 0;
    double d = 0;
    const bool is_int = absl::SimpleAtoi(value, &i);
    const bool is_double = absl::SimpleAtod(value, &d);
    const bool is_true = value == "true";
    if (key == "max_blocks" && is_int) o.max_blocks = i;
    if (key == "iterations_per_block" && is_int) o.iterations_per_block = i;
    if (key == "batch_size" && is_int) o.batch_size = i;
    if (key == "learning_rate" && is_double) o.learning_rate = d;
    if (key == "lr_schedule") {
      absl::StatusOr<LrScheduleKind> kind = ParseLrScheduleKind(value);
      if (kind.ok()) o.lr_schedule.kind = *kind;
    }
    if (key == "warmup_fraction" && is_double) {
      o.lr_schedule.warmup_fraction = d;
    }
    if (key == "final_lr_fraction" && is_double) {
      o.lr_schedule.final_fraction = d;
    }
    if (key == "plateau_eval_every" && is_int) o.plateau.eval_every = i;
    if (key == "plateau_window" && is_int) o.plateau.window = i;
    if (key == "plateau_tolerance" && is_double) o.plateau.tolerance = d;
    if (key == "min_iterations" && is_int) o.plateau.min_iterations = i;
    if (key == "holdout_points" && is_int && i > 0) o.holdout_points = i;
    if (key == "grad_clip_norm" && is_double) o.grad_clip_norm = d;
    if (key == "h0" && is_double) o.step_size.h0 = d;
    if (key == "rho" && is_double) o.step_size.rho = d;
    if (key == "h_max" && is_double) o.step_size.h_max = d;
    if (key == "adaptive_step") o.step_size.adaptive = is_true;
    if (key == "eta" && is_double) o.step_size.eta = d;
    if (key == "stop_tolerance" && is_double) o.stop_tolerance = d;
    if (key == "smoothing_tau" && is_double) o.smoothing_tau = d;
    if (key == "warm_start") o.warm_start = is_true;
    if (key == "steps" && is_int) o.steps = i;
    if (key == "diagnostic_points" && is_int) o.diagnostic_points = i;
    if (key == "width" && is_int) o.field.width(i);
    if (key == "depth" && is_int) o.field.depth(i);
    if (key == "softplus_beta" && is_double) o.field.softplus_beta(d);
    if (key == "time_input") o.field.time_input(is_true);
    if (key == "activation") {
      absl::StatusOr<Activation> a = ParseActivation(value);
      if (a.ok()) o.field.activation(*a);
    }
    if (key == "divergence") {
      absl::StatusOr<DivergenceMethod> m = ParseDivergenceMethod(value);
      if (m.ok()) {
        divergence.method = *m;
        has_divergence = true;
      }
    }
    if (key == "probes" && is_int) divergence.probes = i;
  }
  if (has_divergence) o.divergence = divergence;
  return o;
}

}  // namespace jkoflow
