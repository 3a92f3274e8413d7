#include "server/jobs/job_manager.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>

#include "absl/strings/match.h"
#include "absl/time/clock.h"
#include "base/atomic_file.h"
#include "core/datasets.h"
#include "core/model_store.h"
#include "server/jobs/training_data.h"
#include "tests/server/test_util.h"

namespace jkoflow {
namespace {

namespace fs = std::filesystem;
using testing_util::ScratchDir;

// Tiny, fast training settings: width 16, depth 2, 2 RK4 steps.
TrainingSettings TinySettings(int64_t blocks, int64_t iterations) {
  TrainingSettings s;
  s.scalars = {{"blocks", static_cast<double>(blocks)},
               {"iterations", static_cast<double>(iterations)},
               {"width", 16},
               {"depth", 2},
               {"steps", 2}};
  s.batch_size = 64;
  s.stop_tolerance = 0;  // always train every block
  s.seed = 11;
  return s;
}

NewModelJob GeneratorJob(const std::string& name, int64_t blocks,
                         int64_t iterations) {
  NewModelJob request;
  request.model_name = name;
  request.data.kind = DataRequest::Kind::kGenerator;
  request.data.generator = {"8gaussians", 256, 5};
  request.settings = TinySettings(blocks, iterations);
  return request;
}

// FileJob() is GeneratorJob() on `file` under the data dir.
NewModelJob FileJob(const std::string& name, const std::string& file) {
  NewModelJob request = GeneratorJob(name, 1, 2);
  request.data.kind = DataRequest::Kind::kFile;
  request.data.file = file;
  return request;
}

class JobManagerTest : public ::testing::Test {
 protected:
  JobManagerTest() : dir_("jobs") {
    fs::create_directories(dir_.Sub("data"));
    ModelRegistry::Options options;
    options.model_dir = dir_.Sub("models");
    options.inversion_points = 50;
    registry_ = *ModelRegistry::Create(options);
  }

  std::unique_ptr<JobManager> NewManager(int64_t max_job_restarts = 2) {
    JobManager::Options options;
    options.max_job_restarts = max_job_restarts;
    options.job_dir = dir_.Sub("jobs");
    options.data_dir = dir_.Sub("data");
    options.registry = registry_.get();
    absl::StatusOr<std::unique_ptr<JobManager>> m = JobManager::Create(options);
    EXPECT_TRUE(m.ok()) << m.status();
    return *std::move(m);
  }

  // WaitFor() polls job `id` until `done` holds (or 60 s pass).
  JobInfo WaitFor(JobManager& manager, const std::string& id,
                  const std::function<bool(const JobInfo&)>& done) {
    const absl::Time limit = absl::Now() + absl::Seconds(60);
    JobInfo job;
    while (absl::Now() < limit) {
      job = *manager.GetJob(id);
      if (done(job)) return job;
      absl::SleepFor(absl::Milliseconds(2));
    }
    ADD_FAILURE() << "timed out waiting for " << id << " in state "
                  << JobStateName(job.state) << " at iteration "
                  << job.iteration;
    return job;
  }

  static bool Terminal(const JobInfo& job) { return IsTerminal(job.state); }

  // OnDisk() reads the persisted record of a job.
  JobRecord OnDisk(const std::string& id) {
    absl::StatusOr<std::string> text =
        ReadFileToString(dir_.Sub("jobs/" + id + "/job.json"));
    EXPECT_TRUE(text.ok()) << text.status();
    absl::StatusOr<JobRecord> record = JobStore::ParseRecord(*text);
    EXPECT_TRUE(record.ok()) << record.status();
    return *record;
  }

  // OnDiskEventually() waits (up to 10 s) for the record on disk to reach
  // `state`: memory runs ahead of the disk by one atomic write.
  JobState OnDiskEventually(const std::string& id, JobState state) {
    const absl::Time limit = absl::Now() + absl::Seconds(10);
    JobState seen = OnDisk(id).job.state;
    while (seen != state && absl::Now() < limit) {
      absl::SleepFor(absl::Milliseconds(2));
      seen = OnDisk(id).job.state;
    }
    return seen;
  }

