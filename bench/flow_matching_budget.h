#ifndef JKOFLOW_BENCH_FLOW_MATCHING_BUDGET_H_
#define JKOFLOW_BENCH_FLOW_MATCHING_BUDGET_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "bench/bench_data.h"
#include "core/progressive_trainer.h"

namespace jkoflow {

// IterationsForBudget() is how many iterations of `options` (a
// flow-matching setup: one block) fill `budget_seconds` of training on
// `data.train`. It runs one probe of a few hundred iterations: the progress
// timestamps after a warm-up give the seconds per iteration, and the
// probe's wall-clock less its iterations the fixed costs (fitting the
// transform, the statistics). Both suites size their flow-matching peer
// with it, so that the peer trains for the default's wall-clock.
absl::StatusOr<int64_t> IterationsForBudget(const std::string& set,
                                            const BenchData& data,
                                            TrainerOptions options,
                                            double budget_seconds);

}  // namespace jkoflow

#endif  // JKOFLOW_BENCH_FLOW_MATCHING_BUDGET_H_
