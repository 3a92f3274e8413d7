#include "core/trainer_option_table.h"

#include <cmath>
#include <cstdint>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/block_diagnostics.h"
#include "core/lr_schedule.h"
#include "core/velocity_field.h"

namespace jkoflow {
namespace {

using Type = TrainerOptionSpec::Type;

// Ranges of options that only the trainer has (the others come from the
// module that owns the option).
constexpr OptionRange kBlocks{"in [1, 1000]",
                              [](double v) { return v >= 1 && v <= 1000; }};
constexpr OptionRange kIterations{
    "in [1, 10000000]", [](double v) { return v >= 1 && v <= 10000000; }};
constexpr OptionRange kSteps{"in [1, 10000]",
                             [](double v) { return v >= 1 && v <= 10000; }};
constexpr OptionRange kLearningRate{"in (0, 1]",
                                    [](double v) { return v > 0 && v <= 1; }};
constexpr OptionRange kUnitClosed{"in [0, 1]",
                                  [](double v) { return v >= 0 && v <= 1; }};
constexpr OptionRange kGradClip{"≥ 0 and finite (0 disables)", [](double v) {
                                  return v >= 0 && std::isfinite(v);
                                }};
constexpr OptionRange kStopTolerance{"≥ 0", [](double v) { return v >= 0; }};
constexpr OptionRange kDiagnosticPoints{
    "0 or in [2, 5000]", [](double v) {
      return v == 0 || (v >= kMinDiagnosticPoints && v <= kMaxDiagnosticPoints);
    }};
static_assert(kMinDiagnosticPoints == 2 && kMaxDiagnosticPoints == 5000,
              "kDiagnosticPoints' text names the range");

// The accessors, one line each: TrainerOptions is a plain struct.
#define JKOFLOW_FIELD(expr, cast)                                      \
  [](const TrainerOptions& o) { return static_cast<double>(o.expr); }, \
      [](TrainerOptions& o, double v) { o.expr = static_cast<cast>(v); }
#define JKOFLOW_ARG(expr, cast)                                          \
  [](const TrainerOptions& o) { return static_cast<double>(o.expr()); }, \
      [](TrainerOptions& o, double v) { o.expr(static_cast<cast>(v)); }

// The table in three parts, in its order: the optimisation (blocks,
// iterations, batch, rate and schedule, plateau rule, held-out rows,
// clipping, decay), the step sizes, stopping, smoothing and RK4 steps, and
// the field and the per-block checks.
std::vector<TrainerOptionSpec> OptimisationRows() {
  return {
      {"max_blocks", "blocks", Type::kInt, kBlocks,
       JKOFLOW_FIELD(max_blocks, int64_t)},
      {"iterations_per_block", "iterations", Type::kInt, kIterations,
       JKOFLOW_FIELD(iterations_per_block, int64_t)},
      {"batch_size", "", Type::kInt, kAtLeastOne,
       JKOFLOW_FIELD(batch_size, int64_t)},
      {"learning_rate", "learning_rate", Type::kDouble, kLearningRate,
       JKOFLOW_FIELD(learning_rate, double)},
      {"warmup_fraction", "warmup_fraction", Type::kDouble,
       kWarmupFractionRange,
       JKOFLOW_FIELD(lr_schedule.warmup_fraction, double)},
      {"final_lr_fraction", "final_lr_fraction", Type::kDouble,
       kFinalLrFractionRange,
       JKOFLOW_FIELD(lr_schedule.final_fraction, double)},
      {"plateau_eval_every", "plateau_eval_every", Type::kInt,
       kNonNegativeCount, JKOFLOW_FIELD(plateau.eval_every, int64_t)},
      {"plateau_window", "plateau_window", Type::kInt, kNonNegativeCount,
       JKOFLOW_FIELD(plateau.window, int64_t)},
      {"plateau_tolerance", "plateau_tolerance", Type::kDouble,
       kNonNegativeFinite, JKOFLOW_FIELD(plateau.tolerance, double)},
      {"min_iterations", "min_iterations", Type::kInt, kNonNegativeCount,
       JKOFLOW_FIELD(plateau.min_iterations, int64_t)},
      {"holdout_points", "", Type::kInt, kAtLeastOne,
       JKOFLOW_FIELD(holdout_points, int64_t)},
      {"grad_clip_norm", "grad_clip", Type::kDouble, kGradClip,
       JKOFLOW_FIELD(grad_clip_norm, double)},
      {"weight_decay", "weight_decay", Type::kDouble, kNonNegativeFinite,
       JKOFLOW_FIELD(weight_decay, double)},
  };
}

std::vector<TrainerOptionSpec> StepRows() {
  return {
      {"h0", "h0", Type::kDouble, kPositiveFinite,
       JKOFLOW_FIELD(step_size.h0, double)},
      {"rho", "rho", Type::kDouble, kPositiveFinite,
       JKOFLOW_FIELD(step_size.rho, double)},
      {"h_max", "h_max", Type::kDouble, kPositiveFinite,
       JKOFLOW_FIELD(step_size.h_max, double)},
      {"adaptive_step", "", Type::kBool, kAnyValue,
       JKOFLOW_FIELD(step_size.adaptive, bool)},
      {"eta", "", Type::kDouble, kUnitClosed,
       JKOFLOW_FIELD(step_size.eta, double)},
      {"stop_tolerance", "", Type::kDouble, kStopTolerance,
       JKOFLOW_FIELD(stop_tolerance, double)},
      {"smoothing_tau", "smoothing_tau", Type::kDouble, kNonNegativeFinite,
       JKOFLOW_FIELD(smoothing_tau, double)},
      {"warm_start", "", Type::kBool, kAnyValue,
       JKOFLOW_FIELD(warm_start, bool)},
      {"steps", "steps", Type::kInt, kSteps, JKOFLOW_FIELD(steps, int64_t)},
  };
}

std::vector<TrainerOptionSpec> FieldAndCheckRows() {
  return {
      {"width", "width", Type::kInt, kFieldWidthRange,
       JKOFLOW_ARG(field.width, int64_t)},
      {"depth", "depth", Type::kInt, kFieldDepthRange,
       JKOFLOW_ARG(field.depth, int64_t)},
      {"softplus_beta", "", Type::kDouble, kPositiveFinite,
       JKOFLOW_ARG(field.softplus_beta, double)},
      {"time_input", "", Type::kBool, kAnyValue,
       JKOFLOW_ARG(field.time_input, bool)},
      {"stats_points", "", Type::kInt, kAtLeastOne,
       JKOFLOW_FIELD(stats_points, int64_t)},
      {"diagnostic_points", "diagnostic_points", Type::kInt, kDiagnosticPoints,
       JKOFLOW_FIELD(diagnostic_points, int64_t)},
      {"validation_gate", "", Type::kBool, kAnyValue,
       JKOFLOW_FIELD(validation_gate, bool)},
      {"validation_every", "validation_every", Type::kInt, kNonNegativeCount,
       JKOFLOW_FIELD(validation_every, int64_t)},
  };
}

std::vector<TrainerOptionSpec> BuildTable() {
  std::vector<TrainerOptionSpec> table = OptimisationRows();
  for (auto part : {StepRows(), FieldAndCheckRows()}) {
    table.insert(table.end(), part.begin(), part.end());
  }
  return table;
}

#undef JKOFLOW_FIELD
#undef JKOFLOW_ARG

}  // namespace

const std::vector<TrainerOptionSpec>& TrainerOptionTable() {
  static const std::vector<TrainerOptionSpec>* const table =
      new std::vector<TrainerOptionSpec>(BuildTable());
  return *table;
}

const TrainerOptionSpec* FindTrainerOption(const std::string& name) {
  for (const TrainerOptionSpec& spec : TrainerOptionTable()) {
    if (name == spec.name) return &spec;
  }
  return nullptr;
}

absl::Status CheckTrainerOption(const TrainerOptionSpec& spec,
                                const std::string& field, double value) {
  return CheckRange(spec.range, field, value);
}

std::string FormatTrainerOption(const TrainerOptionSpec& spec,
                                const TrainerOptions& options) {
  const double value = spec.get(options);
  switch (spec.type) {
    case Type::kBool:
      return value != 0 ? "true" : "false";
    case Type::kInt:
      return absl::StrCat(static_cast<int64_t>(value));
    case Type::kDouble:
      break;
  }
  return absl::StrCat(value);
}

absl::Status ParseTrainerOption(const TrainerOptionSpec& spec,
                                const std::string& text,
                                TrainerOptions& options) {
  switch (spec.type) {
    case Type::kBool:
      if (text != "true" && text != "false") break;
      spec.set(options, text == "true" ? 1 : 0);
      return absl::OkStatus();
    case Type::kInt: {
      int64_t value = 0;
      if (!absl::SimpleAtoi(text, &value)) break;
      spec.set(options, static_cast<double>(value));
      return absl::OkStatus();
    }
    case Type::kDouble: {
      double value = 0;
      if (!absl::SimpleAtod(text, &value)) break;
      spec.set(options, value);
      return absl::OkStatus();
    }
  }
  return absl::InvalidArgumentError(
      absl::StrCat(spec.name, ": cannot read \"", text, "\""));
}

}  // namespace jkoflow
