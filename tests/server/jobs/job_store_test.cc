#include "server/jobs/job_store.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>

#include "tests/server/test_util.h"

namespace jkoflow {
namespace {

using testing_util::ScratchDir;

void ExpectSameJob(const JobInfo& a, const JobInfo& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.state, b.state);
  EXPECT_EQ(a.model_name, b.model_name);
  EXPECT_EQ(a.blocks_done, b.blocks_done);
  EXPECT_EQ(a.blocks_total, b.blocks_total);
  EXPECT_EQ(a.iteration, b.iteration);
  EXPECT_EQ(a.iterations, b.iterations);
  EXPECT_EQ(a.error, b.error);
  EXPECT_EQ(a.model_version, b.model_version);
  EXPECT_EQ(a.created_utc, b.created_utc);
  EXPECT_EQ(a.updated_utc, b.updated_utc);
  EXPECT_EQ(a.last_loss, b.last_loss);
}

void ExpectSameSettings(const TrainingSettings& a, const TrainingSettings& b) {
  EXPECT_EQ(a.scalars, b.scalars);
  EXPECT_EQ(a.batch_size, b.batch_size);
  EXPECT_EQ(a.adaptive_step, b.adaptive_step);
  EXPECT_EQ(a.stop_tolerance, b.stop_tolerance);
  EXPECT_EQ(a.activation, b.activation);
  EXPECT_EQ(a.divergence, b.divergence);
  EXPECT_EQ(a.probes, b.probes);
  EXPECT_EQ(a.seed, b.seed);
  EXPECT_EQ(a.lr_schedule, b.lr_schedule);
  EXPECT_EQ(a.transform, b.transform);
  EXPECT_EQ(a.validation_gate, b.validation_gate);
  EXPECT_EQ(a.method, b.method);
}

JobRecord SampleRecord() {
  JobRecord r;
  r.kind = JobKind::kTrainBlock;
  r.base_version = 3;
  r.data.source = DataSpec::Source::kGenerator;
  r.data.generator = "gmm:3:2:7";
  r.data.n = 1234;
  r.data.seed = 18446744073709551615ull;  // survives JSON exactly
  r.data.dim = 3;
  r.settings.scalars["iterations"] = 17;
  r.settings.scalars["h0"] = 0.5;
  r.settings.stop_tolerance = 0;  // an explicit zero stays set
  r.settings.divergence = "hutchinson";
  r.settings.probes = 2;
  r.settings.seed = 18446744073709551615ull;
  r.settings.validation_gate = false;
  r.settings.transform = "none";
  r.job.id = "job-000007";
  r.job.state = JobState::kRunning;
  r.job.model_name = "m";
  r.job.blocks_done = 1;
  r.job.blocks_total = 2;
  r.job.last_loss = -1.25;
  r.job.created_utc = "2026-12-01T10:00:00.000Z";
  r.restarts = 2;
  r.paused = true;
  return r;
}

TEST(JobStoreTest, RecordRoundTripsThroughJson) {
  const JobRecord r = SampleRecord();
  absl::StatusOr<std::string> json = JobStore::SerializeRecord(r);
  ASSERT_TRUE(json.ok()) << json.status();
  absl::StatusOr<JobRecord> back = JobStore::ParseRecord(*json);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->kind, JobKind::kTrainBlock);
  EXPECT_EQ(back->base_version, 3);
  EXPECT_EQ(back->data.generator, "gmm:3:2:7");
  EXPECT_EQ(back->data.n, 1234);
  EXPECT_EQ(back->data.seed, 18446744073709551615ull);
  EXPECT_EQ(back->data.dim, 3);
  ExpectSameJob(back->job, r.job);
  ExpectSameSettings(back->settings, r.settings);
  EXPECT_EQ(back->restarts, 2);
  EXPECT_TRUE(back->paused);
}

