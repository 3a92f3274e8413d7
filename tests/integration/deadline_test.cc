// Deadlines against a real jkoflow-server: a Sample or LogLikelihood whose
// deadline is far shorter than its work ends with DEADLINE_EXCEEDED on time,
// the server stops that work (a small request right after is answered
// promptly instead of queueing behind seconds of abandoned work) and keeps
// serving.

#include <gtest/gtest.h>

#include <iostream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "client/client.h"
#include "metrics_text.h"
#include "scratch_dir.h"
#include "server_process.h"
#include "status_assert.h"
#include "tiny_model.h"

namespace jkoflow {
namespace integration {
namespace {

const absl::Duration kDeadline = absl::Milliseconds(50);
// The client must see the error within 2 × the deadline + 100 ms.
const absl::Duration kReportedWithin = 2 * kDeadline + absl::Milliseconds(100);
// The follow-up request must be answered within this, far less than the
// abandoned work would take (checked below).
const absl::Duration kFollowUpWithin = absl::Seconds(5);

class DeadlineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // 4 blocks of 3 × 128 with 3 RK4 steps: 1,000,000 samples take about two
    // minutes on one core even with the fused paths.
    UntrainedModelSpec spec;
    spec.blocks = 4;
    spec.width = 128;
    spec.depth = 3;
    spec.steps = 3;
    ASSERT_OK(WriteUntrainedModel(dir_.Sub("models"), "heavy", 1, spec));
    ServerProcess::Options options;
    options.dir = dir_.path();
    options.threads = 1;
    ASSERT_OK_AND_ASSIGN(server_, ServerProcess::Start(options));
    client_ = server_->NewClient();
    ClientOptions hurried = client_->options();
    hurried.timeout = kDeadline;
    ASSERT_OK_AND_ASSIGN(hurried_, Client::Create(hurried));
  }

  void TearDown() override {
    if (server_ == nullptr) return;
    absl::StatusOr<ExitStatus> exit = server_->Terminate(absl::Seconds(60));
    ASSERT_OK(exit);
    EXPECT_TRUE(exit->Exited(0)) << exit->ToString() << "\n" << server_->Log();
  }

  // Timed() runs `f` and returns how long it took.
  template <typename F>
  static absl::Duration Timed(F&& f) {
    const absl::Time start = absl::Now();
    f();
    return absl::Now() - start;
  }

  // ExpectPromptFollowUp() checks that the server answers a small request
  // quickly, i.e. it is not still busy with abandoned work.
  void ExpectPromptFollowUp(const std::string& what) {
    absl::StatusOr<SampleResult> small;
    const absl::Duration took =
        Timed([&] { small = client_->Sample("heavy", 0, 100, /*seed=*/2); });
    ASSERT_OK(small);
    std::cout << "follow-up after the expired " << what << ": "
              << absl::FormatDuration(took) << "\n";
    EXPECT_LT(took, kFollowUpWithin)
        << "a 100-point Sample after the expired " << what << " took "
        << absl::FormatDuration(took)
        << ": the server kept working for a caller that had given up";
  }

  // ServerSawExpiry() polls /metrics until the server has recorded `method`
  // ending with DEADLINE_EXCEEDED or CANCELLED.
  void ExpectServerSawExpiry(const std::string& method) {
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    double expired = 0;
    while (absl::Now() < deadline) {
      absl::StatusOr<std::vector<MetricSample>> metrics =
          ScrapeMetrics(server_->metrics_address());
      ASSERT_OK(metrics);
      expired = SumMetric(*metrics, "jkoflow_requests_total",
                          {{"method", method}, {"code", "DEADLINE_EXCEEDED"}}) +
                SumMetric(*metrics, "jkoflow_requests_total",
                          {{"method", method}, {"code", "CANCELLED"}});
      if (expired >= 1) return;
      absl::SleepFor(absl::Milliseconds(100));
    }
    ADD_FAILURE() << "the server never recorded the expired " << method
                  << " call (jkoflow_requests_total by code)";
  }

