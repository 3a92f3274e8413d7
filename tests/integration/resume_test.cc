// Crash recovery of training jobs with a real jkoflow-server: a 4-block job
// is killed with SIGKILL while it trains block 3, the server is restarted on
// the same directories, and the job finishes with 4 blocks whose first two
// are bit-identical to the checkpoint taken before the crash. An
// uninterrupted run of the same job then gives bit-identical blocks 1–4
// (training is deterministic per (seed, block)). A SIGTERM during training
// leaves the job RUNNING on disk, and the next start finishes it. A job
// whose server is killed on every run fails after --max_job_restarts
// resumes, and the server goes on serving.

#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "base/sha256.h"
#include "client/client.h"
#include "nlohmann/json.hpp"
#include "scratch_dir.h"
#include "server_process.h"
#include "status_assert.h"
#include "tiny_model.h"

namespace jkoflow {
namespace integration {
namespace {

namespace fs = std::filesystem;

// Block k's weights file and the SHA-256 its manifest records.
struct BlockFile {
  std::string manifest_sha256;
  std::string file_sha256;  // of the bytes on disk
  std::string bytes;
};

// ReadBlocks() reads a model directory's manifest and weights files.
absl::StatusOr<std::vector<BlockFile>> ReadBlocks(const std::string& dir) {
  const std::string text = ReadFileOrEmpty(dir + "/manifest.json");
  if (text.empty()) {
    return absl::NotFoundError(absl::StrCat(dir, "/manifest.json: missing"));
  }
  const nlohmann::json manifest = nlohmann::json::parse(text, nullptr, false);
  if (manifest.is_discarded() || !manifest.contains("blocks")) {
    return absl::DataLossError(absl::StrCat(dir, "/manifest.json: malformed"));
  }
  std::vector<BlockFile> blocks;
  for (const nlohmann::json& block : manifest["blocks"]) {
    BlockFile file;
    file.manifest_sha256 = block.value("sha256", "");
    file.bytes = ReadFileOrEmpty(
        absl::StrCat(dir, "/", block.value("weights_file", "?")));
    file.file_sha256 = Sha256Hex(file.bytes);
    blocks.push_back(std::move(file));
  }
  return blocks;
}

v1::Hyperparameters FourBlocks() {
  v1::Hyperparameters h;
  h.set_blocks(4);
  h.set_iterations(500);  // 1–2 s per block on one core: time to kill in it
  h.set_batch_size(256);
  h.set_width(16);
  h.set_depth(2);
  h.set_steps(2);
  h.set_stop_tolerance(0);  // all 4 blocks
  h.set_seed(21);
  return h;
}

TrainingData Data() {
  TrainingData data;
  data.generator = "8gaussians";
  data.n = 2000;
  data.seed = 4;
  return data;
}

class ResumeTest : public ::testing::Test {
 protected:
  absl::StatusOr<std::unique_ptr<ServerProcess>> StartServer() {
    ServerProcess::Options options;
    options.dir = dir_.path();
    options.threads = 1;  // deterministic reductions
    return ServerProcess::Start(options);
  }

  void TearDown() override {
    if (server_ == nullptr || !server_->Running()) return;
    absl::StatusOr<ExitStatus> exit = server_->Terminate(absl::Seconds(60));
    ASSERT_OK(exit);
    EXPECT_TRUE(exit->Exited(0)) << exit->ToString() << "\n" << server_->Log();
  }

  // KillDuringBlockThree() watches `job` and SIGKILLs the server as soon
  // as block 3 reports an iteration.
  void KillDuringBlockThree(Client& client, const std::string& job) {
    bool killed = false;
    v1::JobEvent at_kill;
    const absl::StatusOr<v1::Job> watched =
        client.WatchJob(job, [&](const v1::JobEvent& event) {
          if (!killed && event.block() == 3 && event.iteration() >= 1) {
            at_kill = event;
            server_->Kill();
            killed = true;
          }
        });
    ASSERT_TRUE(killed) << "block 3 was never reported; watch ended with "
                        << (watched.ok() ? watched->DebugString()
                                         : watched.status().ToString());
    EXPECT_FALSE(watched.ok()) << "the watch outlived the server";
    EXPECT_EQ(at_kill.job().blocks_done(), 2) << at_kill.DebugString();
  }

  // ExpectCheckpointTwo() checks the disk after the crash: the job is
  // RUNNING with 2 blocks done, and checkpoint 2 (whose blocks it returns
  // in `before`) is the model before the crash. Checkpoint 3 would mean
  // the kill came late.
  void ExpectCheckpointTwo(const std::string& job_dir,
                           std::vector<BlockFile>& before) {
    const std::string record = ReadFileOrEmpty(job_dir + "/job.json");
    const nlohmann::json persisted =
        nlohmann::json::parse(record, nullptr, false);
    ASSERT_FALSE(persisted.is_discarded()) << record;
    EXPECT_EQ(
        persisted.value("job", nlohmann::json::object()).value("state", ""),
        "JOB_STATE_RUNNING")
        << record;
    ASSERT_FALSE(fs::exists(job_dir + "/checkpoint-3"))
        << "block 3 finished before the kill; the test needs a longer block";
    ASSERT_TRUE(fs::exists(job_dir + "/checkpoint-2")) << record;
    ASSERT_OK_AND_ASSIGN(before, ReadBlocks(job_dir + "/checkpoint-2"));
    ASSERT_EQ(before.size(), 2u);
    for (const BlockFile& block : before) {
      ASSERT_EQ(block.file_sha256, block.manifest_sha256);
    }
  }

