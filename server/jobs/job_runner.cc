#include "server/jobs/job_runner.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "core/model_store.h"
#include "server/jobs/finite_model.h"
#include "server/jobs/hyperparameters.h"
#include "server/jobs/training_data.h"
#include "server/observability/log.h"

namespace jkoflow {

// JobRunner::Sink: the job's checkpoints (one per block, in the job's
// directory), the JobManager's hooks, and publishing through the registry.
class JobRunner::Sink : public TrainingRunSink {
 public:
  explicit Sink(const JobRunner& runner) : runner_(runner) {}

  absl::StatusOr<std::optional<ResumePoint>> Resume() override {
    const int64_t done = runner_.record_.job.blocks_done;
    if (done == 0) return std::optional<ResumePoint>();
    ASSIGN_OR_RETURN(FlowModel resumed,
                     LoadModel(runner_.context_.store->CheckpointDir(
                                   runner_.record_.job.id, done),
                               runner_.context_.device));
    return std::optional<ResumePoint>(ResumePoint{std::move(resumed), done});
  }

  void Progress(const IterationProgress& p, int64_t blocks_done) override {
    runner_.hooks_.progress(p, blocks_done);
  }

  bool Stop() override { return runner_.hooks_.stop(); }

  absl::Status BlockDone(const FlowModel& model, int64_t done) override {
    RETURN_IF_ERROR(CheckFiniteModel(model));
    const std::string& id = runner_.record_.job.id;
    const JobStore& store = *runner_.context_.store;
    RETURN_IF_ERROR(SaveModel(model, store.CheckpointDir(id, done)));
    const BlockStats& stats = model.stats(model.num_blocks() - 1);
    RETURN_IF_ERROR(runner_.hooks_.block_done(done, stats.loss));
    store.RemoveCheckpointsBefore(id, done);
    runner_.ReportBlock(model);
    return absl::OkStatus();
  }

  absl::Status Publish(const FlowModel& model) override {
    RETURN_IF_ERROR(CheckFiniteModel(model));
    ASSIGN_OR_RETURN(const int64_t version, runner_.hooks_.reserve_version());
    const std::string& name = runner_.record_.job.model_name;
    ModelRegistry& registry = *runner_.context_.registry;
    RETURN_IF_ERROR(registry.Publish(name, version, model));
    registry.RemoveOldVersions(name, runner_.context_.keep_versions);
    return absl::OkStatus();
  }

 private:
  const JobRunner& runner_;
};

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
  TrainingRunSpec spec;
  spec.options = options_;
  spec.data = data_;
  spec.base = std::move(base_);
  spec.dataset_label = DatasetLabel(record_.data);
  spec.owner = record_.model_owner;
  spec.blocks_total = record_.job.blocks_total;
  // A new model that had converged before the restart stays converged.
  spec.resume_converged = record_.kind == JobKind::kCreate;
  Sink sink(*this);
  return RunTraining(std::move(spec), sink).status();
}

absl::Status JobRunner::LoadData() {
  absl::StatusOr<torch::Tensor> data =
      record_.data.source == DataSpec::Source::kGenerator
          ? GenerateData(record_.data)
          : ReadTrainingArray(context_.store->DataPath(record_.job.id));
  if (!data.ok()) return data.status();
  RETURN_IF_ERROR(CheckTrainingData(*data, "data"));
  data_ = *std::move(data);
  return absl::OkStatus();
}

absl::StatusOr<TrainerOptions> JobRunner::LoadBase() {
  const std::string& name = record_.job.model_name;
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
  base_.emplace(*std::move(base));
  return defaults;
}

absl::Status JobRunner::MakeOptions(const TrainerOptions& defaults) {
  ASSIGN_OR_RETURN(options_,
                   TrainerOptionsFromSettings(record_.settings, defaults,
                                              data_.size(0), data_.size(1)));
  options_.device = context_.device;
  options_.transform.item_shape = record_.data.item_shape;
  if (base_.has_value() && base_->num_blocks() > 0) {
    const VelocityFieldOptions& last =
        base_->block(base_->num_blocks() - 1).config().field;
    if (last.width() != options_.field.width() ||
        last.depth() != options_.field.depth() ||
        last.activation() != options_.field.activation() ||
        last.time_input() != options_.field.time_input()) {
      options_.warm_start = false;
    }
  }
  return absl::OkStatus();
}

void JobRunner::ReportBlock(const FlowModel& model) const {
  const std::string& name = record_.job.model_name;
  const int64_t block = model.num_blocks();
  const BlockStats& stats = model.stats(block - 1);
  if (context_.metrics != nullptr) {
    Metrics& m = *context_.metrics;
    m.SetBlockLoss(name, block, "loss", stats.loss);
    m.SetBlockLoss(name, block, "potential", stats.potential);
    m.SetBlockLoss(name, block, "neg_divergence", stats.neg_divergence);
    m.SetBlockLoss(name, block, "movement_term", stats.movement_term);
  }
  Log(LogSeverity::kInfo, absl::StrCat("job ", record_.job.id, ": block ",
                                       block, " done, loss ", stats.loss));
}

}  // namespace jkoflow
