#ifndef JKOFLOW_CORE_LR_SCHEDULE_H_
#define JKOFLOW_CORE_LR_SCHEDULE_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/option_range.h"

namespace jkoflow {

// LrScheduleKind: a constant rate, or a linear warm-up followed by a cosine
// decay over the block's iteration budget.
enum class LrScheduleKind { kConstant, kCosine };

// LrSchedule is the learning rate of one block's iterations. Every block
// restarts the schedule (its Adam state is fresh too).
struct LrSchedule {
  LrScheduleKind kind = LrScheduleKind::kCosine;
  // Fraction of the iteration budget spent rising linearly from 0 to the
  // peak rate (cosine only), in [0, 1).
  double warmup_fraction = 0.05;
  // The rate at the end of the budget, as a fraction of the peak, in [0, 1].
  double final_fraction = 0.02;
};

// The ranges of the schedule's fractions (core/option_range.h).
inline constexpr OptionRange kWarmupFractionRange{
    "in [0, 1)", [](double v) { return v >= 0 && v < 1; }};
inline constexpr OptionRange kFinalLrFractionRange{
    "in [0, 1]", [](double v) { return v >= 0 && v <= 1; }};

// ValidateLrSchedule() names the first out-of-range field.
absl::Status ValidateLrSchedule(const LrSchedule& schedule);

// LearningRateAt() is the rate of 1-based iteration `it` of `iterations` for
// peak rate `peak`. Constant: peak. Cosine: peak·it/w for it ≤ w (w the
// warm-up length, at least 1 iteration when warmup_fraction > 0), then
// final + (peak − final)·(1 + cos(π·s))/2, s ∈ [0, 1] the progress after the
// warm-up. Iterations past the budget get the final rate.
double LearningRateAt(const LrSchedule& schedule, double peak, int64_t it,
                      int64_t iterations);

// LrScheduleKindName() is "constant" or "cosine"; ParseLrScheduleKind()
// inverts it (InvalidArgument names the accepted values).
std::string LrScheduleKindName(LrScheduleKind kind);
absl::StatusOr<LrScheduleKind> ParseLrScheduleKind(const std::string& name);

}  // namespace jkoflow

#endif  // JKOFLOW_CORE_LR_SCHEDULE_H_
