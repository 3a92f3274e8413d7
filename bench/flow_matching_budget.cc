#include "bench/flow_matching_budget.h"

#include <algorithm>
#include <chrono>
#include <vector>

#include "base/status_macros.h"

namespace jkoflow {

// Two probes of different lengths, timed whole, do not do: at d = 784 the
// fixed costs are seconds and their jitter swamps a difference of a few
// hundred milliseconds. One probe's own timestamps do.
absl::StatusOr<int64_t> IterationsForBudget(const std::string& set,
                                            const BenchData& data,
                                            TrainerOptions probe,
                                            double budget_seconds) {
  constexpr int64_t kProbeIterations = 220;
  constexpr int64_t kWarmUp = 20;
  probe.iterations_per_block = kProbeIterations;
  probe.validation_every = 0;
  probe.validation_gate = false;
  std::vector<double> stamps;
  const auto start = std::chrono::steady_clock::now();
  ASSIGN_OR_RETURN(auto trainer, ProgressiveTrainer::Create(probe, data.train));
  FlowModel model = trainer->NewModel(set);
  RETURN_IF_ERROR(trainer
                      ->TrainNextBlock(model,
                                       [&stamps](const IterationProgress& p) {
                                         stamps.push_back(p.block_seconds);
                                       })
                      .status());
  const double total =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  if (static_cast<int64_t>(stamps.size()) <= kWarmUp) {
    return absl::InternalError("flow matching probe: too few iterations");
  }
  const double per_iteration =
      std::max(1e-6, (stamps.back() - stamps[kWarmUp - 1]) /
                         static_cast<double>(stamps.size() - kWarmUp));
  const double fixed =
      std::max(0.0, total - static_cast<double>(stamps.size()) * per_iteration);
  return std::max<int64_t>(
      kWarmUp, static_cast<int64_t>((budget_seconds - fixed) / per_iteration));
}

}  // namespace jkoflow
