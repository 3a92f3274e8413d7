#include "server/job_manager.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "base/status_macros.h"
#include "core/model_store.h"
#include "core/torch_status.h"
#include "server/finite_model.h"
#include "server/hyperparameters.h"
#include "server/log.h"
#include "server/training_data.h"

namespace jkoflow {
namespace {

std::string UtcNow() {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(),
                          absl::UTCTimeZone());
}

// ResolveData() validates the data source of a request and returns its spec
// and, for a file, its contents.
absl::Status ResolveData(const std::string& data_dir,
                         const v1::GeneratorSpec* generator,
                         const std::string* data_file, DataSpec* spec,
                         torch::Tensor* contents) {
  if (generator != nullptr) {
    ASSIGN_OR_RETURN(*spec, DataSpecFromGenerator(*generator));
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(std::string path, ResolveDataFile(data_dir, *data_file));
  absl::StatusOr<torch::Tensor> x = ReadTrainingArray(path);
  if (!x.ok()) {
    return absl::Status(x.status().code(),
                        absl::StrCat("data_file: ", x.status().message()));
  }
  RETURN_IF_ERROR(CheckTrainingData(*x, "data_file"));
  spec->source = DataSpec::Source::kFile;
  spec->file = *data_file;
  spec->dim = x->size(1);
  *contents = *std::move(x);
  return absl::OkStatus();
}

// ResolveRequestData() resolves the data oneof of a CreateTrainingJobRequest
// or a TrainBlockRequest; `*given` is false when neither field is set.
template <typename Request>
absl::Status ResolveRequestData(const std::string& data_dir,
                                const Request& request, DataSpec* spec,
                                torch::Tensor* contents, bool* given) {
  *given = true;
  switch (request.data_case()) {
    case Request::kGenerator:
      return ResolveData(data_dir, &request.generator(), nullptr, spec,
                         contents);
    case Request::kDataFile:
      return ResolveData(data_dir, nullptr, &request.data_file(), spec,
                         contents);
    default:
      *given = false;
      return absl::OkStatus();
  }
}

int64_t DataRows(const DataSpec& spec, const torch::Tensor& contents) {
  return contents.defined() ? contents.size(0) : spec.n;
}

const char* StateName(v1::JobState state) {
  switch (state) {
    case v1::JOB_STATE_QUEUED:
      return "QUEUED";
    case v1::JOB_STATE_RUNNING:
      return "RUNNING";
    case v1::JOB_STATE_SUCCEEDED:
      return "SUCCEEDED";
    case v1::JOB_STATE_FAILED:
      return "FAILED";
    case v1::JOB_STATE_CANCELLED:
      return "CANCELLED";
    default:
      return "UNSPECIFIED";
  }
}

}  // namespace

JobManager::JobManager(const Options& options, std::unique_ptr<JobStore> store)
    : options_(options), store_(std::move(store)) {}

absl::StatusOr<std::unique_ptr<JobManager>> JobManager::Create(
    const Options& options) {
  if (options.registry == nullptr) {
    return absl::InvalidArgumentError("JobManager: a registry is required");
  }
  ASSIGN_OR_RETURN(std::unique_ptr<JobStore> store,
                   JobStore::Create(options.job_dir));
  std::vector<std::string> errors;
  std::vector<JobRecord> records = store->LoadAll(&errors);
  for (const std::string& error : errors) {
    Log(LogSeverity::kWarning, absl::StrCat("skipping job: ", error));
  }
  std::unique_ptr<JobManager> manager(
      new JobManager(options, std::move(store)));
  {
    absl::MutexLock lock(&manager->mu_);
    std::deque<std::string> queued;
    for (JobRecord& record : records) {
      const std::string id = record.job.id();
      const v1::JobState state = record.job.state();
      if (state == v1::JOB_STATE_RUNNING) {
        manager->queue_.push_back(id);  // resumes first
        Log(LogSeverity::kInfo,
            absl::StrCat("job ", id, " will resume after block ",
                         record.job.blocks_done()));
      } else if (state == v1::JOB_STATE_QUEUED) {
        queued.push_back(id);
      }
      Entry entry;
      entry.record = std::move(record);
      entry.progress.event.mutable_job()->CopyFrom(entry.record.job);
      manager->jobs_.emplace(id, std::move(entry));
    }
    manager->queue_.insert(manager->queue_.end(), queued.begin(), queued.end());
    manager->UpdateGaugesLocked();
  }
  manager->runner_ = std::thread([m = manager.get()] { m->RunnerLoop(); });
  return manager;
}

JobManager::~JobManager() { Stop(); }

void JobManager::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  stop_requested_ = true;
  if (runner_.joinable()) runner_.join();
}

