#ifndef JKOFLOW_SERVER_JOB_RUNNER_H_
#define JKOFLOW_SERVER_JOB_RUNNER_H_

#include <torch/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/flow_model.h"
#include "core/progressive_trainer.h"
#include "server/job_store.h"
#include "server/metrics.h"
#include "server/model_registry.h"

namespace jkoflow {

// JobRunner does the work of one run of one job, step by step: load the
// data → derive the trainer options → resume from the last checkpoint or
// start → (train a block → checkpoint it)* → publish the model. Each step
// is one function; Run() calls them in order and stops at the first error.
// The runner owns the data, model and trainer of the run; the JobManager
// owns the job's state and lends the runner the Hooks below, which are the
// only way the runner reports back. Not thread-safe: one thread runs it.
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
  // LoadData() generates or reads the job's points and checks them.
  absl::Status LoadData();
  // LoadBase() loads the version a TrainBlock job extends and returns the
  // options it was trained with.
  absl::StatusOr<TrainerOptions> LoadBase();
  // MakeOptions() derives the trainer options from the job's
  // hyper-parameters over the defaults; warm start only from a block of
  // the same architecture.
  absl::Status MakeOptions(const TrainerOptions& defaults);
  // ResumeOrStart() loads the checkpoint of the blocks already done, or
  // starts a new model recording the job's model owner (or the base
  // version for TrainBlock, which keeps its owner).
  absl::Status ResumeOrStart();
  // TrainBlock() trains the next block; sets converged_.
  absl::Status TrainBlock();
  // Checkpoint() writes the model after done_ blocks, reports it, and
  // prunes older checkpoints.
  absl::Status Checkpoint();
  // Publish() writes the model as the reserved version, loads it and
  // removes versions beyond keep_versions.
  absl::Status Publish();
  // ReportBlock() exports the new block's statistics and logs them.
  void ReportBlock(const BlockStats& stats) const;

  const Context context_;
  const JobRecord record_;
  const Hooks hooks_;
  torch::Tensor data_;  // [n, dim]
  TrainerOptions options_;
  std::unique_ptr<ProgressiveTrainer> trainer_;
  std::optional<FlowModel> model_;
  int64_t done_ = 0;  // blocks of this job done so far
  bool converged_ = false;
};

}  // namespace jkoflow

#endif  // JKOFLOW_SERVER_JOB_RUNNER_H_
