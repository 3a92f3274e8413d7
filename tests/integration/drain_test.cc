// Graceful shutdown of a real jkoflow-server: SIGTERM while several threads
// stream requests. Every request either completes (with all of its points)
// or fails with UNAVAILABLE (or CANCELLED while draining); none hangs, none
// gets another code, and the process exits 0. SIGTERM while a block
// trains and a call stalls: the exit comes within --drain_timeout, the
// job is left RUNNING (paused) for the next start.

#include <grpcpp/create_channel.h>
#include <gtest/gtest.h>

#include <atomic>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "client/client.h"
#include "jkoflow/v1/training.grpc.pb.h"
#include "scratch_dir.h"
#include "server_process.h"
#include "status_assert.h"
#include "tiny_model.h"

namespace jkoflow {
namespace integration {
namespace {

constexpr int kThreads = 6;

class DrainTest : public ::testing::Test {
 protected:
  void SetUp() override {
    UntrainedModelSpec spec;
    spec.blocks = 3;
    spec.width = 32;
    ASSERT_OK(WriteUntrainedModel(dir_.Sub("models"), "tiny", 1, spec));
    ServerProcess::Options options;
    options.dir = dir_.path();
    options.threads = 1;
    options.flags = {"--drain_timeout=20s"};
    ASSERT_OK_AND_ASSIGN(server_, ServerProcess::Start(options));
  }

  ScratchDir dir_{"drain"};
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(DrainTest, SigtermDuringTrafficLosesNoRequest) {
  std::mutex mu;
  std::map<std::string, int> outcomes;  // code name → count
  std::vector<std::string> unexpected;
  std::atomic<int> attempts{0};
  std::atomic<int> in_flight{0};
  std::atomic<int> max_in_flight_at_term{-1};
  std::atomic<bool> terminated{false};
  std::atomic<bool> exited{false};  // set once the process has been reaped
  std::atomic<int> ok_before_term{0};
  // Calls that started before SIGTERM and ended after it, by outcome.
  std::map<std::string, int> straddling;

  auto record = [&](const absl::Status& status, const std::string& what) {
    std::lock_guard<std::mutex> lock(mu);
    const std::string code = absl::StatusCodeToString(status.code());
    ++outcomes[code];
    const bool allowed = status.ok() ||
                         status.code() == absl::StatusCode::kUnavailable ||
                         status.code() == absl::StatusCode::kCancelled;
    if (!allowed)
      unexpected.push_back(absl::StrCat(what, ": ", status.ToString()));
  };

  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::unique_ptr<Client> client = server_->NewClient(absl::Seconds(60));
      // Until the server is gone, and then one more call that must be
      // refused (connection refused is UNAVAILABLE).
      int refusals_after_exit = 0;
      for (int i = 0; refusals_after_exit < 1; ++i) {
        const bool server_gone = exited;
        const bool started_before_term = !terminated;
        ++attempts;
        ++in_flight;
        absl::Status status;
        std::string what;
        if (t % 2 == 0) {
          const int64_t n = 3000;
          absl::StatusOr<SampleResult> sample = client->Sample(
              "tiny", 0, n, static_cast<uint64_t>(t * 100000 + i));
          status = sample.status();
          if (sample.ok() && sample->points.rows != n) {
            status = absl::DataLossError(
                absl::StrCat("OK with ", sample->points.rows, " of ", n));
          }
          what = absl::StrCat("thread ", t, " Sample ", i);
        } else {
          PointMatrix points;
          points.rows = 500;
          points.cols = 2;
          points.values.assign(1000, 0.25f);
          absl::StatusOr<LogLikelihoodResult> result =
              client->LogLikelihood("tiny", 0, points);
          status = result.status();
          if (result.ok() && result->log_prob.size() != 500) {
            status = absl::DataLossError("OK with the wrong number of values");
          }
          what = absl::StrCat("thread ", t, " LogLikelihood ", i);
        }
        --in_flight;
        if (status.ok() && !terminated) ++ok_before_term;
        record(status, what);
        if (started_before_term && terminated) {
          std::lock_guard<std::mutex> lock(mu);
          ++straddling[absl::StatusCodeToString(status.code())];
        }
        if (server_gone) ++refusals_after_exit;
        // While the server drains, refusals come fast: don't spin.
        if (terminated && !status.ok()) absl::SleepFor(absl::Milliseconds(20));
      }
    });
  }

