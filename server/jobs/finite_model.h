#ifndef JKOFLOW_SERVER_JOBS_FINITE_MODEL_H_
#define JKOFLOW_SERVER_JOBS_FINITE_MODEL_H_

#include "absl/status/status.h"
#include "core/flow_model.h"

namespace jkoflow {

// CheckFiniteModel() says whether every block of `model` has finite
// statistics and weights. A job checks it before it checkpoints or publishes
// a model, so that a diverged block fails the job instead of leaving a
// checkpoint or a version in the store that cannot be loaded. Returns
// FAILED_PRECONDITION naming the block and the first non-finite value.
absl::Status CheckFiniteModel(const FlowModel& model);

}  // namespace jkoflow

#endif  // JKOFLOW_SERVER_JOBS_FINITE_MODEL_H_
