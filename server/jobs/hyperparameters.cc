#include "server/jobs/hyperparameters.h"

#include <google/protobuf/descriptor.h>

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

// TableFieldsFromProto() overlays every Hyperparameters field that
// TrainerOptionTable() maps (proto_field), range-checked by the table.
absl::Status TableFieldsFromProto(const v1::Hyperparameters& hp,
                                  TrainerOptions& o) {
  const google::protobuf::Descriptor* descriptor = hp.GetDescriptor();
  const google::protobuf::Reflection* reflection = hp.GetReflection();
  for (const TrainerOptionSpec& spec : TrainerOptionTable()) {
    if (*spec.proto_field == '\0') continue;
    const google::protobuf::FieldDescriptor* field =
        descriptor->FindFieldByName(spec.proto_field);
    if (field == nullptr || !reflection->HasField(hp, field)) continue;
    double value = 0;
    switch (field->cpp_type()) {
      case google::protobuf::FieldDescriptor::CPPTYPE_INT64:
        value = static_cast<double>(reflection->GetInt64(hp, field));
        break;
      case google::protobuf::FieldDescriptor::CPPTYPE_DOUBLE:
        value = reflection->GetDouble(hp, field);
        break;
      default:
        return absl::InternalError(absl::StrCat(
            "hyperparameters.", spec.proto_field, ": unexpected field type"));
    }
    RETURN_IF_ERROR(CheckTrainerOption(
        spec, absl::StrCat("hyperparameters.", spec.proto_field), value));
    spec.set(o, value);
  }
  if (!hp.lr_schedule().empty()) {
    absl::StatusOr<LrScheduleKind> kind = ParseLrScheduleKind(hp.lr_schedule());
    if (!kind.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("hyperparameters.", kind.status().message()));
    }
    o.lr_schedule.kind = *kind;
  }
  return absl::OkStatus();
}

// DivergenceFromProto() overlays the training divergence and its probes.
absl::Status DivergenceFromProto(const v1::Hyperparameters& hp,
                                 TrainerOptions& o) {
  if (hp.has_probes() && (hp.probes() < 1 || hp.probes() > 1024)) {
    return OutOfRange("probes", "in [1, 1024]", hp.probes());
  }
  switch (hp.divergence()) {
    case v1::DIVERGENCE_METHOD_EXACT:
      o.divergence = DivergenceOptions();
      return absl::OkStatus();
    case v1::DIVERGENCE_METHOD_HUTCHINSON: {
      DivergenceOptions d;
      d.method = DivergenceMethod::kHutchinson;
      d.probes = hp.has_probes() ? hp.probes() : 1;
      o.divergence = d;
      return absl::OkStatus();
    }
    case v1::DIVERGENCE_METHOD_UNSPECIFIED:
      if (hp.has_probes() && o.divergence.has_value()) {
        o.divergence->probes = hp.probes();
      }
      return absl::OkStatus();
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("hyperparameters.divergence: unknown method ",
                       static_cast<int>(hp.divergence())));
  }
}

}  // namespace

absl::StatusOr<TrainerOptions> TrainerOptionsFromProto(
    const v1::Hyperparameters& hp, TrainerOptions o, int64_t num_points,
    int64_t dim) {
  RETURN_IF_ERROR(TableFieldsFromProto(hp, o));
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
  if (hp.adaptive_step()) o.step_size.adaptive = true;
  if (hp.has_stop_tolerance()) {
    if (!std::isfinite(hp.stop_tolerance())) {
      return OutOfRange("stop_tolerance", "finite", hp.stop_tolerance());
    }
    o.stop_tolerance = std::max(0.0, hp.stop_tolerance());
  }
  if (!hp.activation().empty()) {
    absl::StatusOr<Activation> activation = ParseActivation(hp.activation());
    if (!activation.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("hyperparameters.", activation.status().message()));
    }
    o.field.activation(*activation);
  }
  RETURN_IF_ERROR(DivergenceFromProto(hp, o));
  if (!hp.transform().empty()) {
    absl::StatusOr<TransformSpec> transform =
        ParseTransformSpec(hp.transform());
    if (!transform.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("hyperparameters.", transform.status().message()));
    }
    o.transform = *transform;
  }
  if (hp.has_validation_gate()) o.validation_gate = hp.validation_gate();
  if (!hp.method().empty()) {
    absl::StatusOr<TrainingMethod> method = ParseTrainingMethod(hp.method());
    if (!method.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("hyperparameters.", method.status().message()));
    }
    o.method = *method;
  }
  if (hp.has_seed()) o.seed = hp.seed();
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
