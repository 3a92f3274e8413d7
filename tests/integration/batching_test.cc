// Many concurrent clients against one real jkoflow-server: every request
// succeeds with its own points; with batching on the batcher concatenates
// requests from different clients (the jkoflow_batch_points and
// jkoflow_batch_items histograms on /metrics), with --batching=false every
// request runs alone and keeps its seed's bytes.

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "client/client.h"
#include "metrics_text.h"
#include "scratch_dir.h"
#include "server_process.h"
#include "status_assert.h"
#include "tiny_model.h"

namespace jkoflow {
namespace integration {
namespace {

constexpr int kClients = 16;
constexpr int kRequestsPerClient = 50;
constexpr int64_t kPoints = 100;

uint64_t SeedOf(int client, int request) {
  return static_cast<uint64_t>(client) * 1000 + request;
}

// MaxAbsDiff() is max |a[i] - b[i]| (a and b of the same size).
double MaxAbsDiff(const std::vector<float>& a, const std::vector<float>& b) {
  double worst = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    worst = std::max(worst, std::abs(static_cast<double>(a[i] - b[i])));
  }
  return worst;
}

class BatchingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    UntrainedModelSpec spec;
    spec.blocks = 3;
    spec.width = 32;
    ASSERT_OK(WriteUntrainedModel(dir_.Sub("models"), "tiny", 1, spec));
  }

  void StartServer(std::vector<std::string> flags) {
    ServerProcess::Options options;
    options.dir = dir_.path();
    options.threads = 2;
    options.flags = std::move(flags);
    ASSERT_OK_AND_ASSIGN(server_, ServerProcess::Start(options));
  }

  void TearDown() override {
    if (server_ == nullptr) return;
    absl::StatusOr<ExitStatus> exit = server_->Terminate(absl::Seconds(60));
    ASSERT_OK(exit);
    EXPECT_TRUE(exit->Exited(0)) << exit->ToString() << "\n" << server_->Log();
  }

  // RunClients() has kClients clients, each on its own thread and channel,
  // send `requests` Sample calls of kPoints points back to back, and
  // returns results[c][r], the points of request r of client c.
  std::vector<std::vector<std::vector<float>>> RunClients(int requests) {
    std::vector<std::unique_ptr<Client>> clients;
    for (int c = 0; c < kClients; ++c) {
      clients.push_back(server_->NewClient());
      EXPECT_NE(clients.back(), nullptr);
      if (clients.back() == nullptr) return {};
    }
    std::vector<std::vector<std::vector<float>>> results(
        kClients, std::vector<std::vector<float>>(requests));
    std::mutex mu;
    std::vector<std::string> failures;
    std::atomic<int> ok{0};
    std::vector<std::thread> threads;
    for (int c = 0; c < kClients; ++c) {
      threads.emplace_back([&, c] {
        for (int r = 0; r < requests; ++r) {
          absl::StatusOr<SampleResult> sample =
              clients[c]->Sample("tiny", 0, kPoints, SeedOf(c, r));
          if (!sample.ok() || sample->points.rows != kPoints ||
              sample->points.cols != 2) {
            std::lock_guard<std::mutex> lock(mu);
            failures.push_back(absl::StrCat(
                "client ", c, " request ", r, ": ",
                sample.ok() ? absl::StrCat(sample->points.rows, " rows")
                            : sample.status().ToString()));
            continue;
          }
          results[c][r] = std::move(sample->points.values);
          ++ok;
        }
      });
    }
    for (std::thread& t : threads) t.join();
    EXPECT_TRUE(failures.empty())
        << failures.size() << " failed, first: " << failures.front();
    EXPECT_EQ(ok.load(), kClients * requests);
    return results;
  }

  ScratchDir dir_{"batching"};
  std::unique_ptr<ServerProcess> server_;
};

// ExpectEachMatchesItsSeedAlone() asks for 3 results of every client again
// alone, and the first seed twice more: no request got another's points.
void ExpectEachMatchesItsSeedAlone(
    Client& single,
    const std::vector<std::vector<std::vector<float>>>& results) {
  // Every result is what the same seed gives alone, within float32
  // rounding (batch composition changes the last bits of the matrix
  // products; tolerance 1e-5 absolute). Alone, the same seed gives the
  // same bytes twice.
  double worst = 0;
  for (int c = 0; c < kClients; ++c) {
    for (int r : {0, kRequestsPerClient / 2, kRequestsPerClient - 1}) {
      ASSERT_OK_AND_ASSIGN(const SampleResult alone,
                           single.Sample("tiny", 0, kPoints, SeedOf(c, r)));
      ASSERT_EQ(alone.points.values.size(), results[c][r].size());
      const double diff = MaxAbsDiff(alone.points.values, results[c][r]);
      worst = std::max(worst, diff);
      EXPECT_LE(diff, 1e-5) << "client " << c << " request " << r
                            << ": batched points differ from the same seed "
                               "alone";
    }
  }
  std::cout << "max abs difference batched vs alone: " << worst << "\n";
  ASSERT_OK_AND_ASSIGN(const SampleResult first,
                       single.Sample("tiny", 0, kPoints, SeedOf(0, 0)));
  ASSERT_OK_AND_ASSIGN(const SampleResult second,
                       single.Sample("tiny", 0, kPoints, SeedOf(0, 0)));
  EXPECT_EQ(first.points.values, second.points.values)
      << "the same seed alone gave different bytes";
  // Different seeds, different points.
  EXPECT_NE(results[0][0], results[1][0]);
}

