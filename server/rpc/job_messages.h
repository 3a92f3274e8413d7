#ifndef JKOFLOW_SERVER_RPC_JOB_MESSAGES_H_
#define JKOFLOW_SERVER_RPC_JOB_MESSAGES_H_

// Where TrainingService's wire messages meet the job room's own types
// (server/jobs/job_types.h): requests in, jobs and progress events out.

#include "absl/status/statusor.h"
#include "jkoflow/v1/training.pb.h"
#include "server/jobs/job_types.h"

namespace jkoflow {

// SettingsFromProto() reads the fields set in `hp`. INVALID_ARGUMENT
// naming "hyperparameters.divergence" for an enum value this server does
// not know; every other value is checked later, against the data, by
// TrainerOptionsFromSettings().
absl::StatusOr<TrainingSettings> SettingsFromProto(
    const v1::Hyperparameters& hp);

// NewModelJobFromProto() and BlockJobFromProto() read a request; errors as
// SettingsFromProto().
absl::StatusOr<NewModelJob> NewModelJobFromProto(
    const v1::CreateTrainingJobRequest& request);
absl::StatusOr<BlockJob> BlockJobFromProto(
    const v1::TrainBlockRequest& request);

// JobToProto() and JobEventToProto() write what a client sees.
v1::Job JobToProto(const JobInfo& job);
v1::JobEvent JobEventToProto(const JobProgress& progress);

}  // namespace jkoflow

#endif  // JKOFLOW_SERVER_RPC_JOB_MESSAGES_H_