void JobManager::TouchLocked(Entry& entry) {
  entry.record.job.set_updated_utc(UtcNow());
  entry.progress.event.mutable_job()->CopyFrom(entry.record.job);
  ++entry.progress.revision;
}

void JobManager::UpdateGaugesLocked() const {
  if (options_.metrics == nullptr) return;
  std::map<std::string, int64_t> counts = {{"QUEUED", 0},
                                           {"RUNNING", 0},
                                           {"SUCCEEDED", 0},
                                           {"FAILED", 0},
                                           {"CANCELLED", 0}};
  for (const auto& [id, entry] : jobs_) {
    ++counts[StateName(entry.record.job.state())];
  }
  for (const auto& [state, count] : counts) {
    options_.metrics->SetJobs(state, count);
  }
}

void JobManager::Persist(const std::string& id) {
  absl::MutexLock store_lock(&store_mu_);
  JobRecord record;
  {
    absl::MutexLock lock(&mu_);
    record = jobs_.at(id).record;
  }
  absl::Status status = store_->Save(record);
  if (!status.ok()) {
    Log(LogSeverity::kError,
        absl::StrCat("job ", id, ": cannot persist: ", status.message()));
  }
}

absl::Status JobManager::CheckQueueRoom() const {
  absl::MutexLock lock(&mu_);
  return CheckQueueRoomLocked();
}

absl::Status JobManager::CheckQueueRoomLocked() const {
  const int64_t waiting = static_cast<int64_t>(queue_.size()) + reserved_;
  if (waiting < options_.max_queued_jobs) return absl::OkStatus();
  return absl::ResourceExhaustedError(absl::StrCat(
      "training queue full: ", waiting, " jobs wait to run, the limit is ",
      options_.max_queued_jobs, " (--max_queued_jobs); retry later"));
}

absl::StatusOr<v1::Job> JobManager::Enqueue(JobRecord record,
                                            const torch::Tensor& data) {
  {
    absl::MutexLock lock(&mu_);
    RETURN_IF_ERROR(CheckQueueRoomLocked());
    ++reserved_;
  }
  absl::StatusOr<v1::Job> job = WriteAndQueue(std::move(record), data);
  absl::MutexLock lock(&mu_);
  --reserved_;
  return job;
}

absl::StatusOr<v1::Job> JobManager::WriteAndQueue(JobRecord record,
                                                  const torch::Tensor& data) {
  std::string id;
  {
    absl::MutexLock store_lock(&store_mu_);
    ASSIGN_OR_RETURN(id, store_->NewJobId());
    record.job.set_id(id);
    record.job.set_state(v1::JOB_STATE_QUEUED);
    record.job.set_created_utc(UtcNow());
    record.job.set_updated_utc(record.job.created_utc());
    if (record.data.source == DataSpec::Source::kUpload &&
        record.data.upload_job.empty()) {
      record.data.upload_job = id;
    }
    if (data.defined()) {
      RETURN_IF_ERROR(WriteTrainingArray(data, store_->DataPath(id)));
    }
    RETURN_IF_ERROR(store_->Save(record));
  }
  absl::MutexLock lock(&mu_);
  if (stopping_) {
    // Persisted as QUEUED: it runs after the next start.
    return record.job;
  }
  Entry entry;
  entry.record = record;
  entry.progress.event.mutable_job()->CopyFrom(record.job);
  jobs_.emplace(id, std::move(entry));
  queue_.push_back(id);
  UpdateGaugesLocked();
  Log(LogSeverity::kInfo,
      absl::StrCat("job ", id, " queued for model ", record.job.model_name()));
  return record.job;
}

