#include "server/jobs/hyperparameters.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "core/model_store.h"
#include "core/trainer_option_table.h"

namespace jkoflow {
namespace {

absl::Status OutOfRange(absl::string_view field, absl::string_view limit,
                        double value) {
  return absl::InvalidArgumentError(absl::StrCat(
      "hyperparameters.", field, ": must be ", limit, ", got ", value));
}

// TableFieldsFromSettings() overlays every scalar of `s`, each a wire
// field that TrainerOptionTable() maps (proto_field), range-checked by the
// table.
absl::Status TableFieldsFromSettings(const TrainingSettings& s,
                                     TrainerOptions& o) {
  size_t applied = 0;
  for (const TrainerOptionSpec& spec : TrainerOptionTable()) {
    if (*spec.proto_field == '\0') continue;
    const auto it = s.scalars.find(spec.proto_field);
    if (it == s.scalars.end()) continue;
    const std::string field = absl::StrCat("hyperparameters.", it->first);
    const double value = it->second;
    if (spec.type == TrainerOptionSpec::Type::kInt &&
        value != std::floor(value)) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": must be an integer, got ", value));
    }
    RETURN_IF_ERROR(CheckTrainerOption(spec, field, value));
    spec.set(o, value);
    ++applied;
  }
  if (applied != s.scalars.size()) {
    return absl::InvalidArgumentError(
        "hyperparameters: a setting that no trainer option takes");
  }
  if (!s.lr_schedule.empty()) {
    absl::StatusOr<LrScheduleKind> kind = ParseLrScheduleKind(s.lr_schedule);
    if (!kind.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("hyperparameters.", kind.status().message()));
    }
    o.lr_schedule.kind = *kind;
  }
  return absl::OkStatus();
}

// DivergenceFromSettings() overlays the training divergence and its probes.
absl::Status DivergenceFromSettings(const TrainingSettings& s,
                                    TrainerOptions& o) {
  if (s.probes.has_value() && (*s.probes < 1 || *s.probes > 1024)) {
    return OutOfRange("probes", "in [1, 1024]", *s.probes);
  }
  if (s.divergence.empty()) {
    if (s.probes.has_value() && o.divergence.has_value()) {
      o.divergence->probes = *s.probes;
    }
    return absl::OkStatus();
  }
  absl::StatusOr<DivergenceMethod> method = ParseDivergenceMethod(s.divergence);
  if (!method.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "hyperparameters.divergence: unknown method ", s.divergence));
  }
  if (*method == DivergenceMethod::kExact) {
    o.divergence = DivergenceOptions();
    return absl::OkStatus();
  }
  DivergenceOptions d;
  d.method = DivergenceMethod::kHutchinson;
  d.probes = s.probes.value_or(1);
  o.divergence = d;
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<TrainerOptions> TrainerOptionsFromSettings(
    const TrainingSettings& s, TrainerOptions o, int64_t num_points,
    int64_t dim) {
  RETURN_IF_ERROR(TableFieldsFromSettings(s, o));
  if (s.batch_size.has_value()) {
    if (*s.batch_size < 1) {
      return OutOfRange("batch_size", "≥ 1", *s.batch_size);
    }
    if (*s.batch_size > num_points) {
      return absl::InvalidArgumentError(
          absl::StrCat("hyperparameters.batch_size: ", *s.batch_size,
                       " is larger than the data (", num_points, " points)"));
    }
    o.batch_size = *s.batch_size;
  } else {
    o.batch_size = std::min(o.batch_size, num_points);
  }
  if (s.adaptive_step) o.step_size.adaptive = true;
  if (s.stop_tolerance.has_value()) {
    if (!std::isfinite(*s.stop_tolerance)) {
      return OutOfRange("stop_tolerance", "finite", *s.stop_tolerance);
    }
    o.stop_tolerance = std::max(0.0, *s.stop_tolerance);
  }
  if (!s.activation.empty()) {
    absl::StatusOr<Activation> activation = ParseActivation(s.activation);
    if (!activation.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("hyperparameters.", activation.status().message()));
    }
    o.field.activation(*activation);
  }
  RETURN_IF_ERROR(DivergenceFromSettings(s, o));
  if (!s.transform.empty()) {
    absl::StatusOr<TransformSpec> transform = ParseTransformSpec(s.transform);
    if (!transform.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("hyperparameters.", transform.status().message()));
    }
    o.transform = *transform;
  }
  if (s.validation_gate.has_value()) o.validation_gate = *s.validation_gate;
  if (!s.method.empty()) {
    absl::StatusOr<TrainingMethod> method = ParseTrainingMethod(s.method);
    if (!method.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("hyperparameters.", method.status().message()));
    }
    o.method = *method;
  }
  if (s.seed.has_value()) o.seed = *s.seed;
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
      " parameters, more than the limit of ", limit, " (--max_block_params)"));
}

TrainerOptions TrainerOptionsFromProvenance(const Provenance& provenance) {
  TrainerOptions o;
  o.seed = provenance.seed;
  DivergenceOptions divergence;
  bool has_divergence = false;
  for (const auto& [key, value] : provenance.hyperparameters) {
    const TrainerOptionSpec* spec = FindTrainerOption(key);
    if (spec != nullptr) {
      // Unreadable or out-of-range values keep the default.
      TrainerOptions read = o;
      if (ParseTrainerOption(*spec, value, read).ok() &&
          spec->range.contains(spec->get(read))) {
        o = read;
      }
      continue;
    }
    if (key == "lr_schedule") {
      absl::StatusOr<LrScheduleKind> kind = ParseLrScheduleKind(value);
      if (kind.ok()) o.lr_schedule.kind = *kind;
    } else if (key == "activation") {
      absl::StatusOr<Activation> a = ParseActivation(value);
      if (a.ok()) o.field.activation(*a);
    } else if (key == "divergence") {
      absl::StatusOr<DivergenceMethod> m = ParseDivergenceMethod(value);
      if (m.ok()) {
        divergence.method = *m;
        has_divergence = true;
      }
    } else if (key == "method") {
      absl::StatusOr<TrainingMethod> method = ParseTrainingMethod(value);
      if (method.ok()) o.method = *method;
    } else if (key == "transform") {
      absl::StatusOr<TransformSpec> transform = ParseTransformSpec(value);
      if (transform.ok()) o.transform = *transform;
    } else if (key == "probes") {
      int64_t probes = 0;
      if (absl::SimpleAtoi(value, &probes)) divergence.probes = probes;
    }
  }
  if (has_divergence) o.divergence = divergence;
  return o;
}

}  // namespace jkoflow
