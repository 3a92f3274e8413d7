#include "server/jobs/job_manager.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "base/mutex_condition.h"
#include "base/status_macros.h"
#include "base/store_lock.h"
#include "server/jobs/training_data.h"
#include "server/observability/log.h"

namespace jkoflow {
namespace {

std::string UtcNow() {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(),
                          absl::UTCTimeZone());
}

// AdmitRunning() decides what a start does with a job it finds RUNNING:
// resume it (true), counting a restart unless a clean stop paused it, or,
// past `max_restarts`, mark it FAILED (false). The caller persists it.
bool AdmitRunning(JobRecord& record, int64_t max_restarts) {
  if (record.paused) {
    record.paused = false;
    return true;
  }
  ++record.restarts;
  if (record.restarts <= max_restarts) return true;
  record.job.state = JobState::kFailed;
  record.job.error = absl::StrCat(
      "the server stopped ", record.restarts,
      " times while running this job (--max_job_restarts=", max_restarts, ")");
  return false;
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
    manager->AdoptLocked(std::move(records));
  }
  manager->runner_ = std::thread([m = manager.get()] { m->RunnerLoop(); });
  return manager;
}

void JobManager::AdoptLocked(std::vector<JobRecord> records) {
  std::deque<std::string> queued;
  for (JobRecord& record : records) {
    const std::string id = record.job.id;
    const JobState state = record.job.state;
    if (state == JobState::kRunning) {
      if (AdmitFoundRunning(record)) queue_.push_back(id);  // resumes first
    } else if (state == JobState::kQueued) {
      queued.push_back(id);
    }
    if (!record.model_owner.empty()) {
      owners_.emplace(record.job.model_name, record.model_owner);
    }
    Entry entry;
    entry.record = std::move(record);
    entry.progress.job = entry.record.job;
    jobs_.emplace(id, std::move(entry));
  }
  queue_.insert(queue_.end(), queued.begin(), queued.end());
  UpdateGaugesLocked();
}

bool JobManager::AdmitFoundRunning(JobRecord& record) {
  const std::string& id = record.job.id;
  const bool resume = AdmitRunning(record, options_.max_job_restarts);
  const absl::Status saved = store_->Save(record);
  if (!saved.ok()) {
    record.job.state = JobState::kFailed;
    record.job.error =
        absl::StrCat("cannot persist the job record: ", saved.message());
  }
  if (resume && saved.ok()) {
    Log(LogSeverity::kInfo,
        absl::StrCat("job ", id, " will resume after block ",
                     record.job.blocks_done));
    return true;
  }
  Log(LogSeverity::kError,
      absl::StrCat("job ", id, " failed: ", record.job.error));
  return false;
}

JobManager::~JobManager() { Stop(); }

void JobManager::RequestStop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  stop_requested_ = true;
}

bool JobManager::Stop(absl::Time deadline) {
  RequestStop();
  if (!runner_.joinable()) return true;
  {
    absl::MutexLock lock(&mu_);
    const auto exited = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return runner_exited_;
    };
    const MutexCondition<decltype(exited)> cond(&mu_, &exited);
    if (!mu_.AwaitWithDeadline(cond.condition(), deadline)) {
      return false;
    }
  }
  if (runner_.joinable()) runner_.join();
  return true;
}

void JobManager::TouchLocked(Entry& entry) {
  entry.record.job.updated_utc = UtcNow();
  entry.progress.job = entry.record.job;
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
    ++counts[JobStateName(entry.record.job.state)];
  }
  for (const auto& [state, count] : counts) {
    options_.metrics->SetJobs(state, count);
  }
}

absl::Status JobManager::Persist(const std::string& id) {
  absl::MutexLock store_lock(&store_mu_);
  JobRecord record;
  {
    absl::MutexLock lock(&mu_);
    record = jobs_.at(id).record;
  }
  absl::Status status = store_->Save(record);
  if (status.ok()) return status;
  return absl::Status(
      status.code(),
      absl::StrCat("cannot persist the job record: ", status.message()));
}

