// Data-parallel training with real jkoflow-train-worker processes on
// loopback: two ranks reproduce one process's loss curve and end with the
// same weights; a killed rank makes the other fail within the timeout; a
// job restarted after a rank died resumes from its last checkpoint; ranks
// with different data and a second trainer into a locked store are
// refused.

#include <gtest/gtest.h>
#include <signal.h>

#include <cmath>
#include <filesystem>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "base/store_lock.h"
#include "loopback.h"
#include "nlohmann/json.hpp"
#include "scratch_dir.h"
#include "status_assert.h"
#include "subprocess.h"

namespace jkoflow {
namespace integration {
namespace {

namespace fs = std::filesystem;

// One worker process and its files.
struct Worker {
  std::unique_ptr<Subprocess> process;
  std::string out, err, progress, model;
};

class TrainWorkerTest : public ::testing::Test {
 protected:
  // Start() launches rank `rank` of `world` with the common flags, `extra`
  // and its own stdout, stderr, progress log and final-model directory.
  Worker Start(const std::string& tag, int rank, int world,
               const std::vector<std::string>& extra) {
    Worker w;
    const std::string base = dir_.Sub(absl::StrCat(tag, "_rank", rank));
    w.out = base + ".out";
    w.err = base + ".err";
    w.progress = base + ".jsonl";
    w.model = base + "_model";
    std::vector<std::string> argv = {
        JKOFLOW_TRAIN_WORKER_BINARY,
        absl::StrCat("--rank=", rank),
        absl::StrCat("--world_size=", world),
        absl::StrCat("--rendezvous=127.0.0.1:", port_),
        "--threads=1",
        "--points=20000",
        "--timeout_s=30",
        "--progress_log=" + w.progress,
        "--rank_model_out=" + w.model};
    argv.insert(argv.end(), extra.begin(), extra.end());
    absl::StatusOr<std::unique_ptr<Subprocess>> process =
        Subprocess::Spawn(argv, w.out, w.err);
    EXPECT_TRUE(process.ok()) << process.status();
    if (process.ok()) w.process = *std::move(process);
    return w;
  }

  // Finish() waits for `w` and expects exit code 0.
  void Finish(Worker& w, absl::Duration timeout = absl::Minutes(3)) {
    absl::StatusOr<ExitStatus> exit = w.process->Wait(timeout);
    ASSERT_TRUE(exit.ok()) << exit.status();
    EXPECT_TRUE(exit->Exited(0)) << exit->ToString() << "\n"
                                 << ReadFileOrEmpty(w.err);
  }

  // Lines() counts the JSON lines a worker has written to its progress log.
  static int Lines(const Worker& w) {
    const std::string text = ReadFileOrEmpty(w.progress);
    return static_cast<int>(std::count(text.begin(), text.end(), '\n'));
  }

  // WaitFor() polls `done` every 50 ms for at most `timeout`.
  template <typename Done>
  static bool WaitFor(const Done& done, absl::Duration timeout) {
    const absl::Time deadline = absl::Now() + timeout;
    while (absl::Now() < deadline) {
      if (done()) return true;
      absl::SleepFor(absl::Milliseconds(50));
    }
    return done();
  }

  void SetUp() override {
    absl::StatusOr<int> port = FreeLoopbackPort();
    ASSERT_TRUE(port.ok()) << port.status();
    port_ = *port;
  }

