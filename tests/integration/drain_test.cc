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
#include <utility>
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

// Traffic is kThreads clients calling the server in closed loops (even
// threads Sample 3,000 points, odd ones LogLikelihood of 500) until one
// call after the server has exited, and what became of every call.
class Traffic {
 public:
  explicit Traffic(ServerProcess* server) : server_(server) {}

  // Start() starts the client threads; Join() waits for them.
  void Start() {
    for (int t = 0; t < kThreads; ++t) {
      threads_.emplace_back([this, t] { Loop(t); });
    }
  }
  void Join() {
    for (std::thread& thread : threads_) thread.join();
  }

  // WaitForTraffic() returns once each thread has had about two calls
  // answered (at most 30 s), and a little more.
  void WaitForTraffic() {
    const absl::Time warm = absl::Now() + absl::Seconds(30);
    while (ok_before_term_ < 2 * kThreads && absl::Now() < warm) {
      absl::SleepFor(absl::Milliseconds(10));
    }
    absl::SleepFor(absl::Milliseconds(300));
  }

  // Term() records the calls in flight, sends SIGTERM and marks it sent;
  // MarkExited() records that the process has been reaped.
  void Term() {
    in_flight_at_term_ = in_flight_.load();
    server_->SendTerm();
    terminated_ = true;
  }
  void MarkExited() { exited_ = true; }

  // ExpectNothingLost() checks the outcomes once the threads are joined.
  void ExpectNothingLost();

 private:
  // Call() makes call i of thread t: {its status, a name for messages}.
  std::pair<absl::Status, std::string> Call(Client& client, int t, int i);
  void Record(const absl::Status& status, const std::string& what,
              bool started_before_term);
  void Loop(int t);
  static std::string Summary(const std::map<std::string, int>& counts);

  ServerProcess* const server_;
  std::vector<std::thread> threads_;
  std::mutex mu_;
  std::map<std::string, int> outcomes_;  // code name → count
  std::vector<std::string> unexpected_;
  // Calls that started before SIGTERM and ended after it, by outcome.
  std::map<std::string, int> straddling_;
  std::atomic<int> attempts_{0};
  std::atomic<int> in_flight_{0};
  std::atomic<int> in_flight_at_term_{-1};
  std::atomic<bool> terminated_{false};
  std::atomic<bool> exited_{false};  // set once the process has been reaped
  std::atomic<int> ok_before_term_{0};
};

std::pair<absl::Status, std::string> Traffic::Call(Client& client, int t,
                                                   int i) {
  if (t % 2 == 0) {
    const int64_t n = 3000;
    absl::StatusOr<SampleResult> sample =
        client.Sample("tiny", 0, n, static_cast<uint64_t>(t * 100000 + i));
    absl::Status status = sample.status();
    if (sample.ok() && sample->points.rows != n) {
      status = absl::DataLossError(
          absl::StrCat("OK with ", sample->points.rows, " of ", n));
    }
    return {status, absl::StrCat("thread ", t, " Sample ", i)};
  }
  PointMatrix points;
  points.rows = 500;
  points.cols = 2;
  points.values.assign(1000, 0.25f);
  absl::StatusOr<LogLikelihoodResult> result =
      client.LogLikelihood("tiny", 0, points);
  absl::Status status = result.status();
  if (result.ok() && result->log_prob.size() != 500) {
    status = absl::DataLossError("OK with the wrong number of values");
  }
  return {status, absl::StrCat("thread ", t, " LogLikelihood ", i)};
}

void Traffic::Record(const absl::Status& status, const std::string& what,
                     bool started_before_term) {
  std::lock_guard<std::mutex> lock(mu_);
  const std::string code = absl::StatusCodeToString(status.code());
  ++outcomes_[code];
  const bool allowed = status.ok() ||
                       status.code() == absl::StatusCode::kUnavailable ||
                       status.code() == absl::StatusCode::kCancelled;
  if (!allowed) {
    unexpected_.push_back(absl::StrCat(what, ": ", status.ToString()));
  }
  if (started_before_term && terminated_) ++straddling_[code];
}

void Traffic::Loop(int t) {
  std::unique_ptr<Client> client = server_->NewClient(absl::Seconds(60));
  // Until the server is gone, and then one more call that must be refused
  // (connection refused is UNAVAILABLE).
  int refusals_after_exit = 0;
  for (int i = 0; refusals_after_exit < 1; ++i) {
    const bool server_gone = exited_;
    const bool started_before_term = !terminated_;
    ++attempts_;
    ++in_flight_;
    const auto [status, what] = Call(*client, t, i);
    --in_flight_;
    if (status.ok() && !terminated_) ++ok_before_term_;
    Record(status, what, started_before_term);
    if (server_gone) ++refusals_after_exit;
    // While the server drains, refusals come fast: don't spin.
    if (terminated_ && !status.ok()) absl::SleepFor(absl::Milliseconds(20));
  }
}

std::string Traffic::Summary(const std::map<std::string, int>& counts) {
  std::string summary;
  for (const auto& [code, count] : counts) {
    absl::StrAppend(&summary, code, "=", count, " ");
  }
  return summary;
}

void Traffic::ExpectNothingLost() {
  int total = 0;
  for (const auto& [code, count] : outcomes_) total += count;
  const std::string summary = Summary(outcomes_);
  EXPECT_EQ(total, attempts_.load()) << summary;
  EXPECT_TRUE(unexpected_.empty())
      << unexpected_.size() << " requests ended otherwise (" << summary
      << "), first: " << unexpected_.front();
  EXPECT_GE(ok_before_term_.load(), 2 * kThreads) << summary;
  EXPECT_GE(outcomes_["UNAVAILABLE"], kThreads)
      << "every thread's call after the exit must be refused; " << summary;
  EXPECT_GT(in_flight_at_term_.load(), 0)
      << "no request was in flight at SIGTERM; the test proved nothing";
  const std::string straddled = Summary(straddling_);
  std::cout << "outcomes: " << summary
            << "; in flight at SIGTERM: " << in_flight_at_term_.load()
            << "; of the calls running across the SIGTERM: " << straddled
            << "\n";
  // Draining lets calls already at work finish (drain_timeout is 20 s and
  // each call takes well under a second).
  EXPECT_GE(straddling_["OK"], 1)
      << "no call running at SIGTERM completed; " << straddled;
}

TEST_F(DrainTest, SigtermDuringTrafficLosesNoRequest) {
  Traffic traffic(server_.get());
  traffic.Start();
  // Let traffic flow, then SIGTERM in the middle of it.
  traffic.WaitForTraffic();
  traffic.Term();
  absl::StatusOr<ExitStatus> exit = server_->Wait(absl::Seconds(60));
  if (!exit.ok()) server_->Kill();
  traffic.MarkExited();
  traffic.Join();

  ASSERT_OK(exit);
  EXPECT_TRUE(exit->Exited(0)) << exit->ToString() << "\n" << server_->Log();
  traffic.ExpectNothingLost();
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
