// JobManager's request side: CreateTrainingJob, CreateUploadedJob and
// TrainBlock check a request (model name, data source and values,
// hyper-parameters against the data and the limits, and on a server with
// tokens who owns the model name) and turn it into a job record for
// Enqueue(). See job_manager.h.

#include <ATen/ATen.h>

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "core/model_store.h"
#include "server/jobs/hyperparameters.h"
#include "server/jobs/job_manager.h"
#include "server/jobs/store_usage.h"
#include "server/jobs/training_data.h"

namespace jkoflow {
namespace {

// ResolveData() validates the data source of a request and returns its spec
// and, for a file, its contents.
absl::Status ResolveData(const std::string& data_dir,
                         const GeneratorRequest* generator,
                         const std::string* data_file, DataSpec* spec,
                         torch::Tensor* contents) {
  if (generator != nullptr) {
    ASSIGN_OR_RETURN(*spec, DataSpecFromGenerator(*generator));
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(std::string path, ResolveDataFile(data_dir, *data_file));
  std::vector<int64_t> item_shape;
  absl::StatusOr<torch::Tensor> x = ReadTrainingArray(path, &item_shape);
  if (!x.ok()) {
    return absl::Status(x.status().code(),
                        absl::StrCat("data_file: ", x.status().message()));
  }
  RETURN_IF_ERROR(CheckTrainingData(*x, "data_file"));
  spec->source = DataSpec::Source::kFile;
  spec->file = *data_file;
  spec->dim = x->size(1);
  spec->item_shape = std::move(item_shape);
  *contents = *std::move(x);
  return absl::OkStatus();
}

// ResolveRequestData() resolves a request's data source; `*given` is false
// when it names none.
absl::Status ResolveRequestData(const std::string& data_dir,
                                const DataRequest& data, DataSpec* spec,
                                torch::Tensor* contents, bool* given) {
  *given = true;
  switch (data.kind) {
    case DataRequest::Kind::kGenerator:
      return ResolveData(data_dir, &data.generator, nullptr, spec, contents);
    case DataRequest::Kind::kFile:
      return ResolveData(data_dir, nullptr, &data.file, spec, contents);
    case DataRequest::Kind::kNone:
      break;
  }
  *given = false;
  return absl::OkStatus();
}

// The most blocks a model may have; TrainBlock refuses to add another.
constexpr int64_t kMaxModelBlocks = 1000;

int64_t DataRows(const DataSpec& spec, const torch::Tensor& contents) {
  return contents.defined() ? contents.size(0) : spec.n;
}

}  // namespace

std::optional<std::string> JobManager::DiskOwner(
    const std::string& name) const {
  absl::StatusOr<int64_t> next = options_.registry->NextVersion(name);
  if (!next.ok()) return std::string();  // unknown: admin only
  if (*next <= 1) return std::nullopt;
  absl::StatusOr<Provenance> provenance =
      LoadProvenance(options_.registry->VersionDir(name, *next - 1));
  return provenance.ok() ? provenance->owner : std::string();
}

std::optional<std::string> JobManager::OwnerLocked(
    const std::string& name, const std::optional<std::string>& on_disk) const {
  if (on_disk.has_value()) return on_disk;
  const auto it = owners_.find(name);
  if (it == owners_.end()) return std::nullopt;
  return it->second;
}

absl::Status JobManager::CheckOwnerOf(const std::string& name,
                                      const std::optional<std::string>& owner,
                                      const Caller& caller) {
  if (!owner.has_value() || caller.admin || *owner == caller.id) {
    return absl::OkStatus();
  }
  return absl::PermissionDeniedError(
      absl::StrCat("model ", name,
                   owner->empty() ? " was created without tokens"
                                  : " belongs to another token",
                   ": only its owner or an admin token may train it"));
}

absl::Status JobManager::CheckOwner(const std::string& name,
                                    const Caller* caller) const {
  if (caller == nullptr) return absl::OkStatus();
  const std::optional<std::string> on_disk = DiskOwner(name);
  absl::MutexLock lock(&mu_);
  return CheckOwnerOf(name, OwnerLocked(name, on_disk), *caller);
}

absl::Status JobManager::AcquireUpload() {
  absl::MutexLock lock(&mu_);
  if (options_.max_uploads > 0 && uploads_ >= options_.max_uploads) {
    return absl::ResourceExhaustedError(
        absl::StrCat(uploads_, " uploads are in progress, the limit is ",
                     options_.max_uploads, " (--max_uploads); retry later"));
  }
  ++uploads_;
  return absl::OkStatus();
}

void JobManager::ReleaseUpload() {
  absl::MutexLock lock(&mu_);
  --uploads_;
}

absl::Status JobManager::CheckStoreRoom() const {
  return CheckStoreBytes({options_.model_dir, options_.job_dir},
                         options_.max_store_bytes);
}

absl::StatusOr<JobInfo> JobManager::CreateTrainingJob(
    const NewModelJob& request, const Caller* caller) {
  RETURN_IF_ERROR(CheckQueueRoom());
  RETURN_IF_ERROR(CheckStoreRoom());
  RETURN_IF_ERROR(ValidateModelName(request.model_name, "model_name"));
  RETURN_IF_ERROR(CheckOwner(request.model_name, caller));
  JobRecord record;
  torch::Tensor contents;
  bool given = false;
  RETURN_IF_ERROR(ResolveRequestData(options_.data_dir, request.data,
                                     &record.data, &contents, &given));
  if (!given) {
    return absl::InvalidArgumentError(
        "data: set generator or data_file (or use UploadTrainingJob)");
  }
  return EnqueueNewModel(request, std::move(record), contents, caller,
                         /*abandoned=*/nullptr);
}

absl::StatusOr<JobInfo> JobManager::CreateUploadedJob(
    const NewModelJob& request, const torch::Tensor& data, const Caller* caller,
    std::function<bool()> abandoned) {
  RETURN_IF_ERROR(CheckQueueRoom());
  RETURN_IF_ERROR(CheckStoreRoom());
  RETURN_IF_ERROR(ValidateModelName(request.model_name, "job.model_name"));
  RETURN_IF_ERROR(CheckOwner(request.model_name, caller));
  if (!data.defined() || data.dim() != 2 || data.size(0) < 1) {
    return absl::InvalidArgumentError("points: the upload has no points");
  }
  if (data.size(0) > kMaxTrainingValues / data.size(1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("points: ", data.size(0), " × ", data.size(1),
                     " exceeds the limit of ", kMaxTrainingValues, " values"));
  }
  RETURN_IF_ERROR(CheckTrainingData(data, "points"));
  JobRecord record;
  record.data.source = DataSpec::Source::kUpload;
  record.data.dim = data.size(1);
  return EnqueueNewModel(request, std::move(record), data, caller, abandoned);
}

absl::StatusOr<JobInfo> JobManager::EnqueueNewModel(
    const NewModelJob& request, JobRecord record, const torch::Tensor& contents,
    const Caller* caller, const std::function<bool()>& abandoned) {
  ASSIGN_OR_RETURN(TrainerOptions options,
                   TrainerOptionsFromSettings(
                       request.settings, TrainerOptions(),
                       DataRows(record.data, contents), record.data.dim));
  RETURN_IF_ERROR(CheckBlockParams(options.field, options_.max_block_params));
  record.kind = JobKind::kCreate;
  record.settings = request.settings;
  record.job.model_name = request.model_name;
  record.job.blocks_total = options.max_blocks;
  record.job.iterations = options.iterations_per_block;
  return Enqueue(std::move(record), contents, caller, abandoned);
}

absl::StatusOr<JobInfo> JobManager::TrainBlock(const BlockJob& request,
                                               const Caller* caller) {
  RETURN_IF_ERROR(CheckQueueRoom());
  RETURN_IF_ERROR(CheckStoreRoom());
  const std::string& name = request.model_name;
  RETURN_IF_ERROR(ValidateModelName(name));
  RETURN_IF_ERROR(CheckOwner(name, caller));
  ASSIGN_OR_RETURN(ModelVersion base, BaseVersion(request));
  const FlowModel& model = *base.model;
  JobRecord record;
  torch::Tensor contents;
  bool given = false;
  RETURN_IF_ERROR(ResolveRequestData(options_.data_dir, request.data,
                                     &record.data, &contents, &given));
  if (!given) {
    RETURN_IF_ERROR(RecordedData(name, model, &record.data, &contents));
  }
  if (record.data.dim != model.dim()) {
    return absl::InvalidArgumentError(
        absl::StrCat("data: dimension ", record.data.dim,
                     " does not match model ", name, "'s ", model.dim()));
  }
  ASSIGN_OR_RETURN(
      TrainerOptions options,
      NextBlockOptions(request.settings, model, DataRows(record.data, contents),
                       record.data.dim));
  record.kind = JobKind::kTrainBlock;
  record.base_version = base.version;
  record.settings = request.settings;
  record.job.model_name = name;
  record.job.blocks_total = 1;
  record.job.iterations = options.iterations_per_block;
  return Enqueue(std::move(record), contents, caller, /*abandoned=*/nullptr);
}

absl::StatusOr<ModelVersion> JobManager::BaseVersion(
    const BlockJob& request) const {
  if (request.version < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("model.version: must be ≥ 0, got ", request.version));
  }
  ASSIGN_OR_RETURN(ModelVersion base, options_.registry->Resolve(
                                          request.model_name, request.version));
  if (base.model->num_blocks() >= kMaxModelBlocks) {
    return absl::InvalidArgumentError(absl::StrCat(
        "model: ", request.model_name, " v", base.version,
        " already has the maximum of ", kMaxModelBlocks, " blocks"));
  }
  return base;
}

absl::StatusOr<TrainerOptions> JobManager::NextBlockOptions(
    const TrainingSettings& settings, const FlowModel& model, int64_t rows,
    int64_t dim) const {
  const auto tau = settings.scalars.find("smoothing_tau");
  if (tau != settings.scalars.end() && tau->second != model.smoothing_tau()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "hyperparameters.smoothing_tau: must equal the model's τ = ",
        model.smoothing_tau(), ", got ", tau->second));
  }
  TrainerOptions defaults = TrainerOptionsFromProvenance(model.provenance());
  defaults.smoothing_tau = model.smoothing_tau();
  defaults.max_blocks = std::min(kMaxModelBlocks, model.num_blocks() + 1);
  ASSIGN_OR_RETURN(TrainerOptions options,
                   TrainerOptionsFromSettings(settings, defaults, rows, dim));
  RETURN_IF_ERROR(CheckBlockParams(options.field, options_.max_block_params));
  return options;
}