absl::StatusOr<v1::Job> JobManager::CreateTrainingJob(
    const v1::CreateTrainingJobRequest& request) {
  RETURN_IF_ERROR(CheckQueueRoom());
  RETURN_IF_ERROR(ValidateModelName(request.model_name(), "model_name"));
  JobRecord record;
  torch::Tensor contents;
  bool given = false;
  RETURN_IF_ERROR(ResolveRequestData(options_.data_dir, request, &record.data,
                                     &contents, &given));
  if (!given) {
    return absl::InvalidArgumentError(
        "data: set generator or data_file (or use UploadTrainingJob)");
  }
  return EnqueueNewModel(request, std::move(record), contents);
}

absl::StatusOr<v1::Job> JobManager::CreateUploadedJob(
    const v1::CreateTrainingJobRequest& request, const torch::Tensor& data) {
  RETURN_IF_ERROR(CheckQueueRoom());
  RETURN_IF_ERROR(ValidateModelName(request.model_name(), "job.model_name"));
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
  return EnqueueNewModel(request, std::move(record), data);
}

absl::StatusOr<v1::Job> JobManager::EnqueueNewModel(
    const v1::CreateTrainingJobRequest& request, JobRecord record,
    const torch::Tensor& contents) {
  ASSIGN_OR_RETURN(TrainerOptions options,
                   TrainerOptionsFromProto(
                       request.hyperparameters(), TrainerOptions(),
                       DataRows(record.data, contents), record.data.dim));
  record.kind = JobKind::kCreate;
  record.hyperparameters = request.hyperparameters();
  record.job.set_model_name(request.model_name());
  record.job.set_blocks_total(options.max_blocks);
  record.job.set_iterations(options.iterations_per_block);
  return Enqueue(std::move(record), contents);
}

absl::StatusOr<v1::Job> JobManager::TrainBlock(
    const v1::TrainBlockRequest& request) {
  RETURN_IF_ERROR(CheckQueueRoom());
  const std::string& name = request.model().name();
  RETURN_IF_ERROR(ValidateModelName(name));
  if (request.model().version() < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "model.version: must be ≥ 0, got ", request.model().version()));
  }
  ASSIGN_OR_RETURN(ModelVersion base,
                   options_.registry->Resolve(name, request.model().version()));
  const FlowModel& model = *base.model;
  if (model.num_blocks() >= 1000) {
    return absl::InvalidArgumentError(
        absl::StrCat("model: ", name, " v", base.version,
                     " already has the maximum of 1000 blocks"));
  }
  JobRecord record;
  torch::Tensor contents;
  bool given = false;
  RETURN_IF_ERROR(ResolveRequestData(options_.data_dir, request, &record.data,
                                     &contents, &given));
  if (!given) {
    RETURN_IF_ERROR(RecordedData(name, model, &record.data, &contents));
  }
  if (record.data.dim != model.dim()) {
    return absl::InvalidArgumentError(
        absl::StrCat("data: dimension ", record.data.dim,
                     " does not match model ", name, "'s ", model.dim()));
  }
  const v1::Hyperparameters& hp = request.hyperparameters();
  if (hp.has_smoothing_tau() && hp.smoothing_tau() != model.smoothing_tau()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "hyperparameters.smoothing_tau: must equal the model's τ = ",
        model.smoothing_tau(), ", got ", hp.smoothing_tau()));
  }
  TrainerOptions defaults = TrainerOptionsFromProvenance(model.provenance());
  defaults.smoothing_tau = model.smoothing_tau();
  defaults.max_blocks = std::min<int64_t>(1000, model.num_blocks() + 1);
  ASSIGN_OR_RETURN(
      TrainerOptions options,
      TrainerOptionsFromProto(hp, defaults, DataRows(record.data, contents),
                              record.data.dim));
  record.kind = JobKind::kTrainBlock;
  record.base_version = base.version;
  record.hyperparameters = hp;
  record.job.set_model_name(name);
  record.job.set_blocks_total(1);
  record.job.set_iterations(options.iterations_per_block);
  return Enqueue(std::move(record), contents);
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
      v1::GeneratorSpec generator;
      generator.set_name(recorded->generator);
      generator.set_n(recorded->n);
      generator.set_seed(recorded->seed);
      return ResolveData(options_.data_dir, &generator, nullptr, spec,
                         contents);
    }
    case DataSpec::Source::kFile:
      return ResolveData(options_.data_dir, nullptr, &recorded->file, spec,
                         contents);
    case DataSpec::Source::kUpload:
      break;
  }
  std::string path;
  {
    absl::MutexLock store_lock(&store_mu_);
    path = store_->DataPath(recorded->upload_job);
  }
  absl::StatusOr<torch::Tensor> x = ReadTrainingArray(path);
  if (!x.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "data: the upload model ", name, " was trained on (job ",
        recorded->upload_job, ") is no longer on the server; send data"));
  }
  *spec = *recorded;
  spec->dim = x->size(1);
  *contents = *std::move(x);
  return absl::OkStatus();
}

