#include "server/jobs/job_store.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/server/test_util.h"

namespace jkoflow {
namespace {

using testing_util::ScratchDir;

JobRecord SampleRecord() {
  JobRecord r;
  r.kind = JobKind::kTrainBlock;
  r.base_version = 3;
  r.data.source = DataSpec::Source::kGenerator;
  r.data.generator = "gmm:3:2:7";
  r.data.n = 1234;
  r.data.seed = 18446744073709551615ull;  // survives JSON exactly
  r.data.dim = 3;
  r.hyperparameters.set_iterations(17);
  r.hyperparameters.set_h0(0.5);
  r.hyperparameters.set_stop_tolerance(0);  // explicit zero keeps presence
  r.job.set_id("job-000007");
  r.job.set_state(v1::JOB_STATE_RUNNING);
  r.job.set_model_name("m");
  r.job.set_blocks_done(1);
  r.job.set_blocks_total(2);
  r.job.set_last_loss(-1.25);
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
  EXPECT_EQ(back->job.SerializeAsString(), r.job.SerializeAsString());
  EXPECT_TRUE(back->hyperparameters.has_stop_tolerance());
  EXPECT_FALSE(back->hyperparameters.has_blocks());
  EXPECT_EQ(back->hyperparameters.iterations(), 17);
  EXPECT_EQ(back->restarts, 2);
  EXPECT_TRUE(back->paused);
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
  r.job.set_id(*id1);
  ASSERT_TRUE((*store)->Save(r).ok());
  r.job.set_id(*id2);
  ASSERT_TRUE((*store)->Save(r).ok());
  std::ofstream(dir.Sub("job-000002/job.json")) << "{ not json";

  // A new store continues the numbering.
  absl::StatusOr<std::unique_ptr<JobStore>> reopened =
      JobStore::Create(dir.path());
  ASSERT_TRUE(reopened.ok());
  std::vector<std::string> errors;
  const std::vector<JobRecord> records = (*reopened)->LoadAll(&errors);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].job.id(), "job-000001");
  EXPECT_EQ(records[0].job.state(), v1::JOB_STATE_RUNNING);
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

TEST(JobStoreTest, TerminalStates) {
  EXPECT_TRUE(IsTerminal(v1::JOB_STATE_SUCCEEDED));
  EXPECT_TRUE(IsTerminal(v1::JOB_STATE_FAILED));
  EXPECT_TRUE(IsTerminal(v1::JOB_STATE_CANCELLED));
  EXPECT_FALSE(IsTerminal(v1::JOB_STATE_QUEUED));
  EXPECT_FALSE(IsTerminal(v1::JOB_STATE_RUNNING));
}

}  // namespace
}  // namespace jkoflow
