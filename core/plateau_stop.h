#ifndef JKOFLOW_CORE_PLATEAU_STOP_H_
#define JKOFLOW_CORE_PLATEAU_STOP_H_

#include <cstdint>
#include <limits>

#include "absl/status/status.h"
#include "core/option_range.h"

namespace jkoflow {

// PlateauOptions: the per-block stopping rule on a held-out batch. Every
// `eval_every` iterations the block's loss is evaluated on held-out points;
// the block stops once that loss has not improved on its best by more than
// tolerance · max(1, |best|) for `window` iterations, but never before
// `min_iterations` (the iteration budget stays the upper bound).
struct PlateauOptions {
  int64_t eval_every = 0;  // 0 disables the rule
  int64_t window = 100;
  double tolerance = 1e-3;
  int64_t min_iterations = 0;
};

// ValidatePlateauOptions() names the first out-of-range field.
absl::Status ValidatePlateauOptions(const PlateauOptions& options);

// PlateauStop applies PlateauOptions to a sequence of held-out losses. Not
// thread-safe; one per block.
class PlateauStop {
 public:
  explicit PlateauStop(const PlateauOptions& options) : options_(options) {}

  // Enabled() says whether the rule is on at all.
  bool Enabled() const { return options_.eval_every > 0; }

  // Due() says whether 1-based iteration `it` should be evaluated.
  bool Due(int64_t it) const {
    return Enabled() && it % options_.eval_every == 0;
  }

  // Observe() records the held-out loss after iteration `it` and returns
  // true when the block should stop. A non-finite loss never counts as an
  // improvement.
  bool Observe(int64_t it, double loss);

  double best() const { return best_; }

 private:
  PlateauOptions options_;
  double best_ = std::numeric_limits<double>::infinity();
  int64_t best_iteration_ = 0;
};

}  // namespace jkoflow

#endif  // JKOFLOW_CORE_PLATEAU_STOP_H_
