#ifndef JKOFLOW_SERVER_JOBS_JOB_TYPES_H_
#define JKOFLOW_SERVER_JOBS_JOB_TYPES_H_

// The job room's own vocabulary: what a job request asks for and what a
// job reports. The RPC room converts jkoflow.v1 messages to and from these
// (server/rpc/job_messages.h); nothing in server/jobs/ sees a proto.

#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace jkoflow {

// JobState: QUEUED → RUNNING → SUCCEEDED, FAILED or CANCELLED.
enum class JobState { kQueued, kRunning, kSucceeded, kFailed, kCancelled };

// IsTerminal() is true for SUCCEEDED, FAILED and CANCELLED.
bool IsTerminal(JobState state);

// JobStateName() is "QUEUED", "RUNNING", "SUCCEEDED", "FAILED" or
// "CANCELLED" (logs and the job store); ParseJobState() inverts it.
const char* JobStateName(JobState state);
std::optional<JobState> ParseJobState(const std::string& name);

// JobInfo is what clients see of a job: its state and progress.
struct JobInfo {
  std::string id;
  JobState state = JobState::kQueued;
  std::string model_name;
  int64_t blocks_done = 0;
  int64_t blocks_total = 0;
  int64_t iteration = 0;      // within the current block
  int64_t iterations = 0;     // per block
  std::string error;          // FAILED / CANCELLED reason
  int64_t model_version = 0;  // the version written on success
  std::string created_utc;
  std::string updated_utc;
  double last_loss = 0;
};

// JobProgress is a job's latest progress event; `revision` changes whenever
// the event does, so a watcher can tell news from repeats.
struct JobProgress {
  JobInfo job;
  int64_t block = 0;  // 1-based block being trained
  int64_t iteration = 0;
  double loss = 0;
  double potential = 0;
  double neg_divergence = 0;
  double movement_term = 0;
  double h = 0;
  double eta_seconds = 0;  // estimated time to finish the job
  uint64_t revision = 0;
};

// GeneratorRequest names a built-in data set ("8gaussians", …) or a
// "gmm:<dim>:<components>:<seed>" mixture, its size (0: the default) and
// its seed; DataSpecFromGenerator() checks it.
struct GeneratorRequest {
  std::string name;
  int64_t n = 0;
  uint64_t seed = 0;
};

// DataRequest is a request's data source: a generator, a file under
// --data_dir, or none (an upload, or a TrainBlock that reuses the model's).
struct DataRequest {
  enum class Kind { kNone, kGenerator, kFile };
  Kind kind = Kind::kNone;
  GeneratorRequest generator;  // kGenerator
  std::string file;            // kFile: relative to --data_dir
};

// TrainingSettings is what a request asks of training, over the defaults
// (a new model: TrainerOptions(); one more block: what the model was
// trained with). Unset fields keep the default; values are checked by
// TrainerOptionsFromSettings() (hyperparameters.h), whose errors name
// "hyperparameters.<field>" as the wire names them.
struct TrainingSettings {
  // The scalar options that TrainerOptionTable() maps to a wire field
  // (TrainerOptionSpec::proto_field), by that field's name: "blocks" → 6.
  std::map<std::string, double> scalars;
  std::optional<int64_t> batch_size;
  bool adaptive_step = false;  // true turns the adaptive rule on
  std::optional<double> stop_tolerance;
  std::string activation;  // "" keeps; see ParseActivation()
  // "" keeps; "exact" or "hutchinson" (ParseDivergenceMethod()).
  std::string divergence;
  std::optional<int64_t> probes;
  std::optional<uint64_t> seed;
  std::string lr_schedule;  // "" keeps; see ParseLrScheduleKind()
  std::string transform;    // "" keeps; see ParseTransformSpec()
  std::optional<bool> validation_gate;
  std::string method;  // "" keeps; see ParseTrainingMethod()
};

// NewModelJob asks for a new model `model_name` trained on `data` (kNone
// for an upload, whose points come separately).
struct NewModelJob {
  std::string model_name;
  DataRequest data;
  TrainingSettings settings;
};

// BlockJob asks for one more block on version `version` (0: the newest) of
// model `model_name`; data kNone reuses what the model was trained on.
struct BlockJob {
  std::string model_name;
  int64_t version = 0;
  DataRequest data;
  TrainingSettings settings;
};

}  // namespace jkoflow

#endif  // JKOFLOW_SERVER_JOBS_JOB_TYPES_H_
