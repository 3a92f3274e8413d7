#include "core/training_run.h"

#include <utility>

#include "base/status_macros.h"
#include "core/block_diagnostics.h"

namespace jkoflow {
namespace {

// StartingPoint() is the model a run trains on: the sink's checkpoint, the
// base model, or a new one from the trainer.
absl::StatusOr<ResumePoint> StartingPoint(TrainingRunSpec& spec,
                                          const ProgressiveTrainer& trainer,
                                          TrainingRunSink& sink) {
  ASSIGN_OR_RETURN(std::optional<ResumePoint> resumed, sink.Resume());
  if (resumed.has_value()) return *std::move(resumed);
  if (spec.base.has_value()) return ResumePoint{*std::move(spec.base), 0};
  FlowModel model = trainer.NewModel(spec.dataset_label);
  Provenance provenance = model.provenance();
  provenance.owner = spec.owner;
  model.set_provenance(std::move(provenance));
  return ResumePoint{std::move(model), 0};
}

// Converged() says whether a resumed run stops before its next block.
bool Converged(const TrainingRunSpec& spec, const ResumePoint& point) {
  const double tolerance = spec.options.stop_tolerance;
  if (!spec.resume_converged || point.blocks_done == 0 || tolerance <= 0 ||
      point.model.num_blocks() == 0) {
    return false;
  }
  const int64_t last = point.model.num_blocks() - 1;
  return StopRuleMet(point.model.stats(last),
                     point.model.block(last).config().h, tolerance);
}

}  // namespace

absl::StatusOr<FlowModel> RunTraining(TrainingRunSpec spec,
                                      TrainingRunSink& sink) {
  // A run that continues a model keeps the model's own transform.
  ASSIGN_OR_RETURN(
      std::unique_ptr<ProgressiveTrainer> trainer,
      ProgressiveTrainer::Create(
          spec.options, spec.data, spec.collective,
          spec.base.has_value() ? &spec.base->transform() : nullptr));
  ASSIGN_OR_RETURN(ResumePoint point, StartingPoint(spec, *trainer, sink));
  FlowModel& model = point.model;
  int64_t& done = point.blocks_done;
  bool converged = Converged(spec, point);
  RETURN_IF_ERROR(sink.Started(model, spec.data));
  const int64_t total =
      spec.blocks_total > 0 ? spec.blocks_total : spec.options.max_blocks;
  while (done < total && !converged) {
    const int64_t blocks = model.num_blocks();
    const int64_t before = done;
    ASSIGN_OR_RETURN(converged,
                     trainer->TrainNextBlock(
                         model,
                         [&sink, before](const IterationProgress& p) {
                           sink.Progress(p, before);
                         },
                         [&sink] { return sink.Stop(); }));
    // The validation gate dropped the block: the model stays as it was.
    if (model.num_blocks() == blocks) break;
    ++done;
    RETURN_IF_ERROR(sink.BlockDone(model, done));
  }
  RETURN_IF_ERROR(sink.Publish(model));
  return std::move(model);
}

}  // namespace jkoflow
