#ifndef JKOFLOW_SERVER_JOBS_HYPERPARAMETERS_H_
#define JKOFLOW_SERVER_JOBS_HYPERPARAMETERS_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/flow_model.h"
#include "core/progressive_trainer.h"
#include "server/jobs/job_types.h"

namespace jkoflow {

// TrainerOptionsFromSettings() overlays the fields set in `settings` on
// `defaults` for training on `num_points` points of dimension `dim`. An unset
// batch_size becomes min(default, num_points); stop_tolerance ≤ 0 disables
// the stop rule; grad_clip 0 disables clipping. Every value is checked
// (ranges of training.proto, then core's ValidateTrainerOptions); errors are
// INVALID_ARGUMENT naming "hyperparameters.<field>" and the limit.
absl::StatusOr<TrainerOptions> TrainerOptionsFromSettings(
    const TrainingSettings& settings, TrainerOptions defaults,
    int64_t num_points, int64_t dim);

// CheckBlockParams() is INVALID_ARGUMENT naming --max_block_params when a
// block with `field` (its dim set) has more than `limit` parameters; a
// limit ≤ 0 accepts any size.
absl::Status CheckBlockParams(const VelocityFieldOptions& field, int64_t limit);

// TrainerOptionsFromProvenance() returns the options a model was trained
// with, as recorded by ProgressiveTrainer::NewModel(); keys that are missing
// or unreadable keep the defaults of TrainerOptions.
TrainerOptions TrainerOptionsFromProvenance(const Provenance& provenance);

}  // namespace jkoflow

#endif  // JKOFLOW_SERVER_JOBS_HYPERPARAMETERS_H_