absl::StatusOr<v1::Job> JobManager::GetJob(const std::string& id) const {
  absl::MutexLock lock(&mu_);
  auto it = jobs_.find(id);
  if (it == jobs_.end()) {
    return absl::NotFoundError(absl::StrCat("job ", id, ": unknown"));
  }
  return it->second.progress.event.job();
}

std::vector<v1::Job> JobManager::ListJobs() const {
  absl::MutexLock lock(&mu_);
  std::vector<v1::Job> jobs;
  for (const auto& [id, entry] : jobs_) {
    jobs.push_back(entry.progress.event.job());
  }
  return jobs;
}

absl::StatusOr<JobProgress> JobManager::Progress(const std::string& id) const {
  absl::MutexLock lock(&mu_);
  auto it = jobs_.find(id);
  if (it == jobs_.end()) {
    return absl::NotFoundError(absl::StrCat("job ", id, ": unknown"));
  }
  return it->second.progress;
}

absl::StatusOr<v1::Job> JobManager::CancelJob(const std::string& id) {
  {
    absl::MutexLock lock(&mu_);
    auto it = jobs_.find(id);
    if (it == jobs_.end()) {
      return absl::NotFoundError(absl::StrCat("job ", id, ": unknown"));
    }
    Entry& entry = it->second;
    const v1::JobState state = entry.record.job.state();
    if (IsTerminal(state) || entry.publishing) {
      return entry.progress.event.job();
    }
    if (state == v1::JOB_STATE_QUEUED) {
      queue_.erase(std::remove(queue_.begin(), queue_.end(), id), queue_.end());
    }
    if (running_ == id) cancel_running_ = true;
    entry.record.job.set_state(v1::JOB_STATE_CANCELLED);
    entry.record.job.set_error("cancelled by request");
    TouchLocked(entry);
    UpdateGaugesLocked();
  }
  Persist(id);
  Log(LogSeverity::kInfo, absl::StrCat("job ", id, " cancelled"));
  return GetJob(id);
}

void JobManager::RunnerLoop() {
  while (true) {
    std::string id;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopping_ || !queue_.empty();
      };
      mu_.Await(absl::Condition(&ready));
      if (stopping_) return;
      id = queue_.front();
      queue_.pop_front();
      Entry& entry = jobs_.at(id);
      if (IsTerminal(entry.record.job.state())) continue;
      entry.record.job.set_state(v1::JOB_STATE_RUNNING);
      entry.record.job.set_error("");
      TouchLocked(entry);
      UpdateGaugesLocked();
      running_ = id;
      cancel_running_ = false;
    }
    Persist(id);
    RunJob(id);
    absl::MutexLock lock(&mu_);
    running_.clear();
  }
}

