#ifndef JKOFLOW_CORE_TRAINER_OPTION_TABLE_H_
#define JKOFLOW_CORE_TRAINER_OPTION_TABLE_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/option_range.h"
#include "core/progressive_trainer.h"

namespace jkoflow {

// TrainerOptionSpec is one scalar field of TrainerOptions: the one place
// that gives its name, range, default (TrainerOptions()'s value) and string
// form. ValidateTrainerOptions() checks the ranges, the trainer writes the
// model's provenance from it and the server reads provenance and maps
// training.proto's Hyperparameters through it.
struct TrainerOptionSpec {
  enum class Type { kInt, kDouble, kBool };
  const char* name;         // provenance key and the name errors use
  const char* proto_field;  // Hyperparameters field that sets it, or ""
  Type type;
  OptionRange range;  // the option module's own range where it has one
  double (*get)(const TrainerOptions& options);
  void (*set)(TrainerOptions& options, double value);
};

// TrainerOptionTable() lists the scalar options in provenance order.
const std::vector<TrainerOptionSpec>& TrainerOptionTable();

// FindTrainerOption() is the spec named `name` (provenance key), or null.
const TrainerOptionSpec* FindTrainerOption(const std::string& name);

// CheckTrainerOption() is INVALID_ARGUMENT "<field>: must be <range>, got
// <value>" when `value` is out of `spec`'s range; `field` names the option
// as the caller's user knows it.
absl::Status CheckTrainerOption(const TrainerOptionSpec& spec,
                                const std::string& field, double value);

// FormatTrainerOption() is the string form of `spec`'s value in `options`
// (integers without a decimal point, "true"/"false" for booleans).
std::string FormatTrainerOption(const TrainerOptionSpec& spec,
                                const TrainerOptions& options);

// ParseTrainerOption() reads FormatTrainerOption()'s form into `options`;
// INVALID_ARGUMENT for a string of the wrong type (the value is not range
// checked: ValidateTrainerOptions() does that).
absl::Status ParseTrainerOption(const TrainerOptionSpec& spec,
                                const std::string& text,
                                TrainerOptions& options);

}  // namespace jkoflow

#endif  // JKOFLOW_CORE_TRAINER_OPTION_TABLE_H_