// A record as the store wrote it before the job room had its own types
// (format 1: protobuf's JSON of v1.Job and v1.Hyperparameters, 64-bit
// integers as strings, enum names, defaults left out) reads as the same
// record, so jobs queued or running across the upgrade go on.
TEST(JobStoreTest, FormatOneRecordsStillRead) {
  const std::string format_one = R"({
    "format": 1, "kind": "train_block", "base_version": 3,
    "data": {"source": "generator", "dim": 3, "generator": "gmm:3:2:7",
             "n": 1234, "seed": 18446744073709551615},
    "job": {"id": "job-000007", "state": "JOB_STATE_RUNNING",
            "model_name": "m", "blocks_done": "1", "blocks_total": "2",
            "last_loss": -1.25, "created_utc": "2026-12-01T10:00:00.000Z"},
    "hyperparameters": {"iterations": "17", "h0": 0.5, "stop_tolerance": 0,
                        "divergence": "DIVERGENCE_METHOD_HUTCHINSON",
                        "probes": "2", "seed": "18446744073709551615",
                        "validation_gate": false, "transform": "none"},
    "restarts": 2, "paused": true})";
  absl::StatusOr<JobRecord> back = JobStore::ParseRecord(format_one);
  ASSERT_TRUE(back.ok()) << back.status();
  const JobRecord r = SampleRecord();
  EXPECT_EQ(back->kind, JobKind::kTrainBlock);
  EXPECT_EQ(back->data.seed, r.data.seed);
  ExpectSameJob(back->job, r.job);
  ExpectSameSettings(back->settings, r.settings);
  EXPECT_EQ(back->restarts, 2);
}

TEST(JobStoreTest, UnknownStatesAndSettingsAreDataLoss) {
  absl::StatusOr<std::string> json = JobStore::SerializeRecord(SampleRecord());
  ASSERT_TRUE(json.ok()) << json.status();
  const nlohmann::json good = nlohmann::json::parse(*json);
  nlohmann::json record = good;
  record["job"]["state"] = "PAUSED";
  EXPECT_EQ(JobStore::ParseRecord(record.dump()).status().code(),
            absl::StatusCode::kDataLoss);
  record = good;
  record["hyperparameters"]["no_such_option"] = 1;
  EXPECT_EQ(JobStore::ParseRecord(record.dump()).status().code(),
            absl::StatusCode::kDataLoss);
  record = good;
  record["hyperparameters"]["probes"] = "two";
  EXPECT_EQ(JobStore::ParseRecord(record.dump()).status().code(),
            absl::StatusCode::kDataLoss);
  record = good;
  record["format"] = 3;
  EXPECT_EQ(JobStore::ParseRecord(record.dump()).status().code(),
            absl::StatusCode::kDataLoss);
}

TEST(JobStoreTest, NonFiniteLossRoundTrips) {
  JobRecord r = SampleRecord();
  r.job.last_loss = std::numeric_limits<double>::infinity();
  absl::StatusOr<std::string> json = JobStore::SerializeRecord(r);
  ASSERT_TRUE(json.ok()) << json.status();
  absl::StatusOr<JobRecord> back = JobStore::ParseRecord(*json);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->job.last_loss, r.job.last_loss);
  r.job.last_loss = std::nan("");
  back = JobStore::ParseRecord(*JobStore::SerializeRecord(r));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(std::isnan(back->job.last_loss));
}

TEST(JobStoreTest, RecordWithoutRestartCountReadsAsZero) {
  JobRecord r = SampleRecord();
  absl::StatusOr<std::string> json = JobStore::SerializeRecord(r);
  ASSERT_TRUE(json.ok()) << json.status();
  nlohmann::json old = nlohmann::json::parse(*json);
  old.erase("restarts");
  old.erase("paused");
  absl::StatusOr<JobRecord> back = JobStore::ParseRecord(old.dump());
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->restarts, 0);
  EXPECT_FALSE(back->paused);
}

// A number that is not an integer, or one too large for its field, was cast
// silently (undefined behaviour beyond int64; found by fuzz/job_record).
TEST(JobStoreTest, NonIntegerNumbersAreRefused) {
  absl::StatusOr<std::string> json = JobStore::SerializeRecord(SampleRecord());
  ASSERT_TRUE(json.ok()) << json.status();
  const nlohmann::json good = nlohmann::json::parse(*json);
  for (const char* field : {"dim", "n", "seed"}) {
    for (const nlohmann::json& bad :
         {nlohmann::json(1e300), nlohmann::json(2.5), nlohmann::json(-1)}) {
      if (bad == -1 && std::string(field) != "seed") continue;
      nlohmann::json record = good;
      record["data"][field] = bad;
      absl::StatusOr<JobRecord> back = JobStore::ParseRecord(record.dump());
      EXPECT_EQ(back.status().code(), absl::StatusCode::kDataLoss)
          << field << " = " << bad.dump();
    }
  }
  nlohmann::json record = good;
  record["restarts"] = 1e30;
  EXPECT_EQ(JobStore::ParseRecord(record.dump()).status().code(),
            absl::StatusCode::kDataLoss);
}

