#include "core/plateau_stop.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"

namespace jkoflow {

absl::Status ValidatePlateauOptions(const PlateauOptions& o) {
  RETURN_IF_ERROR(
      CheckRange(kNonNegativeCount, "plateau_eval_every", o.eval_every));
  if (o.eval_every > 0 && o.window < o.eval_every) {
    return absl::InvalidArgumentError(
        absl::StrCat("plateau_window: must be ≥ plateau_eval_every (",
                     o.eval_every, "), got ", o.window));
  }
  RETURN_IF_ERROR(
      CheckRange(kNonNegativeFinite, "plateau_tolerance", o.tolerance));
  return CheckRange(kNonNegativeCount, "min_iterations", o.min_iterations);
}

bool PlateauStop::Observe(int64_t it, double loss) {
  const double margin =
      std::isfinite(best_) ? options_.tolerance * std::max(1.0, std::abs(best_))
                           : 0.0;
  if (std::isfinite(loss) && loss < best_ - margin) {
    best_ = loss;
    best_iteration_ = it;
    return false;
  }
  return it >= options_.min_iterations &&
         it - best_iteration_ >= options_.window;
}

}  // namespace jkoflow