  // RestartAndFinish() restarts the server on the same directories, waits
  // for `job` to finish and returns model "crash" v1's blocks in `after`.
  void RestartAndFinish(const std::string& job, std::vector<BlockFile>& after) {
    ASSERT_OK_AND_ASSIGN(server_, StartServer());
    std::unique_ptr<Client> client = server_->NewClient();
    ASSERT_OK_AND_ASSIGN(const v1::Job resumed, client->GetJob(job));
    EXPECT_TRUE(resumed.state() == v1::JOB_STATE_RUNNING ||
                resumed.state() == v1::JOB_STATE_SUCCEEDED)
        << resumed.DebugString();
    EXPECT_GE(resumed.blocks_done(), 2) << resumed.DebugString();
    ASSERT_OK_AND_ASSIGN(const v1::Job done, client->WatchJob(job, nullptr));
    ASSERT_EQ(done.state(), v1::JOB_STATE_SUCCEEDED)
        << done.DebugString() << "\n"
        << server_->Log();
    EXPECT_EQ(done.blocks_done(), 4);
    EXPECT_EQ(done.model_version(), 1);
    ASSERT_OK_AND_ASSIGN(const v1::ModelInfo info,
                         client->GetModel("crash", 1));
    ASSERT_EQ(info.blocks_size(), 4);
    ASSERT_OK_AND_ASSIGN(
        after, ReadBlocks(ModelVersionDir(server_->model_dir(), "crash", 1)));
    ASSERT_EQ(after.size(), 4u);
  }

  // ExpectSameAsUninterrupted() trains the same job without a crash and
  // checks that its four blocks are those of `after`.
  void ExpectSameAsUninterrupted(const std::vector<BlockFile>& after) {
    std::unique_ptr<Client> client = server_->NewClient();
    ASSERT_OK_AND_ASSIGN(
        const v1::Job reference,
        client->CreateTrainingJob("reference", Data(), FourBlocks()));
    ASSERT_OK_AND_ASSIGN(const v1::Job reference_done,
                         client->WatchJob(reference.id(), nullptr));
    ASSERT_EQ(reference_done.state(), v1::JOB_STATE_SUCCEEDED);
    ASSERT_OK_AND_ASSIGN(
        const std::vector<BlockFile> uninterrupted,
        ReadBlocks(ModelVersionDir(server_->model_dir(), "reference", 1)));
    ASSERT_EQ(uninterrupted.size(), 4u);
    for (int k = 0; k < 4; ++k) {
      EXPECT_EQ(after[k].manifest_sha256, uninterrupted[k].manifest_sha256)
          << "block " << k + 1
          << " of the resumed job differs from an uninterrupted run";
    }
  }