  // Let traffic flow, then SIGTERM in the middle of it.
  const absl::Time warm = absl::Now() + absl::Seconds(30);
  while (ok_before_term < 2 * kThreads && absl::Now() < warm) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  absl::SleepFor(absl::Milliseconds(300));
  max_in_flight_at_term = in_flight.load();
  server_->SendTerm();
  terminated = true;
  absl::StatusOr<ExitStatus> exit = server_->Wait(absl::Seconds(60));
  if (!exit.ok()) server_->Kill();
  exited = true;
  for (std::thread& thread : threads) thread.join();

  ASSERT_OK(exit);
  EXPECT_TRUE(exit->Exited(0)) << exit->ToString() << "\n" << server_->Log();
  int total = 0;
  std::string summary;
  for (const auto& [code, count] : outcomes) {
    total += count;
    absl::StrAppend(&summary, code, "=", count, " ");
  }
  EXPECT_EQ(total, attempts.load()) << summary;
  EXPECT_TRUE(unexpected.empty())
      << unexpected.size() << " requests ended otherwise (" << summary
      << "), first: " << unexpected.front();
  EXPECT_GE(ok_before_term.load(), 2 * kThreads) << summary;
  EXPECT_GE(outcomes["UNAVAILABLE"], kThreads)
      << "every thread's call after the exit must be refused; " << summary;
  EXPECT_GT(max_in_flight_at_term.load(), 0)
      << "no request was in flight at SIGTERM; the test proved nothing";
  std::string straddled;
  for (const auto& [code, count] : straddling) {
    absl::StrAppend(&straddled, code, "=", count, " ");
  }
  std::cout << "outcomes: " << summary
            << "; in flight at SIGTERM: " << max_in_flight_at_term.load()
            << "; of the calls running across "
            << "the SIGTERM: " << straddled << "\n";
  // Draining lets calls already at work finish (drain_timeout is 20 s and
  // each call takes well under a second).
  EXPECT_GE(straddling["OK"], 1)
      << "no call running at SIGTERM completed; " << straddled;
}

TEST(DrainDeadlineTest, SigtermWhileTrainingExitsWithinTheDrainTimeout) {
  ScratchDir dir("drain_deadline");
  ServerProcess::Options options;
  options.dir = dir.path();
  options.flags = {"--drain_timeout=2s"};
  ASSERT_OK_AND_ASSIGN(auto server, ServerProcess::Start(options));
  std::unique_ptr<Client> client = server->NewClient();
  TrainingData data;
  data.generator = "8gaussians";
  data.n = 500;
  v1::Hyperparameters h;
  h.set_blocks(1);
  h.set_iterations(10000000);  // trains until stopped
  h.set_batch_size(100);
  h.set_width(16);
  h.set_depth(2);
  ASSERT_OK_AND_ASSIGN(const v1::Job job,
                       client->CreateTrainingJob("long", data, h));
  const absl::Time warm = absl::Now() + absl::Seconds(60);
  while (true) {
    ASSERT_OK_AND_ASSIGN(const v1::Job now, client->GetJob(job.id()));
    if (now.state() == v1::JOB_STATE_RUNNING && now.iteration() >= 5) break;
    ASSERT_LT(absl::Now(), warm) << now.DebugString();
    absl::SleepFor(absl::Milliseconds(20));
  }
  // A stalled upload keeps the drain busy until its deadline.
  auto stub = v1::TrainingService::NewStub(grpc::CreateChannel(
      server->address(), grpc::InsecureChannelCredentials()));
  grpc::ClientContext upload_context;
  v1::Job uploaded;
  auto upload = stub->UploadTrainingJob(&upload_context, &uploaded);
  v1::UploadChunk first;
  first.mutable_job()->set_model_name("stalled");
  ASSERT_TRUE(upload->Write(first));
  absl::SleepFor(absl::Milliseconds(200));

  const absl::Time term = absl::Now();
  absl::StatusOr<ExitStatus> exit = server->Terminate(absl::Seconds(60));
  const absl::Duration took = absl::Now() - term;
  ASSERT_OK(exit);
  EXPECT_TRUE(exit->Exited(0)) << exit->ToString() << "\n" << server->Log();
  EXPECT_LT(took, absl::Seconds(2) + absl::Milliseconds(1500))
      << "the shutdown took longer than --drain_timeout=2s\n"
      << server->Log();
  std::cout << "SIGTERM to exit with --drain_timeout=2s: "
            << absl::FormatDuration(took) << "\n";
  EXPECT_FALSE(upload->Finish().ok());
  const std::string record = ReadFileOrEmpty(
      absl::StrCat(server->job_dir(), "/", job.id(), "/job.json"));
  EXPECT_TRUE(absl::StrContains(record, "JOB_STATE_RUNNING")) << record;
  EXPECT_TRUE(absl::StrContains(record, "\"paused\": true")) << record;
}

}  // namespace
}  // namespace integration
}  // namespace jkoflow