  ScratchDir dir_{"deadline"};
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<Client> client_;
  std::unique_ptr<Client> hurried_;
};

TEST_F(DeadlineTest, SampleOfAMillionPointsWithA50msDeadline) {
  // Warm up, and time 16,384 points to know how long the million would take.
  ASSERT_OK(client_->Sample("heavy", 0, 100, /*seed=*/1));
  absl::StatusOr<SampleResult> part;
  const absl::Duration part_took =
      Timed([&] { part = client_->Sample("heavy", 0, 16384, /*seed=*/1); });
  ASSERT_OK(part);
  const absl::Duration full = part_took * (1000000.0 / 16384.0);
  std::cout << "16,384 points took " << absl::FormatDuration(part_took)
            << ": 1,000,000 would take about " << absl::FormatDuration(full)
            << "\n";
  ASSERT_GT(full, 2 * kFollowUpWithin)
      << "the model is too fast for this test to tell abandoned work from "
         "stopped work: 1,000,000 points take about "
      << absl::FormatDuration(full);

  absl::StatusOr<SampleResult> big;
  const absl::Duration took =
      Timed([&] { big = hurried_->Sample("heavy", 0, 1000000, /*seed=*/9); });
  EXPECT_EQ(big.status().code(), absl::StatusCode::kDeadlineExceeded)
      << big.status();
  EXPECT_LE(took, kReportedWithin) << absl::FormatDuration(took);
  std::cout << "DEADLINE_EXCEEDED after " << absl::FormatDuration(took) << "\n";

  ExpectPromptFollowUp("Sample of 1,000,000 points (about " +
                       absl::FormatDuration(full) + " of work)");
  ExpectServerSawExpiry("Sample");
  ASSERT_OK(client_->ListModels());
}

TEST_F(DeadlineTest, LogLikelihoodWithA50msDeadline) {
  // 200,000 seeded points in [-2, 2)²: exact log-likelihoods of that many
  // take longer than sampling a million.
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> uniform(-2.0f, 2.0f);
  PointMatrix points;
  points.rows = 200000;
  points.cols = 2;
  for (int64_t i = 0; i < points.rows * points.cols; ++i) {
    points.values.push_back(uniform(rng));
  }
  // Time 8,192 of them to know how long all would take.
  PointMatrix part = points;
  part.rows = 8192;
  part.values.resize(2 * 8192);
  ASSERT_OK(client_->LogLikelihood("heavy", 0, part));  // warm up
  absl::StatusOr<LogLikelihoodResult> timed;
  const absl::Duration part_took =
      Timed([&] { timed = client_->LogLikelihood("heavy", 0, part); });
  ASSERT_OK(timed);
  const absl::Duration full = part_took * (200000.0 / 8192.0);
  std::cout << "8,192 log-likelihoods took " << absl::FormatDuration(part_took)
            << ": 200,000 would take about " << absl::FormatDuration(full)
            << "\n";
  ASSERT_GT(full, 2 * kFollowUpWithin)
      << "the model is too fast for this test to tell abandoned work from "
         "stopped work";

  absl::StatusOr<LogLikelihoodResult> result;
  const absl::Duration took =
      Timed([&] { result = hurried_->LogLikelihood("heavy", 0, points); });
  EXPECT_EQ(result.status().code(), absl::StatusCode::kDeadlineExceeded)
      << result.status();
  EXPECT_LE(took, kReportedWithin) << absl::FormatDuration(took);
  std::cout << "DEADLINE_EXCEEDED after " << absl::FormatDuration(took) << "\n";
  ExpectPromptFollowUp("LogLikelihood of 200,000 points (about " +
                       absl::FormatDuration(full) + " of work)");
  ExpectServerSawExpiry("LogLikelihood");
  ASSERT_OK(client_->ListModels());
}

}  // namespace
}  // namespace integration
}  // namespace jkoflow
