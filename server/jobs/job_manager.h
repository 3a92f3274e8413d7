#ifndef JKOFLOW_SERVER_JOBS_JOB_MANAGER_H_
#define JKOFLOW_SERVER_JOBS_JOB_MANAGER_H_

#include <torch/types.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "core/flow_model.h"
#include "core/progressive_trainer.h"
#include "server/auth/caller.h"
#include "server/jobs/job_store.h"
#include "server/jobs/job_types.h"
#include "server/observability/metrics.h"
#include "server/serving/model_registry.h"

namespace jkoflow {

// JobManager runs training jobs one at a time on the server's device, in
// FIFO order, and persists them in a JobStore so that they survive a crash:
// a job's record is rewritten atomically on every state change, the model is
// checkpointed after every completed block, and on start a RUNNING job
// resumes from its last checkpoint (ProgressiveTrainer is deterministic per
// (seed, block), so the resumed blocks are the ones an uninterrupted run
// would have trained). QUEUED jobs stay queued; SUCCEEDED, FAILED and
// CANCELLED never change. A successful job writes its model as the next
// version of its name in the registry and loads it.
//
// The manager is the jobs' state machine (QUEUED → RUNNING → SUCCEEDED,
// FAILED or CANCELLED; a RUNNING job found at start resumes at most
// max_job_restarts times) with their queue and persistence
// (job_manager.cc); requests become records in job_requests.cc; each run
// is a JobRunner (job_runner.h) that reports back through the hooks of
// job_run_hooks.cc. A record that cannot be persisted fails its job.
//
// Ownership (a server with --auth_token_file passes a Caller): the token
// that first creates a model name owns it; its id is recorded in the job
// record and in the manifest of every version the name gets. Another
// train token may not create a job under that name, train a block on it,
// or cancel a job it did not create (PERMISSION_DENIED); an admin token
// may do all three. A name made without tokens belongs to no train token
// (admin only). With no Caller (nullptr) nothing is checked.
//
// Thread-safe. The manager owns one runner thread; the Create*/TrainBlock
// methods do file I/O (call them off gRPC reaction threads); Get/List/
// Cancel/Progress only touch memory.
class JobManager {
 public:
  struct Options {
    std::string job_dir = "./var/jobs";
    std::string data_dir = "./var/data";
    torch::Device device = torch::Device("cpu");
    ModelRegistry* registry = nullptr;  // required; not owned
    Metrics* metrics = nullptr;         // not owned; may be null
    // Jobs waiting to run (QUEUED, or RUNNING to resume) before new ones
    // are refused with RESOURCE_EXHAUSTED (--max_queued_jobs).
    int64_t max_queued_jobs = 64;
    // A job found RUNNING after an unclean stop resumes at most this many
    // times, then fails (--max_job_restarts), so one job that kills the
    // server cannot make it crash-loop.
    int64_t max_job_restarts = 2;
    // Parameters one block may have (--max_block_params); 0: no limit.
    int64_t max_block_params = 0;
    // New jobs are refused while the model store (`model_dir`) and the job
    // store hold this many bytes (--max_store_bytes); 0: no limit.
    std::string model_dir;
    int64_t max_store_bytes = 0;
    // After a publish, versions of the name older than the newest
    // keep_versions are removed (--keep_versions); 0 keeps all.
    int64_t keep_versions = 0;
    // Uploads receiving points at once (--max_uploads); 0: no limit.
    int64_t max_uploads = 0;
  };

  // Create() loads the persisted jobs and starts the runner, which resumes
  // a RUNNING job first. A RUNNING job left by an unclean stop counts one
  // restart (persisted); past max_job_restarts it is FAILED instead.
  static absl::StatusOr<std::unique_ptr<JobManager>> Create(
      const Options& options);
  // The destructor calls Stop().
  ~JobManager();
  JobManager(const JobManager&) = delete;
  JobManager& operator=(const JobManager&) = delete;

  // CheckQueueRoom() is RESOURCE_EXHAUSTED naming --max_queued_jobs when
  // max_queued_jobs jobs wait to run; the Create*/TrainBlock methods check
  // it first and again when they queue. Only touches memory.
  absl::Status CheckQueueRoom() const;
  // AcquireUpload() takes one of the max_uploads places of uploads in
  // progress (RESOURCE_EXHAUSTED naming --max_uploads when none is free);
  // IMPORTANT: a caller that got OK calls ReleaseUpload() once when its
  // upload ends. Only touches memory.
  absl::Status AcquireUpload();
  void ReleaseUpload();

  // CheckStoreRoom() is RESOURCE_EXHAUSTED naming --max_store_bytes when
  // the stores are full; the Create*/TrainBlock methods check it before
  // any work. Walks the store directories (file I/O).
  absl::Status CheckStoreRoom() const;

