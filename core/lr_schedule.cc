#include "core/lr_schedule.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"

namespace jkoflow {

absl::Status ValidateLrSchedule(const LrSchedule& s) {
  RETURN_IF_ERROR(
      CheckRange(kWarmupFractionRange, "warmup_fraction", s.warmup_fraction));
  return CheckRange(kFinalLrFractionRange, "final_lr_fraction",
                    s.final_fraction);
}

double LearningRateAt(const LrSchedule& s, double peak, int64_t it,
                      int64_t iterations) {
  if (s.kind == LrScheduleKind::kConstant) return peak;
  const double final_rate = s.final_fraction * peak;
  if (it > iterations) return final_rate;
  const int64_t warmup =
      s.warmup_fraction > 0
          ? std::max<int64_t>(1, static_cast<int64_t>(
                                     std::ceil(s.warmup_fraction * iterations)))
          : 0;
  if (it <= warmup) return peak * static_cast<double>(it) / warmup;
  const int64_t span = std::max<int64_t>(1, iterations - warmup);
  const double progress =
      std::min(1.0, static_cast<double>(it - warmup) / span);
  constexpr double kPi = 3.14159265358979323846;
  return final_rate +
         (peak - final_rate) * 0.5 * (1.0 + std::cos(kPi * progress));
}

std::string LrScheduleKindName(LrScheduleKind kind) {
  return kind == LrScheduleKind::kCosine ? "cosine" : "constant";
}

absl::StatusOr<LrScheduleKind> ParseLrScheduleKind(const std::string& name) {
  if (name == "cosine") return LrScheduleKind::kCosine;
  if (name == "constant") return LrScheduleKind::kConstant;
  return absl::InvalidArgumentError(absl::StrCat(
      "lr_schedule: must be constant or cosine, got \"", name, "\""));
}

}  // namespace jkoflow
