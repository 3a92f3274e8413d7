#ifndef JKOFLOW_CORE_TRAINING_RUN_H_
#define JKOFLOW_CORE_TRAINING_RUN_H_
// One training pipeline for every program that trains a model (the server's
// jobs, jkoflow-train-worker): trainer → resume or start → for each block:
// train, checkpoint → publish. What differs between them (where checkpoints
// and versions go, how progress is reported, when to stop) sits behind
// TrainingRunSink.

#include <torch/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/collective.h"
#include "core/flow_model.h"
#include "core/progressive_trainer.h"

namespace jkoflow {

// ResumePoint is where an interrupted run left off: its model and how many
// blocks this run had added to it.
struct ResumePoint {
  FlowModel model;
  int64_t blocks_done = 0;
};

// TrainingRunSink is what a caller lends RunTraining(). Calls come from the
// training thread, in order.
class TrainingRunSink {
 public:
  virtual ~TrainingRunSink() = default;
  // Resume() returns the last checkpoint of an earlier run of this job, or
  // nullopt to start (from the base model, or a new one).
  virtual absl::StatusOr<std::optional<ResumePoint>> Resume() = 0;
  // Started() sees the model training starts from (resumed, base or new)
  // and the data before the first block; an error ends the run.
  virtual absl::Status Started(const FlowModel& model,
                               const torch::Tensor& data) {
    return absl::OkStatus();
  }
  // Progress() reports one iteration; `blocks_done` counts this run's
  // blocks finished before it.
  virtual void Progress(const IterationProgress& p, int64_t blocks_done) {}
  // Stop() is polled between iterations; true cancels the run.
  virtual bool Stop() { return false; }
  // BlockDone() checkpoints `model` after this run's `blocks_done`-th block.
  virtual absl::Status BlockDone(const FlowModel& model,
                                 int64_t blocks_done) = 0;
  // Publish() makes the finished model available.
  virtual absl::Status Publish(const FlowModel& model) = 0;
};

// TrainingRunSpec is what to train.
struct TrainingRunSpec {
  TrainerOptions options;  // device included
  torch::Tensor data;      // [n, dim], loaded and checked by the caller
  // The ranks that share each batch (null: one process).
  std::shared_ptr<Collective> collective;
  // A model to add blocks to (its transform is kept); nullopt: a new one,
  // with `dataset_label` and `owner` in its provenance.
  std::optional<FlowModel> base;
  std::string dataset_label;
  std::string owner;
  // Blocks this run adds at most (0: options.max_blocks).
  int64_t blocks_total = 0;
  // Whether a resumed run whose last block had converged (its relative
  // movement below options.stop_tolerance) stops there.
  bool resume_converged = true;
};

// RunTraining() runs the pipeline and returns the published model. It stops
// adding blocks at blocks_total, at convergence, or when the validation gate
// drops a block (the model stays as it was); the first error of a step or
// of the sink ends it.
absl::StatusOr<FlowModel> RunTraining(TrainingRunSpec spec,
                                      TrainingRunSink& sink);

}  // namespace jkoflow

#endif  // JKOFLOW_CORE_TRAINING_RUN_H_