  // CreateTrainingJob() validates the request (model name, data source and
  // its values, hyper-parameters against the data size), copies a data file
  // into the job's directory and queues the job. INVALID_ARGUMENT for a bad
  // request (a data row too far out for float32 included), NOT_FOUND for a
  // missing data file, RESOURCE_EXHAUSTED when the queue is full.
  // PERMISSION_DENIED when `caller` (nullptr: no tokens) may not change
  // the name.
  absl::StatusOr<JobInfo> CreateTrainingJob(const NewModelJob& request,
                                            const Caller* caller = nullptr);

  // CreateUploadedJob() is CreateTrainingJob() for client-streamed data
  // [rows, cols] (CPU float32; non-finite or too distant rows are
  // INVALID_ARGUMENT); the data is persisted as the job's .npy. `request`'s
  // data is ignored. `abandoned` (may be null) is asked once the
  // job is written, just before it becomes visible: when it says true
  // (the upload was cancelled) the job is removed and the result is
  // CANCELLED, so a cancelled upload never creates a job.
  absl::StatusOr<JobInfo> CreateUploadedJob(
      const NewModelJob& request, const torch::Tensor& data,
      const Caller* caller = nullptr,
      std::function<bool()> abandoned = nullptr);

  // TrainBlock() queues a job that appends one block to a loaded model
  // version (newest unless named) and writes it as the next version. Unset
  // data and hyper-parameters default to what the model was trained with.
  // NOT_FOUND / FAILED_PRECONDITION as ModelRegistry::Resolve().
  // PERMISSION_DENIED as CreateTrainingJob().
  absl::StatusOr<JobInfo> TrainBlock(const BlockJob& request,
                                     const Caller* caller = nullptr);

  // GetJob(): NOT_FOUND for an unknown id.
  absl::StatusOr<JobInfo> GetJob(const std::string& id) const;
  // ListJobs() returns every job, oldest first.
  std::vector<JobInfo> ListJobs() const;
  // CancelJob() cancels a queued job at once and a running one at its next
  // iteration; a terminal job (or one already publishing its model) is
  // returned unchanged. NOT_FOUND for an unknown id; PERMISSION_DENIED
  // when `caller` is neither the job's creator nor an admin.
  absl::StatusOr<JobInfo> CancelJob(const std::string& id,
                                    const Caller* caller = nullptr);
  // Progress() returns the latest event of a job. NOT_FOUND when unknown.
  absl::StatusOr<JobProgress> Progress(const std::string& id) const;

  // RequestStop() asks the runner to stop the running job at its next
  // iteration boundary and start no other; it does not wait.
  void RequestStop();
  // Stop() is RequestStop() and waits until `deadline` for the runner,
  // leaving the running job RUNNING on disk so that it resumes on the next
  // start. True once the runner is joined; false when it still runs at
  // the deadline (a later Stop() waits again). Idempotent.
  bool Stop(absl::Time deadline = absl::InfiniteFuture());

 private:
  struct Entry {
    JobRecord record;
    JobProgress progress;
    bool publishing = false;  // the model is being written; too late to cancel
  };

  JobManager(const Options& options, std::unique_ptr<JobStore> store);

