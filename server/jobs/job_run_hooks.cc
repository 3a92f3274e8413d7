// JobManager's side of a job run: TrainJob() hands a JobRunner the hooks
// through which it reports progress, records checkpointed blocks and
// reserves the version it publishes. See job_manager.h and job_runner.h.

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "server/jobs/job_manager.h"
#include "server/jobs/job_runner.h"

namespace jkoflow {

void JobManager::ReportProgress(const std::string& id,
                                const IterationProgress& p,
                                int64_t blocks_done) {
  if (options_.metrics != nullptr) options_.metrics->AddTrainingIterations(1);
  absl::MutexLock lock(&mu_);
  Entry& entry = jobs_.at(id);
  JobProgress& event = entry.progress;
  entry.record.job.iteration = p.iteration;
  entry.record.job.last_loss = p.loss;
  event.block = p.block;
  event.iteration = p.iteration;
  event.loss = p.loss;
  event.potential = p.potential;
  event.neg_divergence = p.neg_divergence;
  event.movement_term = p.movement_term;
  event.h = p.h;
  const double per_iteration =
      p.block_seconds / std::max<int64_t>(1, p.iteration);
  const int64_t total = entry.record.job.blocks_total;
  const int64_t remaining =
      (p.iterations - p.iteration) + (total - blocks_done - 1) * p.iterations;
  event.eta_seconds = per_iteration * std::max<int64_t>(0, remaining);
  event.job = entry.record.job;
  ++event.revision;
}

absl::Status JobManager::RecordBlock(const std::string& id, int64_t blocks_done,
                                     double loss) {
  {
    absl::MutexLock lock(&mu_);
    Entry& entry = jobs_.at(id);
    entry.record.job.blocks_done = blocks_done;
    entry.record.job.last_loss = loss;
    TouchLocked(entry);
  }
  return Persist(id);
}

absl::Status JobManager::TrainJob(const std::string& id,
                                  const JobRecord& record) {
  JobRunner::Context context;
  context.device = options_.device;
  context.registry = options_.registry;
  context.metrics = options_.metrics;
  context.store = store_.get();
  context.keep_versions = options_.keep_versions;
  JobRunner::Hooks hooks;
  hooks.progress = [this, &id](const IterationProgress& p, int64_t done) {
    ReportProgress(id, p, done);
  };
  hooks.stop = [this] {
    return stop_requested_.load() || cancel_running_.load();
  };
  hooks.block_done = [this, &id](int64_t done, double loss) {
    return RecordBlock(id, done, loss);
  };
  hooks.reserve_version = [this, &id] { return ReserveVersion(id); };
  return JobRunner(context, record, std::move(hooks)).Run();
}

absl::StatusOr<int64_t> JobManager::ReserveVersion(const std::string& id) {
  std::string name;
  int64_t version = 0;
  {
    absl::MutexLock lock(&mu_);
    Entry& entry = jobs_.at(id);
    if (IsTerminal(entry.record.job.state) || cancel_running_) {
      return absl::CancelledError("cancelled by request");
    }
    if (stopping_) return absl::CancelledError("server stopping");
    name = entry.record.job.model_name;
    version = entry.record.job.model_version;
    entry.publishing = true;
  }
  if (version != 0) return version;  // reserved before a restart
  ASSIGN_OR_RETURN(version, options_.registry->NextVersion(name));
  {
    absl::MutexLock lock(&mu_);
    Entry& entry = jobs_.at(id);
    entry.record.job.model_version = version;
    entry.record.job.blocks_total = entry.record.job.blocks_done;
    TouchLocked(entry);
  }
  RETURN_IF_ERROR(Persist(id));
  return version;
}

}  // namespace jkoflow