void JobManager::RunJob(const std::string& id) {
  JobRecord record;
  {
    absl::MutexLock lock(&mu_);
    record = jobs_.at(id).record;
  }
  Log(LogSeverity::kInfo, absl::StrCat("job ", id, " running"));
  const absl::Status status = TrainJob(id, record);
  {
    absl::MutexLock lock(&mu_);
    Entry& entry = jobs_.at(id);
    if (IsTerminal(entry.record.job.state())) return;  // cancelled
    if (!status.ok() && stopping_ && !cancel_running_) {
      // Stopped for shutdown: stays RUNNING and resumes on the next start.
      Log(LogSeverity::kInfo, absl::StrCat("job ", id, " paused after block ",
                                           entry.record.job.blocks_done()));
      return;
    }
    if (status.ok()) {
      entry.record.job.set_state(v1::JOB_STATE_SUCCEEDED);
    } else {
      entry.record.job.set_state(v1::JOB_STATE_FAILED);
      entry.record.job.set_error(std::string(status.message()));
    }
    entry.publishing = false;
    TouchLocked(entry);
    UpdateGaugesLocked();
  }
  Persist(id);
  Log(status.ok() ? LogSeverity::kInfo : LogSeverity::kWarning,
      absl::StrCat("job ", id,
                   status.ok() ? " succeeded" : " failed: ", status.message()));
}

absl::StatusOr<torch::Tensor> JobManager::LoadJobData(
    const JobRecord& record) const {
  absl::StatusOr<torch::Tensor> data =
      record.data.source == DataSpec::Source::kGenerator
          ? GenerateData(record.data)
          : ReadTrainingArray(store_->DataPath(record.job.id()));
  if (data.ok()) RETURN_IF_ERROR(CheckTrainingData(*data, "data"));
  return data;
}