  // Enqueue() reserves a place in the queue (RESOURCE_EXHAUSTED when it is
  // full) and, for a `caller`, the model name (claiming a new one;
  // PERMISSION_DENIED for another's), assigns an id, writes `data` (if
  // defined) and the record, and queues the job.
  absl::StatusOr<JobInfo> Enqueue(JobRecord record, const torch::Tensor& data,
                                  const Caller* caller,
                                  const std::function<bool()>& abandoned);
  // WriteAndQueue() is Enqueue() once a place is reserved.
  absl::StatusOr<JobInfo> WriteAndQueue(JobRecord record,
                                        const torch::Tensor& data,
                                        const std::function<bool()>& abandoned);
  // WriteNewJob() gives `record` a new id and QUEUED state and writes its
  // data (if defined) and the record; CANCELLED (and nothing left on
  // disk) when `abandoned` then says true.
  absl::Status WriteNewJob(JobRecord& record, const torch::Tensor& data,
                           const std::function<bool()>& abandoned);
  // AdoptLocked() takes the records found at start: RUNNING ones resume
  // first (or fail, see AdmitFoundRunning()), then QUEUED ones in order.
  void AdoptLocked(std::vector<JobRecord> records)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // AdmitFoundRunning() counts a restart of a RUNNING `record` found at
  // start (or fails it past max_job_restarts, or when it cannot be
  // persisted) and persists it; true when it resumes.
  bool AdmitFoundRunning(JobRecord& record);
  // EnqueueNewModel() checks the hyper-parameters of a new model against
  // its data (`record.data`, `contents` unless generated) and queues it.
  absl::StatusOr<JobInfo> EnqueueNewModel(
      const NewModelJob& request, JobRecord record,
      const torch::Tensor& contents, const Caller* caller,
      const std::function<bool()>& abandoned);
  // DiskOwner() is the owner the newest version of `name` on disk records
  // ("" when it records none or cannot be read); nullopt when the name has
  // no version on disk. Reads one manifest.
  std::optional<std::string> DiskOwner(const std::string& name) const;
  // OwnerLocked() is the owner of `name`: `on_disk` when set, else the
  // one a job claimed; nullopt for a name nobody has created.
  std::optional<std::string> OwnerLocked(
      const std::string& name, const std::optional<std::string>& on_disk) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);
  // CheckOwnerOf() is PERMISSION_DENIED unless `caller` may change model
  // `name` owned by `owner` (nullopt: a new name, which anyone may claim).
  static absl::Status CheckOwnerOf(const std::string& name,
                                   const std::optional<std::string>& owner,
                                   const Caller& caller);
  // CheckOwner() is PERMISSION_DENIED when `caller` (nullptr: no tokens)
  // may not change model `name`; checked before any other work.
  absl::Status CheckOwner(const std::string& name, const Caller* caller) const;
  // BaseVersion() resolves the model version a TrainBlock extends
  // (INVALID_ARGUMENT for a negative version or a model at the block
  // limit; NOT_FOUND / FAILED_PRECONDITION as ModelRegistry::Resolve()).
  absl::StatusOr<ModelVersion> BaseVersion(const BlockJob& request) const;
  // NextBlockOptions() is the trainer options of one more block of `model`
  // on `rows` × `dim` data: `hp` over what the model was trained with.
  absl::StatusOr<TrainerOptions> NextBlockOptions(
      const TrainingSettings& settings, const FlowModel& model, int64_t rows,
      int64_t dim) const;
  // RecordedData() loads the data `model` (named `name`) was trained on,
  // as its provenance records it, for a TrainBlock without data.
  absl::Status RecordedData(const std::string& name, const FlowModel& model,
                            DataSpec* spec, torch::Tensor* contents);
  // UploadedData() is RecordedData() for an upload kept in the job store
  // (FAILED_PRECONDITION once its job is gone).
  absl::Status UploadedData(const std::string& name, const DataSpec& recorded,
                            DataSpec* spec, torch::Tensor* contents);
  void RunnerLoop();
  // RunJob() trains job `id` to the end (or until cancelled or stopped) and
  // records the outcome.
  void RunJob(const std::string& id);
  // TrainJob() runs a JobRunner on `record` with hooks into this manager;
  // OK once the model is published.
  absl::Status TrainJob(const std::string& id, const JobRecord& record);
  // ReportProgress() records one iteration of job `id` for watchers.
  void ReportProgress(const std::string& id, const IterationProgress& p,
                      int64_t blocks_done);
  // RecordBlock() records and persists a finished, checkpointed block.
  absl::Status RecordBlock(const std::string& id, int64_t blocks_done,
                           double loss);
  // ReserveVersion() marks the job as publishing (too late to cancel) and
  // returns its model version, reserving and persisting the next one
  // first, so that a restart reuses it. CANCELLED when the job was
  // cancelled or the server is stopping.
  absl::StatusOr<int64_t> ReserveVersion(const std::string& id);
  // Persist() writes the current record of `id`; the latest state always
  // wins because records are copied under store_mu_. An error names the
  // job record; the caller fails the job or reports it.
  absl::Status Persist(const std::string& id);
  // PersistOrNote() is Persist() for a state already decided (cancelled,
  // finished): a failure is written into the job's error, where clients
  // see it, and logged.
  void PersistOrNote(const std::string& id);
  // FailJob() records FAILED with `status`'s message and persists it.
  void FailJob(const std::string& id, const absl::Status& status);
  absl::Status CheckQueueRoomLocked() const ABSL_SHARED_LOCKS_REQUIRED(mu_);
  void TouchLocked(Entry& entry) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void UpdateGaugesLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Options options_;
  absl::Mutex store_mu_;
  // Paths are immutable; NewJobId() and Save() run under store_mu_.
  std::unique_ptr<JobStore> store_;

  mutable absl::Mutex mu_;
  std::map<std::string, Entry> jobs_ ABSL_GUARDED_BY(mu_);
  std::deque<std::string> queue_ ABSL_GUARDED_BY(mu_);  // runnable, in order
  // Places taken by Enqueue() calls that are still writing their job.
  int64_t reserved_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool runner_exited_ ABSL_GUARDED_BY(mu_) = false;
  int64_t uploads_ ABSL_GUARDED_BY(mu_) = 0;  // AcquireUpload() holders
  std::string running_ ABSL_GUARDED_BY(mu_);
  // Model name → owner id claimed by the first job created for it (from
  // the job records at start, then by Enqueue()).
  std::map<std::string, std::string> owners_ ABSL_GUARDED_BY(mu_);
  // Read by the training loop between iterations without taking mu_.
  std::atomic<bool> stop_requested_{false};
  std::atomic<bool> cancel_running_{false};
  std::thread runner_;
};

}  // namespace jkoflow

#endif  // JKOFLOW_SERVER_JOBS_JOB_MANAGER_H_
