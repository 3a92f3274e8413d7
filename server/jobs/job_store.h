#ifndef JKOFLOW_SERVER_JOBS_JOB_STORE_H_
#define JKOFLOW_SERVER_JOBS_JOB_STORE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "server/jobs/job_types.h"
#include "server/jobs/training_data.h"

namespace jkoflow {

// JobKind: a new model (CreateTrainingJob / UploadTrainingJob) or one more
// block on an existing one (TrainBlock).
enum class JobKind { kCreate, kTrainBlock };

// JobRecord is everything needed to run, resume and report a job.
struct JobRecord {
  JobInfo job;  // what clients see; state and progress
  JobKind kind = JobKind::kCreate;
  int64_t base_version = 0;  // kTrainBlock: the version being extended
  DataSpec data;
  TrainingSettings settings;
  // Starts that found the job RUNNING after an unclean stop (a crash or a
  // kill); bounded by --max_job_restarts.
  int64_t restarts = 0;
  // True when a clean shutdown left the job RUNNING; the next start resumes
  // it without counting a restart.
  bool paused = false;
  // On a server with tokens: the owner id (TokenOwnerId()) of the token
  // that created the job, which may cancel it, and of the token that owns
  // the model name, recorded in the model it publishes. "" without tokens.
  std::string owner;
  std::string model_owner;
};

// JobStore keeps one directory per job under `root`:
//   <root>/<id>/job.json            the JobRecord (written atomically)
//   <root>/<id>/data.npy            uploaded or copied training data
//   <root>/<id>/checkpoint-<k>/     the model after k blocks of this job
// Not thread-safe: the JobManager serialises access.
class JobStore {
 public:
  // Create() makes `root` if needed.
  static absl::StatusOr<std::unique_ptr<JobStore>> Create(
      const std::string& root);

  // LoadAll() reads every job.json, ordered by id. Unreadable records are
  // skipped and reported in `errors` (if not null); they never stop the
  // others.
  std::vector<JobRecord> LoadAll(std::vector<std::string>* errors) const;

  // NewJobId() returns an id not used by any job directory ("job-000042").
  absl::StatusOr<std::string> NewJobId();

  // Save() writes the record atomically (creating the job directory).
  absl::Status Save(const JobRecord& record) const;

  std::string JobDir(const std::string& id) const;
  std::string DataPath(const std::string& id) const;
  std::string CheckpointDir(const std::string& id, int64_t blocks) const;
  // Remove() deletes job `id`'s directory (a job never made visible).
  void Remove(const std::string& id) const;
  // RemoveCheckpointsBefore() deletes checkpoints older than `blocks`.
  void RemoveCheckpointsBefore(const std::string& id, int64_t blocks) const;

  // SerializeRecord() / ParseRecord() convert a record to and from JSON.
  static absl::StatusOr<std::string> SerializeRecord(const JobRecord& record);
  static absl::StatusOr<JobRecord> ParseRecord(const std::string& json);

 private:
  explicit JobStore(std::string root) : root_(std::move(root)) {}
  const std::string root_;
  int64_t next_sequence_ = 1;
};

}  // namespace jkoflow

#endif  // JKOFLOW_SERVER_JOBS_JOB_STORE_H_