void JobManager::PersistOrNote(const std::string& id) {
  const absl::Status status = Persist(id);
  if (status.ok()) return;
  Log(LogSeverity::kError, absl::StrCat("job ", id, ": ", status.message()));
  absl::MutexLock lock(&mu_);
  Entry& entry = jobs_.at(id);
  const std::string before = entry.record.job.error;
  entry.record.job.error = before.empty()
                               ? std::string(status.message())
                               : absl::StrCat(before, "; ", status.message());
  TouchLocked(entry);
}

void JobManager::FailJob(const std::string& id, const absl::Status& status) {
  {
    absl::MutexLock lock(&mu_);
    Entry& entry = jobs_.at(id);
    entry.record.job.state = JobState::kFailed;
    entry.record.job.error = std::string(status.message());
    entry.publishing = false;
    TouchLocked(entry);
    UpdateGaugesLocked();
  }
  PersistOrNote(id);
  Log(LogSeverity::kWarning,
      absl::StrCat("job ", id, " failed: ", status.message()));
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

absl::StatusOr<JobInfo> JobManager::Enqueue(
    JobRecord record, const torch::Tensor& data, const Caller* caller,
    const std::function<bool()>& abandoned) {
  const std::string name = record.job.model_name;
  std::optional<std::string> on_disk;
  if (caller != nullptr) on_disk = DiskOwner(name);
  bool claimed = false;
  {
    absl::MutexLock lock(&mu_);
    RETURN_IF_ERROR(CheckQueueRoomLocked());
    if (caller != nullptr) {
      // Decided under mu_, so two first creators of a name cannot both win.
      const std::optional<std::string> owner = OwnerLocked(name, on_disk);
      RETURN_IF_ERROR(CheckOwnerOf(name, owner, *caller));
      record.owner = caller->id;
      record.model_owner = owner.value_or(caller->id);
      claimed = !owner.has_value();
      if (claimed) owners_[name] = caller->id;
    }
    ++reserved_;
  }
  absl::StatusOr<JobInfo> job =
      WriteAndQueue(std::move(record), data, abandoned);
  absl::MutexLock lock(&mu_);
  --reserved_;
  if (!job.ok() && claimed) owners_.erase(name);
  return job;
}

absl::StatusOr<JobInfo> JobManager::WriteAndQueue(
    JobRecord record, const torch::Tensor& data,
    const std::function<bool()>& abandoned) {
  RETURN_IF_ERROR(WriteNewJob(record, data, abandoned));
  const std::string& id = record.job.id;
  absl::MutexLock lock(&mu_);
  if (stopping_) {
    // Persisted as QUEUED: it runs after the next start.
    return record.job;
  }
  Entry entry;
  entry.record = record;
  entry.progress.job = record.job;
  jobs_.emplace(id, std::move(entry));
  queue_.push_back(id);
  UpdateGaugesLocked();
  Log(LogSeverity::kInfo,
      absl::StrCat("job ", id, " queued for model ", record.job.model_name));
  return record.job;
}

absl::Status JobManager::WriteNewJob(JobRecord& record,
                                     const torch::Tensor& data,
                                     const std::function<bool()>& abandoned) {
  absl::MutexLock store_lock(&store_mu_);
  ASSIGN_OR_RETURN(const std::string id, store_->NewJobId());
  record.job.id = id;
  record.job.state = JobState::kQueued;
  record.job.created_utc = UtcNow();
  record.job.updated_utc = record.job.created_utc;
  if (record.data.source == DataSpec::Source::kUpload &&
      record.data.upload_job.empty()) {
    record.data.upload_job = id;
  }
  if (data.defined()) {
    RETURN_IF_ERROR(WriteTrainingArray(data, store_->DataPath(id)));
  }
  RETURN_IF_ERROR(store_->Save(record));
  // The last moment before the job becomes visible.
  if (abandoned && abandoned()) {
    store_->Remove(id);
    return absl::CancelledError("the upload was cancelled; no job was created");
  }
  return absl::OkStatus();
}

absl::StatusOr<JobInfo> JobManager::GetJob(const std::string& id) const {
  absl::MutexLock lock(&mu_);
  auto it = jobs_.find(id);
  if (it == jobs_.end()) {
    return absl::NotFoundError(absl::StrCat("job ", id, ": unknown"));
  }
  return it->second.progress.job;
}

std::vector<JobInfo> JobManager::ListJobs() const {
  absl::MutexLock lock(&mu_);
  std::vector<JobInfo> jobs;
  for (const auto& [id, entry] : jobs_) {
    jobs.push_back(entry.progress.job);
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

absl::StatusOr<JobInfo> JobManager::CancelJob(const std::string& id,
                                              const Caller* caller) {
  {
    absl::MutexLock lock(&mu_);
    auto it = jobs_.find(id);
    if (it == jobs_.end()) {
      return absl::NotFoundError(absl::StrCat("job ", id, ": unknown"));
    }
    Entry& entry = it->second;
    if (caller != nullptr && !caller->admin &&
        entry.record.owner != caller->id) {
      return absl::PermissionDeniedError(
          absl::StrCat("job ", id,
                       " was created by another token; only its creator or "
                       "an admin token may cancel it"));
    }
    const JobState state = entry.record.job.state;
    if (IsTerminal(state) || entry.publishing) {
      return entry.progress.job;
    }
    if (state == JobState::kQueued) {
      queue_.erase(std::remove(queue_.begin(), queue_.end(), id), queue_.end());
    }
    if (running_ == id) cancel_running_ = true;
    entry.record.job.state = JobState::kCancelled;
    entry.record.job.error = "cancelled by request";
    TouchLocked(entry);
    UpdateGaugesLocked();
  }
  PersistOrNote(id);
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
      const MutexCondition<decltype(ready)> cond(&mu_, &ready);
      mu_.Await(cond.condition());
      if (stopping_) {
        runner_exited_ = true;
        return;
      }
      id = queue_.front();
      queue_.pop_front();
      Entry& entry = jobs_.at(id);
      if (IsTerminal(entry.record.job.state)) continue;
      entry.record.job.state = JobState::kRunning;
      entry.record.job.error = "";
      entry.record.paused = false;
      TouchLocked(entry);
      UpdateGaugesLocked();
      running_ = id;
      cancel_running_ = false;
    }
    const absl::Status persisted = Persist(id);
    if (persisted.ok()) {
      RunJob(id);
    } else {
      FailJob(id, persisted);
    }
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
  // One trainer per store: replicas sharing it may serve, not train.
  absl::StatusOr<std::unique_ptr<StoreLock>> trainer_lock =
      std::unique_ptr<StoreLock>();
  if (!options_.model_dir.empty()) {
    trainer_lock = StoreLock::Acquire(options_.model_dir);
  }
  const absl::Status status =
      trainer_lock.ok() ? TrainJob(id, record) : trainer_lock.status();
  trainer_lock = std::unique_ptr<StoreLock>();  // released before the record
  bool paused = false;
  {
    absl::MutexLock lock(&mu_);
    Entry& entry = jobs_.at(id);
    if (IsTerminal(entry.record.job.state)) return;  // cancelled
    // Stopped for shutdown: stays RUNNING and resumes on the next start
    // without counting a restart.
    paused = !status.ok() && stopping_ && !cancel_running_;
    entry.record.paused = paused;
    if (status.ok()) {
      entry.record.job.state = JobState::kSucceeded;
      entry.publishing = false;
      TouchLocked(entry);
      UpdateGaugesLocked();
    }
  }
  if (!status.ok() && !paused) return FailJob(id, status);
  PersistOrNote(id);
  Log(LogSeverity::kInfo,
      absl::StrCat("job ", id, paused ? " paused" : " succeeded"));
}

}  // namespace jkoflow