TEST(JobStoreTest, OwnersRoundTripAndAreAbsentWithoutTokens) {
  JobRecord r = SampleRecord();
  absl::StatusOr<std::string> plain = JobStore::SerializeRecord(r);
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_EQ(plain->find("owner"), std::string::npos) << *plain;
  r.owner = "sha256:0123456789abcdef";
  r.model_owner = "sha256:fedcba9876543210";
  absl::StatusOr<std::string> json = JobStore::SerializeRecord(r);
  ASSERT_TRUE(json.ok()) << json.status();
  absl::StatusOr<JobRecord> back = JobStore::ParseRecord(*json);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->owner, r.owner);
  EXPECT_EQ(back->model_owner, r.model_owner);
}

TEST(JobStoreTest, SavesLoadsAndSkipsCorruptRecords) {
  ScratchDir dir("job_store");
  absl::StatusOr<std::unique_ptr<JobStore>> store =
      JobStore::Create(dir.path());
  ASSERT_TRUE(store.ok());
  absl::StatusOr<std::string> id1 = (*store)->NewJobId();
  absl::StatusOr<std::string> id2 = (*store)->NewJobId();
  ASSERT_TRUE(id1.ok() && id2.ok());
  EXPECT_EQ(*id1, "job-000001");
  EXPECT_EQ(*id2, "job-000002");
  JobRecord r = SampleRecord();
  r.job.id = *id1;
  ASSERT_TRUE((*store)->Save(r).ok());
  r.job.id = *id2;
  ASSERT_TRUE((*store)->Save(r).ok());
  std::ofstream(dir.Sub("job-000002/job.json")) << "{ not json";

  // A new store continues the numbering.
  absl::StatusOr<std::unique_ptr<JobStore>> reopened =
      JobStore::Create(dir.path());
  ASSERT_TRUE(reopened.ok());
  std::vector<std::string> errors;
  const std::vector<JobRecord> records = (*reopened)->LoadAll(&errors);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].job.id, "job-000001");
  EXPECT_EQ(records[0].job.state, JobState::kRunning);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(*(*reopened)->NewJobId(), "job-000003");
}

TEST(JobStoreTest, CheckpointsArePrunedOldestFirst) {
  ScratchDir dir("job_store_ckpt");
  auto store = *JobStore::Create(dir.path());
  for (int k = 1; k <= 3; ++k) {
    std::filesystem::create_directories(store->CheckpointDir("job-000001", k));
  }
  store->RemoveCheckpointsBefore("job-000001", 3);
  EXPECT_FALSE(std::filesystem::exists(store->CheckpointDir("job-000001", 1)));
  EXPECT_FALSE(std::filesystem::exists(store->CheckpointDir("job-000001", 2)));
  EXPECT_TRUE(std::filesystem::exists(store->CheckpointDir("job-000001", 3)));
}

TEST(JobStoreTest, TerminalStatesAndNames) {
  EXPECT_TRUE(IsTerminal(JobState::kSucceeded));
  EXPECT_TRUE(IsTerminal(JobState::kFailed));
  EXPECT_TRUE(IsTerminal(JobState::kCancelled));
  EXPECT_FALSE(IsTerminal(JobState::kQueued));
  EXPECT_FALSE(IsTerminal(JobState::kRunning));
  for (JobState state :
       {JobState::kQueued, JobState::kRunning, JobState::kSucceeded,
        JobState::kFailed, JobState::kCancelled}) {
    EXPECT_EQ(ParseJobState(JobStateName(state)), state);
  }
  EXPECT_EQ(ParseJobState("queued"), std::nullopt);
}

}  // namespace
}  // namespace jkoflow