absl::Status JobManager::RecordedData(const std::string& name,
                                      const FlowModel& model, DataSpec* spec,
                                      torch::Tensor* contents) {
  absl::StatusOr<DataSpec> recorded =
      ParseDatasetLabel(model.provenance().dataset);
  if (!recorded.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("data: not given, and model ", name,
                     " records no reusable data source (\"",
                     model.provenance().dataset, "\")"));
  }
  switch (recorded->source) {
    case DataSpec::Source::kGenerator: {
      const GeneratorRequest generator{recorded->generator, recorded->n,
                                       recorded->seed};
      return ResolveData(options_.data_dir, &generator, nullptr, spec,
                         contents);
    }
    case DataSpec::Source::kFile:
      return ResolveData(options_.data_dir, nullptr, &recorded->file, spec,
                         contents);
    case DataSpec::Source::kUpload:
      break;
  }
  return UploadedData(name, *recorded, spec, contents);
}

absl::Status JobManager::UploadedData(const std::string& name,
                                      const DataSpec& recorded, DataSpec* spec,
                                      torch::Tensor* contents) {
  std::string path;
  {
    absl::MutexLock store_lock(&store_mu_);
    path = store_->DataPath(recorded.upload_job);
  }
  absl::StatusOr<torch::Tensor> x = ReadTrainingArray(path);
  if (!x.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "data: the upload model ", name, " was trained on (job ",
        recorded.upload_job, ") is no longer on the server; send data"));
  }
  *spec = recorded;
  spec->dim = x->size(1);
  *contents = *std::move(x);
  return absl::OkStatus();
}

}  // namespace jkoflow