// ExpectBatchedTogether() reads /metrics after `requests` Sample calls of
// kPoints each: batches carried all points, and held several requests.
void ExpectBatchedTogether(const std::string& metrics_address,
                           double requests) {
  ASSERT_OK_AND_ASSIGN(const std::vector<MetricSample> metrics,
                       ScrapeMetrics(metrics_address));
  bool found = false;
  const double count =
      SumMetric(metrics, "jkoflow_batch_points_count", {}, &found);
  ASSERT_TRUE(found) << "no jkoflow_batch_points histogram on /metrics";
  const double sum = SumMetric(metrics, "jkoflow_batch_points_sum");
  const double served_points = kPoints * requests;
  EXPECT_GE(sum, served_points) << "batches carried fewer points than served";
  ASSERT_GT(count, 0);
  const double items =
      SumMetric(metrics, "jkoflow_batch_items_sum", {}, &found);
  ASSERT_TRUE(found) << "no jkoflow_batch_items histogram on /metrics";
  std::cout << count << " batches, " << sum / count << " points and "
            << items / count << " requests per batch on average\n";
  EXPECT_GT(sum / count, static_cast<double>(kPoints))
      << "mean batch of " << sum / count << " points over " << count
      << " batches: requests of different clients were not batched together";
  EXPECT_GT(items / count, 1.0)
      << "mean batch of " << items / count << " requests: none concatenated";
  // Some batch held at least three requests: the cumulative bucket at 256
  // points is below the total count.
  const double at_most_256 = SumMetric(metrics, "jkoflow_batch_points_bucket",
                                       {{"le", "256"}}, &found);
  ASSERT_TRUE(found) << "no le=\"256\" bucket";
  EXPECT_GT(count - at_most_256, 0) << "no batch larger than 256 points";
  EXPECT_EQ(SumMetric(metrics, "jkoflow_samples_total", {{"model", "tiny"}}),
            served_points);
  EXPECT_EQ(SumMetric(metrics, "jkoflow_requests_total",
                      {{"method", "Sample"}, {"code", "OK"}}),
            requests);
  EXPECT_EQ(SumMetric(metrics, "jkoflow_queue_depth"), 0);
}

TEST_F(BatchingTest, SixteenClientsAreBatchedTogether) {
  ASSERT_NO_FATAL_FAILURE(StartServer({}));
  const std::vector<std::vector<std::vector<float>>> results =
      RunClients(kRequestsPerClient);
  ASSERT_FALSE(HasFailure());
  auto single = server_->NewClient();
  ASSERT_NO_FATAL_FAILURE(ExpectEachMatchesItsSeedAlone(*single, results));
  // The clients' calls, 3 per client alone and the first seed twice.
  ExpectBatchedTogether(server_->metrics_address(),
                        kClients * kRequestsPerClient + 3 * kClients + 2);
}

TEST_F(BatchingTest, WithBatchingOffEveryRequestRunsAlone) {
  ASSERT_NO_FATAL_FAILURE(StartServer({"--batching=false"}));
  constexpr int kRequests = 10;
  const std::vector<std::vector<std::vector<float>>> results =
      RunClients(kRequests);
  ASSERT_FALSE(HasFailure());

  // Alone under load: the same seed gives the same bytes as a quiet call.
  auto single = server_->NewClient();
  for (int c = 0; c < kClients; c += 5) {
    ASSERT_OK_AND_ASSIGN(const SampleResult alone,
                         single->Sample("tiny", 0, kPoints, SeedOf(c, 3)));
    EXPECT_EQ(alone.points.values, results[c][3])
        << "client " << c << ": bytes differ from the same seed alone";
  }

  ASSERT_OK_AND_ASSIGN(const std::vector<MetricSample> metrics,
                       ScrapeMetrics(server_->metrics_address()));
  bool found = false;
  const double count =
      SumMetric(metrics, "jkoflow_batch_points_count", {}, &found);
  ASSERT_TRUE(found) << "no jkoflow_batch_points histogram on /metrics";
  const double requests = kClients * kRequests + 4;
  EXPECT_EQ(count, requests) << "not one batch per request";
  // Every batch is one request of kPoints points: the points never exceed
  // one request's, and the items histogram is all ones.
  EXPECT_EQ(SumMetric(metrics, "jkoflow_batch_points_sum"), kPoints * count);
  EXPECT_EQ(SumMetric(metrics, "jkoflow_batch_items_sum"), count);
  EXPECT_EQ(
      SumMetric(metrics, "jkoflow_batch_items_bucket", {{"le", "1"}}, &found),
      count);
  ASSERT_TRUE(found) << "no le=\"1\" bucket of jkoflow_batch_items";
}

}  // namespace
}  // namespace integration
}  // namespace jkoflow