  ScratchDir dir_{"train_worker"};
  int port_ = 0;
};

// Losses() reads the "loss" of every line of a progress log.
std::vector<double> Losses(const std::string& path) {
  std::vector<double> losses;
  std::istringstream lines(ReadFileOrEmpty(path));
  for (std::string line; std::getline(lines, line);) {
    losses.push_back(nlohmann::json::parse(line).at("loss").get<double>());
  }
  return losses;
}

// The summary JSON line a worker prints last.
nlohmann::json Summary(const Worker& w) {
  const std::vector<std::string> lines =
      absl::StrSplit(ReadFileOrEmpty(w.out), '\n', absl::SkipWhitespace());
  if (lines.empty()) return nlohmann::json::object();
  return nlohmann::json::parse(lines.back(), nullptr, false);
}

// The bound the 2-rank loss curve must stay in around the 1-rank one: the
// ranks add their half-batch means, one process sums the whole batch, so
// the float32 sums differ in rounding only. Measured on this workload: at
// most 4.8e-7 relative over 50 iterations (about 4 float32 ulps).
constexpr double kLossRelativeTolerance = 1e-5;

TEST_F(TrainWorkerTest, TwoRanksReproduceTheOneRankLossCurveAndWeights) {
  const std::vector<std::string> job = {
      "--set=max_blocks=1,iterations_per_block=50,batch_size=2000,"
      "diagnostic_points=0",
      "--seed=11", "--model_dir=" + dir_.Sub("store"), "--name=dp"};
  Worker single =
      Start("single", 0, 1,
            {"--set=max_blocks=1,iterations_per_block=50,batch_size=2000,"
             "diagnostic_points=0",
             "--seed=11"});
  Finish(single);
  Worker rank0 = Start("dp", 0, 2, job);
  Worker rank1 = Start("dp", 1, 2, job);
  Finish(rank0);
  Finish(rank1);

  const std::vector<double> one = Losses(single.progress);
  ASSERT_EQ(one.size(), 50u);
  for (const Worker* w : {&rank0, &rank1}) {
    const std::vector<double> two = Losses(w->progress);
    ASSERT_EQ(two.size(), one.size());
    for (size_t i = 0; i < one.size(); ++i) {
      EXPECT_NEAR(two[i], one[i], kLossRelativeTolerance * std::abs(one[i]))
          << "iteration " << i + 1;
    }
  }
  // Both ranks took the same Adam steps: bit-identical block weights.
  const std::string weights0 =
      ReadFileOrEmpty(rank0.model + "/block_001.weights");
  ASSERT_FALSE(weights0.empty());
  EXPECT_EQ(weights0, ReadFileOrEmpty(rank1.model + "/block_001.weights"));

  const nlohmann::json summary = Summary(rank0);
  EXPECT_EQ(summary.value("world_size", 0), 2) << summary.dump();
  EXPECT_EQ(summary.value("backend", ""), "gloo");
  EXPECT_GE(summary.value("allreduce_calls", 0), 50);
  EXPECT_EQ(summary.value("published_version", 0), 1);
  // Rank 0 published v1 and removed the job's checkpoint.
  EXPECT_TRUE(fs::exists(dir_.Sub("store/dp/v1/manifest.json")));
  EXPECT_FALSE(fs::exists(dir_.Sub("store/.checkpoints/dp")));
}

TEST_F(TrainWorkerTest, AKilledRankMakesTheOtherFailWithinTheTimeout) {
  const std::vector<std::string> job = {
      "--set=max_blocks=1,iterations_per_block=5000,batch_size=1000"};
  Worker rank0 = Start("kill", 0, 2, job);
  Worker rank1 = Start("kill", 1, 2, job);
  ASSERT_TRUE(WaitFor([&] { return Lines(rank0) >= 3; }, absl::Minutes(1)))
      << ReadFileOrEmpty(rank0.err);
  rank1.process->Kill();
  const absl::Time killed = absl::Now();
  absl::StatusOr<ExitStatus> exit = rank0.process->Wait(absl::Seconds(40));
  ASSERT_TRUE(exit.ok()) << "rank 0 still runs 40 s after rank 1 died";
  EXPECT_FALSE(exit->Exited(0)) << exit->ToString();
  EXPECT_LT(absl::Now() - killed, absl::Seconds(30));  // --timeout_s
  EXPECT_TRUE(absl::StrContains(ReadFileOrEmpty(rank0.err), "peer rank"))
      << ReadFileOrEmpty(rank0.err);
}

TEST_F(TrainWorkerTest, ARestartedJobResumesFromTheLastCheckpoint) {
  const std::string store = dir_.Sub("store");
  const std::vector<std::string> job = {
      "--set=max_blocks=2,iterations_per_block=400,batch_size=500,"
      "diagnostic_points=0,stop_tolerance=0",
      "--seed=5", "--model_dir=" + store, "--name=resumed"};
  const std::string checkpoint = store + "/.checkpoints/resumed";
  {
    Worker rank0 = Start("first", 0, 2, job);
    Worker rank1 = Start("first", 1, 2, job);
    // Block 1 is checkpointed: kill rank 1 early in block 2.
    ASSERT_TRUE(WaitFor(
        [&] { return fs::exists(checkpoint + "/manifest.json"); },
        absl::Minutes(5)))  // generous: sanitizer builds are ~10x slower
        << ReadFileOrEmpty(rank0.err);
    rank1.process->Kill();
    absl::StatusOr<ExitStatus> exit = rank0.process->Wait(absl::Seconds(40));
    ASSERT_TRUE(exit.ok());
    ASSERT_FALSE(exit->Exited(0)) << "block 2 finished before the kill";
  }
  const std::string block1 = ReadFileOrEmpty(checkpoint + "/block_001.weights");
  ASSERT_FALSE(block1.empty());
  EXPECT_FALSE(fs::exists(store + "/resumed/v1"));

  Worker rank0 = Start("again", 0, 2, job);
  Worker rank1 = Start("again", 1, 2, job);
  Finish(rank0);
  Finish(rank1);
  // The restarted ranks trained block 2 only, on top of the checkpoint.
  const std::string progress = ReadFileOrEmpty(rank0.progress);
  EXPECT_TRUE(absl::StartsWith(progress, "{\"block\":2,")) << progress;
  EXPECT_EQ(ReadFileOrEmpty(store + "/resumed/v1/block_001.weights"), block1);
  EXPECT_TRUE(fs::exists(store + "/resumed/v1/block_002.weights"));
  EXPECT_EQ(ReadFileOrEmpty(rank0.model + "/block_002.weights"),
            ReadFileOrEmpty(rank1.model + "/block_002.weights"));
}

TEST_F(TrainWorkerTest, ASecondTrainerIntoALockedStoreIsRefused) {
  const std::string store = dir_.Sub("store");
  fs::create_directories(store);
  absl::StatusOr<std::unique_ptr<StoreLock>> lock = StoreLock::Acquire(store);
  ASSERT_TRUE(lock.ok()) << lock.status();
  Worker w = Start("locked", 0, 1, {"--model_dir=" + store});
  absl::StatusOr<ExitStatus> exit = w.process->Wait(absl::Minutes(1));
  ASSERT_TRUE(exit.ok());
  EXPECT_TRUE(exit->Exited(1)) << exit->ToString();
  EXPECT_TRUE(
      absl::StrContains(ReadFileOrEmpty(w.err), "only one process may train"))
      << ReadFileOrEmpty(w.err);
}

TEST_F(TrainWorkerTest, RanksWithDifferentDataAreRefused) {
  Worker rank0 = Start("data", 0, 2, {"--data_seed=1"});
  Worker rank1 = Start("data", 1, 2, {"--data_seed=2"});
  absl::StatusOr<ExitStatus> exit1 = rank1.process->Wait(absl::Minutes(1));
  absl::StatusOr<ExitStatus> exit0 = rank0.process->Wait(absl::Minutes(1));
  ASSERT_TRUE(exit0.ok() && exit1.ok());
  EXPECT_TRUE(exit1->Exited(1)) << exit1->ToString();
  EXPECT_FALSE(exit0->Exited(0)) << exit0->ToString();
  EXPECT_TRUE(absl::StrContains(ReadFileOrEmpty(rank1.err),
                                "holds other training data than rank 0"))
      << ReadFileOrEmpty(rank1.err);
  EXPECT_EQ(Lines(rank0), 0);  // no iteration ran
}

TEST_F(TrainWorkerTest, BadFlagsAreClearErrors) {
  Worker w = Start("bad", 3, 2, {});
  absl::StatusOr<ExitStatus> exit = w.process->Wait(absl::Minutes(1));
  ASSERT_TRUE(exit.ok());
  EXPECT_TRUE(exit->Exited(1));
  EXPECT_TRUE(absl::StrContains(ReadFileOrEmpty(w.err), "rank: 3"))
      << ReadFileOrEmpty(w.err);
  Worker unknown = Start("unknown", 0, 1, {"--set=no_such_option=1"});
  exit = unknown.process->Wait(absl::Minutes(1));
  ASSERT_TRUE(exit.ok());
  EXPECT_TRUE(exit->Exited(1));
  EXPECT_TRUE(
      absl::StrContains(ReadFileOrEmpty(unknown.err), "no_such_option"));
}

}  // namespace
}  // namespace integration
}  // namespace jkoflow