  static void ExpectSameWeights(const FlowModel& a, const FlowModel& b,
                                int64_t blocks) {
    ASSERT_GE(a.num_blocks(), blocks);
    ASSERT_GE(b.num_blocks(), blocks);
    for (int64_t k = 0; k < blocks; ++k) {
      const auto pa = a.block(k).field()->parameters();
      const auto pb = b.block(k).field()->parameters();
      ASSERT_EQ(pa.size(), pb.size());
      for (size_t i = 0; i < pa.size(); ++i) {
        // Bit-identical: tolerance 0.
        EXPECT_TRUE(torch::equal(pa[i], pb[i])) << "block " << k + 1;
      }
    }
  }

  ScratchDir dir_;
  std::unique_ptr<ModelRegistry> registry_;
};

TEST_F(JobManagerTest, SmallJobSucceedsAndPublishesVersionOne) {
  std::unique_ptr<JobManager> manager = NewManager();
  absl::StatusOr<JobInfo> job =
      manager->CreateTrainingJob(GeneratorJob("toy", 2, 5));
  ASSERT_TRUE(job.ok()) << job.status();
  EXPECT_EQ(job->blocks_total, 2);
  EXPECT_EQ(job->iterations, 5);
  const JobInfo done = WaitFor(*manager, job->id, Terminal);
  ASSERT_EQ(done.state, JobState::kSucceeded) << done.error;
  EXPECT_EQ(done.blocks_done, 2);
  EXPECT_EQ(done.model_version, 1);
  absl::StatusOr<ModelVersion> model = registry_->Resolve("toy", 0);
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_EQ(model->version, 1);
  EXPECT_EQ(model->model->num_blocks(), 2);
  EXPECT_EQ(model->model->provenance().dataset, "8gaussians?n=256&seed=5");
  EXPECT_EQ(OnDiskEventually(job->id, JobState::kSucceeded),
            JobState::kSucceeded);
  absl::StatusOr<JobProgress> progress = manager->Progress(job->id);
  ASSERT_TRUE(progress.ok());
  EXPECT_EQ(progress->job.state, JobState::kSucceeded);
  EXPECT_GT(progress->revision, 0u);
  EXPECT_EQ(manager->ListJobs().size(), 1u);

  // TrainBlock appends a third block as v2, keeping blocks 1 and 2.
  BlockJob extend;
  extend.model_name = "toy";
  extend.settings.scalars["iterations"] = 3;
  absl::StatusOr<JobInfo> block_job = manager->TrainBlock(extend);
  ASSERT_TRUE(block_job.ok()) << block_job.status();
  const JobInfo extended = WaitFor(*manager, block_job->id, Terminal);
  ASSERT_EQ(extended.state, JobState::kSucceeded) << extended.error;
  EXPECT_EQ(extended.model_version, 2);
  absl::StatusOr<ModelVersion> v2 = registry_->Resolve("toy", 0);
  ASSERT_TRUE(v2.ok());
  EXPECT_EQ(v2->version, 2);
  EXPECT_EQ(v2->model->num_blocks(), 3);
  ExpectSameWeights(*model->model, *v2->model, 2);
}

TEST_F(JobManagerTest, TerminalStateNeverChanges) {
  std::unique_ptr<JobManager> manager = NewManager();
  const JobInfo job = *manager->CreateTrainingJob(GeneratorJob("toy", 1, 2));
  const JobInfo done = WaitFor(*manager, job.id, Terminal);
  ASSERT_EQ(done.state, JobState::kSucceeded) << done.error;
  absl::StatusOr<JobInfo> cancelled = manager->CancelJob(job.id);
  ASSERT_TRUE(cancelled.ok());
  EXPECT_EQ(cancelled->state, JobState::kSucceeded);
  manager.reset();
  // After a restart it is still SUCCEEDED and nothing is trained again.
  manager = NewManager();
  absl::SleepFor(absl::Milliseconds(50));
  EXPECT_EQ(manager->GetJob(job.id)->state, JobState::kSucceeded);
  EXPECT_EQ(manager->GetJob(job.id)->model_version, 1);
  EXPECT_FALSE(fs::exists(registry_->VersionDir("toy", 2)));
}

TEST_F(JobManagerTest, CancelStopsRunningAndQueuedJobs) {
  std::unique_ptr<JobManager> manager = NewManager();
  const JobInfo running =
      *manager->CreateTrainingJob(GeneratorJob("long", 1, 1000000));
  const JobInfo queued =
      *manager->CreateTrainingJob(GeneratorJob("next", 1, 1000000));
  WaitFor(*manager, running.id,
          [](const JobInfo& j) { return j.iteration >= 2; });
  EXPECT_EQ(manager->GetJob(queued.id)->state, JobState::kQueued);

  absl::StatusOr<JobInfo> q = manager->CancelJob(queued.id);
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->state, JobState::kCancelled);
  absl::StatusOr<JobInfo> r = manager->CancelJob(running.id);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->state, JobState::kCancelled);
  // The runner stops within an iteration and the state stays CANCELLED.
  const int64_t at = manager->GetJob(running.id)->iteration;
  absl::SleepFor(absl::Milliseconds(300));
  EXPECT_LE(manager->GetJob(running.id)->iteration, at + 1);
  EXPECT_EQ(manager->GetJob(running.id)->state, JobState::kCancelled);
  EXPECT_EQ(OnDisk(running.id).job.state, JobState::kCancelled);
  EXPECT_EQ(OnDisk(queued.id).job.state, JobState::kCancelled);
  EXPECT_FALSE(registry_->Get("long", 0).ok());
  EXPECT_EQ(manager->CancelJob("job-999999").status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(JobManagerTest, ResumesAfterRestartWithBitIdenticalBlocks) {
  // Reference: the same job, uninterrupted.
  {
    std::unique_ptr<JobManager> manager = NewManager();
    const JobInfo ref = *manager->CreateTrainingJob(GeneratorJob("ref", 2, 60));
    ASSERT_EQ(WaitFor(*manager, ref.id, Terminal).state, JobState::kSucceeded);
  }
  std::string id;
  {
    std::unique_ptr<JobManager> manager = NewManager();
    id = manager->CreateTrainingJob(GeneratorJob("resumed", 2, 60))->id;
    // Stop it in the middle of block 2.
    WaitFor(*manager, id, [&](const JobInfo& j) {
      return j.blocks_done == 1 && j.iteration >= 5;
    });
  }  // destroyed mid-block: the job stays RUNNING on disk
  const JobRecord paused = OnDisk(id);
  EXPECT_EQ(paused.job.state, JobState::kRunning);
  EXPECT_EQ(paused.job.blocks_done, 1);
  EXPECT_TRUE(paused.paused);  // a clean stop, not a crash
  EXPECT_EQ(paused.restarts, 0);
  EXPECT_TRUE(fs::exists(dir_.Sub("jobs/" + id + "/checkpoint-1")));
  absl::StatusOr<FlowModel> checkpoint =
      LoadModel(dir_.Sub("jobs/" + id + "/checkpoint-1"), torch::kCPU);
  ASSERT_TRUE(checkpoint.ok()) << checkpoint.status();

  std::unique_ptr<JobManager> manager = NewManager();
  const JobInfo done = WaitFor(*manager, id, Terminal);
  ASSERT_EQ(done.state, JobState::kSucceeded) << done.error;
  absl::StatusOr<ModelVersion> ref = registry_->Resolve("ref", 0);
  absl::StatusOr<ModelVersion> resumed = registry_->Resolve("resumed", 0);
  ASSERT_TRUE(ref.ok() && resumed.ok());
  ExpectSameWeights(*checkpoint, *resumed->model, 1);
  ExpectSameWeights(*ref->model, *resumed->model, 2);
}

TEST_F(JobManagerTest, AJobFoundRunningTooOftenFails) {
  std::string id;
  {
    std::unique_ptr<JobManager> manager = NewManager();
    id = manager->CreateTrainingJob(GeneratorJob("loop", 1, 1000000))->id;
    WaitFor(*manager, id, [](const JobInfo& j) { return j.iteration >= 1; });
  }
  // Make the clean stop look like a crash after two restarts.
  JobRecord record = OnDisk(id);
  ASSERT_EQ(record.job.state, JobState::kRunning);
  record.paused = false;
  record.restarts = 1;
  absl::StatusOr<std::string> text = JobStore::SerializeRecord(record);
  ASSERT_TRUE(text.ok());
  const std::string path = dir_.Sub("jobs/" + id + "/job.json");
  ASSERT_TRUE(WriteFileAtomically(path, *text).ok());
  {
    // Restart 2 of 2: resumes, and the count is on disk before it runs.
    std::unique_ptr<JobManager> manager = NewManager(/*max_job_restarts=*/2);
    EXPECT_EQ(OnDisk(id).restarts, 2);
    WaitFor(*manager, id,
            [](const JobInfo& j) { return j.state == JobState::kRunning; });
  }
  record = OnDisk(id);
  record.paused = false;  // crashed again
  ASSERT_TRUE(
      WriteFileAtomically(path, *JobStore::SerializeRecord(record)).ok());
  std::unique_ptr<JobManager> manager = NewManager(/*max_job_restarts=*/2);
  const JobInfo failed = *manager->GetJob(id);
  EXPECT_EQ(failed.state, JobState::kFailed);
  EXPECT_TRUE(absl::StrContains(
      failed.error, "the server stopped 3 times while running this job"))
      << failed.error;
  EXPECT_EQ(OnDisk(id).job.state, JobState::kFailed);
  EXPECT_EQ(OnDisk(id).restarts, 3);
  // The manager goes on running other jobs.
  const JobInfo next = *manager->CreateTrainingJob(GeneratorJob("next", 1, 5));
  EXPECT_EQ(WaitFor(*manager, next.id, Terminal).state, JobState::kSucceeded);
}

TEST_F(JobManagerTest, ARecordThatCannotBePersistedFailsTheJob) {
  std::unique_ptr<JobManager> manager = NewManager();
  const JobInfo job =
      *manager->CreateTrainingJob(GeneratorJob("unsaved", 2, 3000));
  WaitFor(*manager, job.id, [](const JobInfo& j) { return j.iteration >= 1; });
  // A directory where the record goes: the atomic rename onto it fails.
  const fs::path record = dir_.Sub("jobs/" + job.id + "/job.json");
  fs::remove(record);
  fs::create_directories(record / "in-the-way");
  const JobInfo failed = WaitFor(*manager, job.id, Terminal);
  EXPECT_EQ(failed.state, JobState::kFailed);
  EXPECT_TRUE(absl::StrContains(failed.error, "cannot persist the job record"))
      << failed.error;
  EXPECT_FALSE(registry_->Get("unsaved", 0).ok());
}

TEST_F(JobManagerTest, AFullStoreRefusesNewJobsBeforeAnyWork) {
  JobManager::Options options;
  options.job_dir = dir_.Sub("jobs");
  options.data_dir = dir_.Sub("data");
  options.model_dir = dir_.Sub("models");
  options.registry = registry_.get();
  options.max_store_bytes = 1;  // any file fills it
  std::unique_ptr<JobManager> manager = *JobManager::Create(options);
  // An empty store has room for the first job.
  const JobInfo first = *manager->CreateTrainingJob(GeneratorJob("a", 1, 2));
  ASSERT_EQ(WaitFor(*manager, first.id, Terminal).state, JobState::kSucceeded);
  const absl::StatusOr<JobInfo> refused =
      manager->CreateTrainingJob(GeneratorJob("b", 1, 2));
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(
      absl::StrContains(refused.status().message(), "--max_store_bytes"))
      << refused.status();
  EXPECT_EQ(manager->ListJobs().size(), 1u);  // nothing was queued
}

TEST_F(JobManagerTest, QueuedJobsStayQueuedAcrossRestart) {
  std::string first, second;
  {
    std::unique_ptr<JobManager> manager = NewManager();
    first = manager->CreateTrainingJob(GeneratorJob("a", 1, 1000000))->id;
    second = manager->CreateTrainingJob(GeneratorJob("b", 1, 2))->id;
    WaitFor(*manager, first, [](const JobInfo& j) { return j.iteration >= 1; });
  }
  EXPECT_EQ(OnDisk(second).job.state, JobState::kQueued);
  std::unique_ptr<JobManager> manager = NewManager();
  // The RUNNING job resumes first; cancel it and the queued one runs.
  WaitFor(*manager, first,
          [](const JobInfo& j) { return j.state == JobState::kRunning; });
  EXPECT_EQ(manager->GetJob(second)->state, JobState::kQueued);
  ASSERT_TRUE(manager->CancelJob(first).ok());
  EXPECT_EQ(WaitFor(*manager, second, Terminal).state, JobState::kSucceeded);
}

TEST_F(JobManagerTest, UploadedDataIsPersistedAndTrainedOn) {
  std::unique_ptr<JobManager> manager = NewManager();
  NewModelJob request = GeneratorJob("up", 1, 3);
  request.data = DataRequest();
  const torch::Tensor data = *GenerateBuiltin("moons", 300, 2);
  absl::StatusOr<JobInfo> job = manager->CreateUploadedJob(request, data);
  ASSERT_TRUE(job.ok()) << job.status();
  EXPECT_TRUE(fs::exists(dir_.Sub("jobs/" + job->id + "/data.npy")));
  ASSERT_EQ(WaitFor(*manager, job->id, Terminal).state, JobState::kSucceeded);
  EXPECT_EQ(registry_->Resolve("up", 0)->model->provenance().dataset,
            "upload:" + job->id);
}

TEST_F(JobManagerTest, DataFilesMustStayInsideTheDataDir) {
  std::unique_ptr<JobManager> manager = NewManager();
  ASSERT_TRUE(WriteTrainingArray(*GenerateBuiltin("moons", 200, 1),
                                 dir_.Sub("data/moons.npy"))
                  .ok());
  std::ofstream(dir_.Sub("secret.csv")) << "1,2\n3,4\n";
  fs::create_symlink(dir_.Sub("secret.csv"), dir_.Sub("data/link.csv"));

  absl::StatusOr<JobInfo> ok =
      manager->CreateTrainingJob(FileJob("f", "moons.npy"));
  ASSERT_TRUE(ok.ok()) << ok.status();
  for (const std::string bad :
       {dir_.Sub("data/moons.npy"), std::string("../secret.csv"),
        std::string("sub/../../secret.csv"), std::string("link.csv")}) {
    const absl::Status s =
        manager->CreateTrainingJob(FileJob("f", bad)).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << bad << " " << s;
    EXPECT_TRUE(absl::StrContains(s.message(), "data_file")) << s;
  }
  EXPECT_EQ(
      manager->CreateTrainingJob(FileJob("f", "missing.csv")).status().code(),
      absl::StatusCode::kNotFound);
  EXPECT_EQ(WaitFor(*manager, ok->id, Terminal).state, JobState::kSucceeded);
}

TEST_F(JobManagerTest, RejectsBadRequestsBeforeQueueing) {
  std::unique_ptr<JobManager> manager = NewManager();
  auto code_of = [&](const NewModelJob& r) {
    return manager->CreateTrainingJob(r).status();
  };
  NewModelJob r = GeneratorJob("x", 1, 2);
  r.settings.scalars["iterations"] = 0;
  absl::Status s = code_of(r);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(s.message(), "hyperparameters.iterations"))
      << s;
  r = GeneratorJob("x", 1, 2);
  r.settings.scalars["h0"] = -1;
  EXPECT_TRUE(absl::StrContains(code_of(r).message(), "hyperparameters.h0"));
  r = GeneratorJob("x", 1, 2);
  r.settings.batch_size = 1000;  // data has 256 points
  s = code_of(r);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(s.message(), "batch_size")) << s;
  r = GeneratorJob("x", 1, 2);
  r.data.generator.name = "nonsense";
  EXPECT_EQ(code_of(r).code(), absl::StatusCode::kInvalidArgument);
  r = GeneratorJob("../x", 1, 2);
  EXPECT_EQ(code_of(r).code(), absl::StatusCode::kInvalidArgument);
  r = GeneratorJob("x", 1, 2);
  r.data = DataRequest();
  EXPECT_EQ(code_of(r).code(), absl::StatusCode::kInvalidArgument);

  BlockJob block;
  block.model_name = "unknown";
  EXPECT_EQ(manager->TrainBlock(block).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(manager->GetJob("job-424242").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_TRUE(manager->ListJobs().empty());
}

}  // namespace
}  // namespace jkoflow
