#ifndef JKOFLOW_SERVER_JOBS_JOB_RUNNER_H_
#define JKOFLOW_SERVER_JOBS_JOB_RUNNER_H_

#include <torch/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/flow_model.h"
#include "core/progressive_trainer.h"
#include "core/training_run.h"
#include "server/jobs/job_store.h"
#include "server/observability/metrics.h"
#include "server/serving/model_registry.h"

namespace jkoflow {

// JobRunner does the work of one run of one job: load the data → derive the
// trainer options → core's training pipeline (RunTraining(): resume from
// the last checkpoint or start → (train a block → checkpoint it)* →
// publish), with the job's checkpoints, hooks and registry behind its
// TrainingRunSink. Run() stops at the first error. The JobManager owns the
// job's state and lends the runner the Hooks below, which are the only way
// the runner reports back. Not thread-safe: one thread runs it.
class JobRunner {
 public:
  // Context: what the runner reads or writes besides the job. Not owned.
  struct Context {
    torch::Device device = torch::Device("cpu");
    ModelRegistry* registry = nullptr;  // required
    Metrics* metrics = nullptr;         // may be null
    const JobStore* store = nullptr;    // required; paths and checkpoints
    int64_t keep_versions = 0;  // versions of a name kept after a publish
  };

  // Hooks into the JobManager; all are required.
  struct Hooks {
    // progress() reports one training iteration; `blocks_done` counts the
    // blocks finished before it.
    std::function<void(const IterationProgress& p, int64_t blocks_done)>
        progress;
    // stop() is polled between iterations: cancelled or shutting down.
    std::function<bool()> stop;
    // block_done() records and persists `blocks_done` and the new block's
    // loss once its checkpoint is on disk; an error fails the job.
    std::function<absl::Status(int64_t blocks_done, double loss)> block_done;
    // reserve_version() returns the version to publish as, persisted in the
    // job record so that a restart reuses it; an error (cancelled,
    // stopping, not persisted) ends the run without publishing.
    std::function<absl::StatusOr<int64_t>()> reserve_version;
  };

  JobRunner(const Context& context, const JobRecord& record, Hooks hooks);

  // Run() does every step; OK once the model is published and loaded.
  absl::Status Run();

 private:
  class Sink;  // the job's TrainingRunSink: checkpoints, hooks, publishing

  // LoadData() generates or reads the job's points and checks them.
  absl::Status LoadData();
  // LoadBase() loads the version a TrainBlock job extends and returns the
  // options it was trained with.
  absl::StatusOr<TrainerOptions> LoadBase();
  // MakeOptions() derives the trainer options from the job's
  // hyper-parameters over the defaults; warm start only from a block of
  // the same architecture.
  absl::Status MakeOptions(const TrainerOptions& defaults);
  // ReportBlock() exports the new block's statistics and logs them.
  void ReportBlock(const FlowModel& model) const;

  const Context context_;
  const JobRecord record_;
  const Hooks hooks_;
  torch::Tensor data_;  // [n, dim]
  TrainerOptions options_;
  std::optional<FlowModel> base_;  // the version a TrainBlock job extends
};

}  // namespace jkoflow

#endif  // JKOFLOW_SERVER_JOBS_JOB_RUNNER_H_