absl::Status JobManager::TrainJob(const std::string& id,
                                  const JobRecord& record) {
  const torch::Device device = options_.device;
  ASSIGN_OR_RETURN(torch::Tensor data, LoadJobData(record));
  const std::string& name = record.job.model_name();

  std::optional<FlowModel> model;
  TrainerOptions defaults;
  if (record.kind == JobKind::kTrainBlock) {
    absl::StatusOr<FlowModel> base = LoadModel(
        options_.registry->VersionDir(name, record.base_version), device);
    if (!base.ok()) {
      return absl::FailedPreconditionError(
          absl::StrCat("model ", name, " v", record.base_version,
                       " cannot be loaded: ", base.status().message()));
    }
    defaults = TrainerOptionsFromProvenance(base->provenance());
    defaults.smoothing_tau = base->smoothing_tau();
    defaults.max_blocks = std::min<int64_t>(1000, base->num_blocks() + 1);
    model.emplace(*std::move(base));
  }
  ASSIGN_OR_RETURN(TrainerOptions options,
                   TrainerOptionsFromProto(record.hyperparameters, defaults,
                                           data.size(0), data.size(1)));
  options.device = device;
  if (model.has_value() && model->num_blocks() > 0) {
    // Warm start only from a block of the same architecture.
    const VelocityFieldOptions& last =
        model->block(model->num_blocks() - 1).config().field;
    if (last.width() != options.field.width() ||
        last.depth() != options.field.depth() ||
        last.activation() != options.field.activation() ||
        last.time_input() != options.field.time_input()) {
      options.warm_start = false;
    }
  }
  ASSIGN_OR_RETURN(std::unique_ptr<ProgressiveTrainer> trainer,
                   ProgressiveTrainer::Create(options, data));

  int64_t done = record.job.blocks_done();
  if (done > 0) {
    std::string checkpoint;
    {
      absl::MutexLock store_lock(&store_mu_);
      checkpoint = store_->CheckpointDir(id, done);
    }
    ASSIGN_OR_RETURN(FlowModel resumed, LoadModel(checkpoint, device));
    model.emplace(std::move(resumed));
  } else if (!model.has_value()) {
    model.emplace(trainer->NewModel(DatasetLabel(record.data)));
  }

  const int64_t total = record.job.blocks_total();
  bool converged = false;
  if (record.kind == JobKind::kCreate && done > 0 &&
      options.stop_tolerance > 0) {
    const BlockStats& last = model->stats(model->num_blocks() - 1);
    converged = last.relative_movement < options.stop_tolerance;
  }
  const auto progress = [this, &id, total,
                         done_ptr = &done](const IterationProgress& p) {
    if (options_.metrics != nullptr) {
      options_.metrics->AddTrainingIterations(1);
    }
    absl::MutexLock lock(&mu_);
    Entry& entry = jobs_.at(id);
    v1::JobEvent& event = entry.progress.event;
    entry.record.job.set_iteration(p.iteration);
    entry.record.job.set_last_loss(p.loss);
    event.set_block(p.block);
    event.set_iteration(p.iteration);
    event.set_loss(p.loss);
    event.set_potential(p.potential);
    event.set_neg_divergence(p.neg_divergence);
    event.set_movement_term(p.movement_term);
    event.set_h(p.h);
    const double per_iteration =
        p.block_seconds / std::max<int64_t>(1, p.iteration);
    const int64_t remaining =
        (p.iterations - p.iteration) + (total - *done_ptr - 1) * p.iterations;
    event.set_eta_seconds(per_iteration * std::max<int64_t>(0, remaining));
    event.mutable_job()->CopyFrom(entry.record.job);
    ++entry.progress.revision;
  };
  const auto cancel = [this] {
    return stop_requested_.load() || cancel_running_.load();
  };

  while (done < total && !converged) {
    ASSIGN_OR_RETURN(converged,
                     trainer->TrainNextBlock(*model, progress, cancel));
    ++done;
    RETURN_IF_ERROR(CheckFiniteModel(*model));
    std::string checkpoint;
    {
      absl::MutexLock store_lock(&store_mu_);
      checkpoint = store_->CheckpointDir(id, done);
    }
    RETURN_IF_ERROR(SaveModel(*model, checkpoint));
    const BlockStats& stats = model->stats(model->num_blocks() - 1);
    {
      absl::MutexLock lock(&mu_);
      Entry& entry = jobs_.at(id);
      entry.record.job.set_blocks_done(done);
      entry.record.job.set_last_loss(stats.loss);
      TouchLocked(entry);
    }
    Persist(id);
    {
      absl::MutexLock store_lock(&store_mu_);
      store_->RemoveCheckpointsBefore(id, done);
    }
    if (options_.metrics != nullptr) {
      const int64_t block = model->num_blocks();
      options_.metrics->SetBlockLoss(name, block, "loss", stats.loss);
      options_.metrics->SetBlockLoss(name, block, "potential", stats.potential);
      options_.metrics->SetBlockLoss(name, block, "neg_divergence",
                                     stats.neg_divergence);
      options_.metrics->SetBlockLoss(name, block, "movement_term",
                                     stats.movement_term);
    }
    Log(LogSeverity::kInfo,
        absl::StrCat("job ", id, ": block ", model->num_blocks(),
                     " done, loss ", stats.loss));
  }
  RETURN_IF_ERROR(CheckFiniteModel(*model));
  return PublishModel(id, *model);
}

absl::Status JobManager::PublishModel(const std::string& id,
                                      const FlowModel& model) {
  std::string name;
  int64_t version = 0;
  {
    absl::MutexLock lock(&mu_);
    Entry& entry = jobs_.at(id);
    if (IsTerminal(entry.record.job.state()) || cancel_running_) {
      return absl::CancelledError("cancelled by request");
    }
    if (stopping_) return absl::CancelledError("server stopping");
    name = entry.record.job.model_name();
    version = entry.record.job.model_version();
    entry.publishing = true;
  }
  if (version == 0) {
    ASSIGN_OR_RETURN(version, options_.registry->NextVersion(name));
    {
      absl::MutexLock lock(&mu_);
      Entry& entry = jobs_.at(id);
      entry.record.job.set_model_version(version);
      entry.record.job.set_blocks_total(entry.record.job.blocks_done());
      TouchLocked(entry);
    }
    Persist(id);
  }
  return options_.registry->Publish(name, version, model);
}

}  // namespace jkoflow