  ScratchDir dir_{"resume"};
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(ResumeTest, KilledDuringBlockThreeResumesFromTheCheckpoint) {
  ASSERT_OK_AND_ASSIGN(server_, StartServer());
  std::unique_ptr<Client> client = server_->NewClient();
  ASSERT_OK_AND_ASSIGN(const v1::Job job, client->CreateTrainingJob(
                                              "crash", Data(), FourBlocks()));
  ASSERT_NO_FATAL_FAILURE(KillDuringBlockThree(*client, job.id()));
  std::vector<BlockFile> before, after;
  ASSERT_NO_FATAL_FAILURE(ExpectCheckpointTwo(
      absl::StrCat(server_->job_dir(), "/", job.id()), before));
  ASSERT_NO_FATAL_FAILURE(RestartAndFinish(job.id(), after));
  for (int k = 0; k < 2; ++k) {
    EXPECT_EQ(after[k].manifest_sha256, before[k].manifest_sha256)
        << "block " << k + 1;
    EXPECT_TRUE(after[k].bytes == before[k].bytes)
        << "block " << k + 1 << " is not bit-identical to checkpoint 2";
  }
  ExpectSameAsUninterrupted(after);
}

TEST_F(ResumeTest, SigtermDuringTrainingPausesTheJobForTheNextStart) {
  ASSERT_OK_AND_ASSIGN(server_, StartServer());
  std::unique_ptr<Client> client = server_->NewClient();
  v1::Hyperparameters two = FourBlocks();
  two.set_blocks(2);
  ASSERT_OK_AND_ASSIGN(const v1::Job job,
                       client->CreateTrainingJob("paused", Data(), two));
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (true) {
    ASSERT_OK_AND_ASSIGN(const v1::Job now, client->GetJob(job.id()));
    if (now.state() == v1::JOB_STATE_RUNNING && now.iteration() >= 20) break;
    ASSERT_LT(absl::Now(), deadline) << now.DebugString();
    absl::SleepFor(absl::Milliseconds(20));
  }
  // Shutdown stops the trainer at an iteration boundary: a prompt, clean
  // exit, with the job left RUNNING on disk (not FAILED or CANCELLED).
  const absl::Time term = absl::Now();
  absl::StatusOr<ExitStatus> exit = server_->Terminate(absl::Seconds(60));
  ASSERT_OK(exit);
  EXPECT_TRUE(exit->Exited(0)) << exit->ToString() << "\n" << server_->Log();
  EXPECT_LT(absl::Now() - term, absl::Seconds(15))
      << "shutdown waited for the training block to finish";
  const std::string record = ReadFileOrEmpty(
      absl::StrCat(server_->job_dir(), "/", job.id(), "/job.json"));
  const nlohmann::json persisted =
      nlohmann::json::parse(record, nullptr, false);
  ASSERT_FALSE(persisted.is_discarded()) << record;
  EXPECT_EQ(persisted.value("job", nlohmann::json::object()).value("state", ""),
            "JOB_STATE_RUNNING")
      << record;
  // A clean stop is not a crash: it counts no restart.
  EXPECT_TRUE(persisted.value("paused", false)) << record;
  EXPECT_EQ(persisted.value("restarts", -1), 0) << record;

  ASSERT_OK_AND_ASSIGN(server_, StartServer());
  client = server_->NewClient();
  ASSERT_OK_AND_ASSIGN(const v1::Job done, client->WatchJob(job.id(), nullptr));
  ASSERT_EQ(done.state(), v1::JOB_STATE_SUCCEEDED) << done.DebugString() << "\n"
                                                   << server_->Log();
  EXPECT_EQ(done.blocks_done(), 2);
  ASSERT_OK_AND_ASSIGN(const v1::ModelInfo info, client->GetModel("paused", 0));
  EXPECT_EQ(info.blocks_size(), 2);
}

// KillWhileTraining() watches job `id` until the trainer reports an
// iteration (not a stale event from the record) and kills the server.
void KillWhileTraining(ServerProcess& server, const std::string& id) {
  std::unique_ptr<Client> client = server.NewClient();
  bool killed = false;
  const absl::StatusOr<v1::Job> watched =
      client->WatchJob(id, [&](const v1::JobEvent& event) {
        if (!killed && event.block() >= 1 && event.iteration() >= 1) {
          server.Kill();
          killed = true;
        }
      });
  ASSERT_TRUE(killed) << "no training reported; watch ended with "
                      << (watched.ok() ? watched->DebugString()
                                       : watched.status().ToString());
}

TEST_F(ResumeTest, AJobThatKeepsKillingTheServerFailsAfterTwoRestarts) {
  ASSERT_OK_AND_ASSIGN(server_, StartServer());
  std::unique_ptr<Client> client = server_->NewClient();
  ASSERT_OK_AND_ASSIGN(const v1::Job job,
                       client->CreateTrainingJob("loop", Data(), FourBlocks()));
  // The first run and the two resumes (--max_job_restarts=2) all die.
  for (int run = 0; run < 3; ++run) {
    if (run > 0) {
      ASSERT_OK_AND_ASSIGN(server_, StartServer());
    }
    ASSERT_NO_FATAL_FAILURE(KillWhileTraining(*server_, job.id()))
        << "run " << run << "\n"
        << server_->Log();
  }
  ASSERT_OK_AND_ASSIGN(server_, StartServer());
  client = server_->NewClient();
  ASSERT_OK_AND_ASSIGN(const v1::Job failed, client->GetJob(job.id()));
  EXPECT_EQ(failed.state(), v1::JOB_STATE_FAILED) << failed.DebugString();
  EXPECT_NE(
      failed.error().find("the server stopped 3 times while running this job"),
      std::string::npos)
      << failed.DebugString();
  const std::string record = ReadFileOrEmpty(
      absl::StrCat(server_->job_dir(), "/", job.id(), "/job.json"));
  const nlohmann::json persisted =
      nlohmann::json::parse(record, nullptr, false);
  ASSERT_FALSE(persisted.is_discarded()) << record;
  EXPECT_EQ(persisted.value("restarts", -1), 3) << record;

  // The server keeps serving: a new job runs to the end.
  v1::Hyperparameters one = FourBlocks();
  one.set_blocks(1);
  one.set_iterations(20);
  ASSERT_OK_AND_ASSIGN(const v1::Job next,
                       client->CreateTrainingJob("after", Data(), one));
  ASSERT_OK_AND_ASSIGN(const v1::Job done,
                       client->WatchJob(next.id(), nullptr));
  EXPECT_EQ(done.state(), v1::JOB_STATE_SUCCEEDED) << done.DebugString();
  ASSERT_OK_AND_ASSIGN(const v1::Job still, client->GetJob(job.id()));
  EXPECT_EQ(still.state(), v1::JOB_STATE_FAILED);
}

}  // namespace
}  // namespace integration
}  // namespace jkoflow
