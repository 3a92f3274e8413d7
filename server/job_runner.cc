#include "server/job_runner.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "core/model_store.h"
#include "server/finite_model.h"
#include "server/hyperparameters.h"
#include "server/log.h"
#include "server/training_data.h"

namespace jkoflow {

JobRunner::JobRunner(const Context& context, const JobRecord& record,
                     Hooks hooks)
    : context_(context), record_(record), hooks_(std::move(hooks)) {}

absl::Status JobRunner::Run() {
  RETURN_IF_ERROR(LoadData());
  TrainerOptions defaults;
  if (record_.kind == JobKind::kTrainBlock) {
    ASSIGN_OR_RETURN(defaults, LoadBase());
  }
  RETURN_IF_ERROR(MakeOptions(defaults));
  RETURN_IF_ERROR(ResumeOrStart());
  while (done_ < record_.job.blocks_total() && !converged_) {
    const int64_t blocks = model_->num_blocks();
    RETURN_IF_ERROR(TrainBlock());
    // The validation gate dropped the block: the model stays as it was.
    if (model_->num_blocks() == blocks) break;
    RETURN_IF_ERROR(Checkpoint());
  }
  return Publish();
}

absl::Status JobRunner::LoadData() {
  absl::StatusOr<torch::Tensor> data =
      record_.data.source == DataSpec::Source::kGenerator
          ? GenerateData(record_.data)
          : ReadTrainingArray(context_.store->DataPath(record_.job.id()));
  if (!data.ok()) return data.status();
  RETURN_IF_ERROR(CheckTrainingData(*data, "data"));
  data_ = *std::move(data);
  return absl::OkStatus();
}

absl::StatusOr<TrainerOptions> JobRunner::LoadBase() {
  const std::string& name = record_.job.model_name();
  absl::StatusOr<FlowModel> base =
      LoadModel(context_.registry->VersionDir(name, record_.base_version),
                context_.device);
  if (!base.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("model ", name, " v", record_.base_version,
                     " cannot be loaded: ", base.status().message()));
  }
  TrainerOptions defaults = TrainerOptionsFromProvenance(base->provenance());
  defaults.smoothing_tau = base->smoothing_tau();
  defaults.max_blocks = std::min<int64_t>(1000, base->num_blocks() + 1);
  model_.emplace(*std::move(base));
  return defaults;
}

absl::Status JobRunner::MakeOptions(const TrainerOptions& defaults) {
  ASSIGN_OR_RETURN(options_,
                   TrainerOptionsFromProto(record_.hyperparameters, defaults,
                                           data_.size(0), data_.size(1)));
  options_.device = context_.device;
  options_.transform.item_shape = record_.data.item_shape;
  if (model_.has_value() && model_->num_blocks() > 0) {
    const VelocityFieldOptions& last =
        model_->block(model_->num_blocks() - 1).config().field;
    if (last.width() != options_.field.width() ||
        last.depth() != options_.field.depth() ||
        last.activation() != options_.field.activation() ||
        last.time_input() != options_.field.time_input()) {
      options_.warm_start = false;
    }
  }
  // Training that continues a model keeps the model's own transform.
  const DataTransform* transform =
      record_.kind == JobKind::kTrainBlock && model_.has_value()
          ? &model_->transform()
          : nullptr;
  ASSIGN_OR_RETURN(trainer_, ProgressiveTrainer::Create(options_, data_,
                                                        nullptr, transform));
  return absl::OkStatus();
}

absl::Status JobRunner::ResumeOrStart() {
  done_ = record_.job.blocks_done();
  if (done_ > 0) {
    ASSIGN_OR_RETURN(FlowModel resumed, LoadModel(context_.store->CheckpointDir(
                                                      record_.job.id(), done_),
                                                  context_.device));
    model_.emplace(std::move(resumed));
  } else if (!model_.has_value()) {
    model_.emplace(trainer_->NewModel(DatasetLabel(record_.data)));
    Provenance provenance = model_->provenance();
    provenance.owner = record_.model_owner;
    model_->set_provenance(std::move(provenance));
  }
  // A new model that had converged before the restart stays converged.
  if (record_.kind == JobKind::kCreate && done_ > 0 &&
      options_.stop_tolerance > 0) {
    const BlockStats& last = model_->stats(model_->num_blocks() - 1);
    converged_ = last.relative_movement < options_.stop_tolerance;
  }
  return absl::OkStatus();
}

absl::Status JobRunner::TrainBlock() {
  const int64_t done = done_;
  const auto progress = [this, done](const IterationProgress& p) {
    hooks_.progress(p, done);
  };
  const int64_t blocks = model_->num_blocks();
  ASSIGN_OR_RETURN(converged_,
                   trainer_->TrainNextBlock(*model_, progress, hooks_.stop));
  if (model_->num_blocks() == blocks) return absl::OkStatus();
  ++done_;
  return CheckFiniteModel(*model_);
}

absl::Status JobRunner::Checkpoint() {
  const std::string& id = record_.job.id();
  RETURN_IF_ERROR(SaveModel(*model_, context_.store->CheckpointDir(id, done_)));
  const BlockStats& stats = model_->stats(model_->num_blocks() - 1);
  RETURN_IF_ERROR(hooks_.block_done(done_, stats.loss));
  context_.store->RemoveCheckpointsBefore(id, done_);
  ReportBlock(stats);
  return absl::OkStatus();
}

void JobRunner::ReportBlock(const BlockStats& stats) const {
  const std::string& name = record_.job.model_name();
  const int64_t block = model_->num_blocks();
  if (context_.metrics != nullptr) {
    Metrics& m = *context_.metrics;
    m.SetBlockLoss(name, block, "loss", stats.loss);
    m.SetBlockLoss(name, block, "potential", stats.potential);
    m.SetBlockLoss(name, block, "neg_divergence", stats.neg_divergence);
    m.SetBlockLoss(name, block, "movement_term", stats.movement_term);
  }
  Log(LogSeverity::kInfo, absl::StrCat("job ", record_.job.id(), ": block ",
                                       block, " done, loss ", stats.loss));
}

absl::Status JobRunner::Publish() {
  RETURN_IF_ERROR(CheckFiniteModel(*model_));
  ASSIGN_OR_RETURN(const int64_t version, hooks_.reserve_version());
  const std::string& name = record_.job.model_name();
  RETURN_IF_ERROR(context_.registry->Publish(name, version, *model_));
  context_.registry->RemoveOldVersions(name, context_.keep_versions);
  return absl::OkStatus();
}

}  // namespace jkoflow
